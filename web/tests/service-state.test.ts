import { describe, expect, it } from "vitest";

import type { Service } from "@/lib/api/types";
import { dayForApi } from "@/lib/schedule-time";
import { imageGroups, imageSummaryText } from "@/lib/image-summary";
import { driftState, gitopsState } from "@/lib/service-state";

const base: Service = { id: "svc_1", name: "web", host: "local", host_state: "connected", managed: true, status: "running", containers: [], update_available: false, warnings: [] };

describe("driftState", () => {
  it("is quiet when file, mirror and containers agree", () => {
    expect(driftState(base)).toBeNull();
    expect(driftState({ ...base, drift: { drifted: false, file: "in_sync", compared_with: "file", items: [] } })).toBeNull();
  });

  it("names a hand-edited file before container differences", () => {
    expect(driftState({ ...base, drift: { drifted: true, file: "changed", compared_with: "file", items: [] } }))
      .toBe("file changed");
  });

  it("lists the kinds of container drift once each", () => {
    const items = [
      { kind: "stopped", service: "web", container: "c1", detail: "exited" },
      { kind: "image", service: "web", container: "c1", detail: "x" },
      { kind: "stopped", service: "db", container: "c2", detail: "exited" },
    ];
    expect(driftState({ ...base, drift: { drifted: true, file: "in_sync", compared_with: "file", items } }))
      .toBe("drift: stopped container, older image");
  });
});

describe("imageGroups", () => {
  const container = (name: string, service: string, image: string, state: string) => ({
    id: name, name, service, image, image_id: null, state, status: null, health: null, ports: [],
  });

  it("shows each image a stack runs, with its services and which one is stopped", () => {
    const groups = imageGroups({ ...base, containers: [
      container("s-web-1", "web", "app:1", "running"),
      container("s-worker-1", "worker", "app:2", "exited"),
      container("s-db-1", "db", "app:1", "running"),
    ] });
    expect(groups.map((g) => [g.label, g.services, g.state])).toEqual([
      ["app:1", ["web", "db"], "running"],
      ["app:2", ["worker"], "stopped"],
    ]);
    expect(imageSummaryText(groups)).toBe("app:1 (web, db, running) · app:2 (worker, stopped)");
  });

  it("words an image whose tag moved on instead of its sha256", () => {
    const sha = "sha256:3c513b12aa4f00000000000000000000000000000000000000000000000000";
    const drift = { drifted: true, file: "in_sync", compared_with: "file", items: [
      { kind: "image", service: "web", container: "s-web-1", detail: "runs an older image than reg/app:1 now names" },
    ] };
    const [named] = imageGroups({ ...base, drift, containers: [container("s-web-1", "web", sha, "running")] });
    expect(named!.label).toBe("an older build of reg/app:1 (3c513b12aa4f)");
    expect(named!.older).toBe(true);
    const [bare] = imageGroups({ ...base, containers: [container("s-web-1", "web", sha, "running")] });
    expect(bare!.label).toBe("an untagged image (3c513b12aa4f)");
  });

  it("counts a partly running group", () => {
    const [g] = imageGroups({ ...base, containers: [
      container("a", "web", "app:1", "running"), container("b", "web", "app:1", "exited"),
    ] });
    expect(g!.state).toBe("1 of 2 running");
  });
});

describe("gitopsState", () => {
  it("shows only states that need attention", () => {
    expect(gitopsState({ ...base, gitops: { state: "synced" } })).toBeNull();
    expect(gitopsState({ ...base, gitops: { state: "pending" } })).toBe("pending");
    expect(gitopsState(base)).toBeNull();
  });
});

describe("dayForApi", () => {
  it("sends days the way sdmd names them", () => {
    expect(dayForApi("sunday")).toBe("Sunday");
    expect(dayForApi("mon")).toBe("Monday");
  });
});
