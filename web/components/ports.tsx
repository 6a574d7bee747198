"use client";

import { ExternalLink } from "lucide-react";
import { useEffect, useState } from "react";

import type { ContainerRead } from "@/lib/api/types";
import { portUrl, uniquePorts } from "@/lib/ports";

export function PortLinks({ containers }: { containers: ContainerRead[] }) {
  const [host, setHost] = useState("localhost");
  useEffect(() => setHost(window.location.hostname), []);
  const ports = uniquePorts(containers.flatMap((c) => c.ports));
  if (!ports.length) return <span className="text-xs text-muted-foreground">no published ports</span>;
  return (
    <ul className="flex flex-wrap gap-x-3 gap-y-1 text-xs" aria-label="Published ports">
      {ports.map((p) => {
        const url = portUrl(p, host);
        const text = `${p.host_port}→${p.container_port}${p.protocol !== "tcp" ? `/${p.protocol}` : ""}`;
        return (
          <li key={`${p.host_port}/${p.protocol}`}>
            {url ? (
              <a href={url} target="_blank" rel="noreferrer" className="inline-flex items-center gap-0.5 font-mono text-primary hover:underline">
                {text}
                <ExternalLink className="h-3 w-3" aria-hidden />
                <span className="sr-only">(opens in a new tab)</span>
              </a>
            ) : (
              <span className="font-mono">{text}</span>
            )}
          </li>
        );
      })}
    </ul>
  );
}
