import { describe, expect, it } from "vitest";

import type { NotificationEventType } from "@/lib/api/types";
import { channelKind, eventsSummary, selectedTypes, selectorsFor, statusTone } from "@/lib/notifications";

const ev = (type: string): NotificationEventType => ({ type, group: type.split(".")[0] ?? type, severity: "info", description: type });
const catalogue = ["update.available", "update.updated", "update.rolled_back", "container.died", "container.unhealthy", "host.back"].map(ev);

describe("event selection", () => {
  it("expands *, <group>.* and exact types into exact types", () => {
    expect(selectedTypes(["*"], catalogue).size).toBe(catalogue.length);
    expect([...selectedTypes(["update.*", "host.back"], catalogue)].sort())
      .toEqual(["host.back", "update.available", "update.rolled_back", "update.updated"]);
    expect(selectedTypes(["container.died", "gone.type"], catalogue)).toEqual(new Set(["container.died"]));
  });

  it("writes back the shortest selectors: * for all, <group>.* for a whole group", () => {
    expect(selectorsFor(new Set(catalogue.map((e) => e.type)), catalogue)).toEqual(["*"]);
    expect(selectorsFor(new Set(["update.available", "update.updated", "update.rolled_back", "container.died"]), catalogue))
      .toEqual(["update.*", "container.died"]);
    expect(selectorsFor(new Set(), catalogue)).toEqual([]);
  });

  it("round-trips what a channel chose", () => {
    for (const chosen of [["update.*"], ["container.died", "host.*"], ["*"]]) {
      expect(selectorsFor(selectedTypes(chosen, catalogue), catalogue)).toEqual(chosen);
    }
  });
});

describe("channel wording", () => {
  it("names the kind from the masked URL's scheme", () => {
    expect(channelKind("json://127.0.0.1:9/h")).toBe("JSON webhook");
    expect(channelKind("tgram://1...t/987/")).toBe("Telegram");
    expect(channelKind("weird://x")).toBe("weird");
  });

  it("summarises events and tones statuses", () => {
    expect(eventsSummary(["*"])).toBe("all events");
    expect(eventsSummary(["update.*", "container.died"])).toBe("all updates, container died");
    expect(statusTone("failed")).toBe("destructive");
    expect(statusTone("sent")).toBe("success");
  });
});
