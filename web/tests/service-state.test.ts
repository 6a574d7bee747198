import { describe, expect, it } from "vitest";

import type { Service } from "@/lib/api/types";
import { dayForApi } from "@/lib/schedule-time";
import { driftState, gitopsState } from "@/lib/service-state";

const base: Service = { id: "svc_1", name: "web", managed: true, status: "running", containers: [], update_available: false, warnings: [] };

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
      .toBe("drift: stopped, image");
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
