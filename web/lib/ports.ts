import type { PortRead } from "@/lib/api/types";

const ANY_HOST = new Set(["", "0.0.0.0", "::", "[::]"]);

/** A published port as a link: to the host the dashboard itself was reached on when bound to all. */
export function portUrl(port: PortRead, pageHost: string): string | null {
  if (port.protocol && port.protocol !== "tcp") return null;
  const host = ANY_HOST.has(port.host_ip) ? pageHost : port.host_ip;
  const shown = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const scheme = port.container_port === 443 || port.container_port === 8443 ? "https" : "http";
  return `${scheme}://${shown}:${port.host_port}/`;
}

/** Ports published on both IPv4 and IPv6 appear twice in Docker's list; show each host port once. */
export function uniquePorts(ports: PortRead[]): PortRead[] {
  const seen = new Set<string>();
  const out: PortRead[] = [];
  for (const p of ports) {
    const key = `${p.host_port}/${p.protocol}->${p.container_port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out.sort((a, b) => a.host_port - b.host_port);
}
