import type { NextConfig } from "next";

// A static export served by sdmd itself at / (same origin as /api and /auth, so no CORS).
// trailingSlash makes every route a folder with index.html, which Starlette's StaticFiles serves.
const nextConfig: NextConfig = {
  output: "export",
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
  turbopack: { root: import.meta.dirname },
};

export default nextConfig;
