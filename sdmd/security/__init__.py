"""Cross-cutting protections of the HTTP surface: body bounds, response headers (CSP), TLS, proxies."""
