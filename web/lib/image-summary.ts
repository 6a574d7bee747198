// The list's image summary: which images a service's containers run, with the compose services using each
// and which of them are not running, in words. A container whose tag moved on to a newer image shows
// Docker's raw image id ("sha256:3c51…"); it is described as an older build of what the file names.

import type { ContainerRead, Service } from "@/lib/api/types";

export interface ImageGroup {
  /** what to show: the image reference, or words for an image that lost its tag */
  label: string;
  /** true for an image that lost its tag (an older build still running) */
  older: boolean;
  services: string[];
  total: number;
  running: number;
  /** "running", "stopped", "1 of 2 running", or Docker's state when it is one ("restarting", "paused") */
  state: string;
}

const OLDER = /older image than (\S+) now names/;

export function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}

function imageLabel(c: ContainerRead, service: Service): { label: string; older: boolean } {
  const image = c.image ?? "";
  if (!image) return { label: "unknown image", older: false };
  if (!image.startsWith("sha256:")) return { label: image, older: false };
  const item = service.drift?.items.find((i) => i.kind === "image" && i.container === c.name);
  const named = item ? OLDER.exec(item.detail)?.[1] : undefined;
  return {
    label: named ? `an older build of ${named} (${shortId(image)})` : `an untagged image (${shortId(image)})`,
    older: true,
  };
}

function stateOf(containers: ContainerRead[]): string {
  const running = containers.filter((c) => c.state === "running").length;
  if (running === containers.length) return "running";
  if (running > 0) return `${running} of ${containers.length} running`;
  const states = [...new Set(containers.map((c) => c.state ?? "unknown"))];
  if (states.length === 1 && (states[0] === "restarting" || states[0] === "paused")) return states[0];
  return "stopped";
}

export function imageGroups(service: Service): ImageGroup[] {
  const groups = new Map<string, { older: boolean; containers: ContainerRead[] }>();
  for (const c of service.containers) {
    const { label, older } = imageLabel(c, service);
    const group = groups.get(label) ?? { older, containers: [] };
    group.containers.push(c);
    groups.set(label, group);
  }
  return [...groups.entries()].map(([label, g]) => ({
    label,
    older: g.older,
    services: [...new Set(g.containers.map((c) => c.service ?? c.name))],
    total: g.containers.length,
    running: g.containers.filter((c) => c.state === "running").length,
    state: stateOf(g.containers),
  }));
}

/** One line for a title or a screen reader: "app:1 (web, running) · app:2 (worker, stopped)". */
export function imageSummaryText(groups: ImageGroup[]): string {
  return groups.map((g) => `${g.label} (${[...g.services, g.state].join(", ")})`).join(" · ");
}
