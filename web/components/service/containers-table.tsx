import { StateBadge } from "@/components/status";
import type { ContainerRead, Service } from "@/lib/api/types";
import { uniquePorts } from "@/lib/ports";

import { ContainerActions } from "./container-actions";

export function ContainersTable({ containers, service, onTerminal }: {
  containers: ContainerRead[];
  /** live: with the service, each row gets its actions (start/stop, pause, restart, inspect, terminal) */
  service?: Service;
  onTerminal?: (container: string) => void;
}) {
  if (!containers.length) {
    return <p className="p-4 text-sm text-muted-foreground">No containers: the service is not deployed.</p>;
  }
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="containers">
        <caption className="sr-only">Containers</caption>
        <thead className="border-b text-xs text-muted-foreground">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">Container</th>
            <th scope="col" className="px-3 py-2 font-medium">State</th>
            <th scope="col" className="hidden px-3 py-2 font-medium sm:table-cell">Image</th>
            <th scope="col" className="hidden px-3 py-2 font-medium md:table-cell">Ports</th>
            <th scope="col" className="hidden px-3 py-2 font-medium lg:table-cell">Status</th>
            {service ? <th scope="col" className="px-3 py-2 font-medium"><span className="sr-only">Actions</span></th> : null}
          </tr>
        </thead>
        <tbody>
          {containers.map((c) => (
            <tr key={c.id} className="border-b last:border-b-0 align-top" data-testid="container-row" data-name={c.name} data-state={c.state ?? ""}>
              <td className="px-3 py-2">
                <div className="font-medium">{c.service ?? c.name}</div>
                <div className="font-mono text-xs text-muted-foreground">{c.name}</div>
                <div className="font-mono text-xs text-muted-foreground sm:hidden">{c.image}</div>
              </td>
              <td className="px-3 py-2"><StateBadge state={c.state} health={c.health} /></td>
              <td className="hidden px-3 py-2 sm:table-cell">
                <div className="break-all font-mono text-xs">{c.image}</div>
                {c.image_id ? <div className="font-mono text-xs text-muted-foreground" title={c.image_id}>{c.image_id.replace("sha256:", "").slice(0, 12)}</div> : null}
              </td>
              <td className="hidden px-3 py-2 font-mono text-xs md:table-cell">
                {uniquePorts(c.ports).map((p) => `${p.host_ip && p.host_ip !== "0.0.0.0" && p.host_ip !== "::" ? `${p.host_ip}:` : ""}${p.host_port}→${p.container_port}/${p.protocol}`).join(", ") || "—"}
              </td>
              <td className="hidden px-3 py-2 text-xs text-muted-foreground lg:table-cell">{c.status}</td>
              {service ? <td className="px-1 py-1"><ContainerActions service={service} container={c} onTerminal={onTerminal} /></td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
