import { describe, expect, it } from "vitest";

import { planPull, splitImage } from "@/lib/image-ref";
import { outcomeSentence, outcomeTone, outcomeWords } from "@/lib/run-outcome";
import { fieldPath, locateField } from "@/lib/yaml-errors";

describe("planPull", () => {
  const REPO = "127.0.0.1:5000/team/app";

  it("takes the tag on the image, in the Tag field, or both the same, never glued twice", () => {
    expect(planPull(`${REPO}:v1`, "")).toEqual({ ok: true, ref: `${REPO}:v1`, body: { image: REPO, tag: "v1" } });
    expect(planPull(REPO, "v2")).toEqual({ ok: true, ref: `${REPO}:v2`, body: { image: REPO, tag: "v2" } });
    expect(planPull(`${REPO}:v1`, "v1")).toEqual({ ok: true, ref: `${REPO}:v1`, body: { image: REPO, tag: "v1" } });
    expect(planPull(` ${REPO}:v1 `, ":v1")).toMatchObject({ ok: true, ref: `${REPO}:v1` });
    expect(planPull(REPO, "")).toEqual({ ok: true, ref: `${REPO}:latest`, body: { image: REPO } });
  });

  it("names the Tag field when the two tags differ", () => {
    expect(planPull(`${REPO}:v1`, "v2")).toEqual({
      ok: false, field: "tag", error: "the image already names the tag v1: clear this field, or make it v1",
    });
    expect(planPull("", "v1")).toMatchObject({ ok: false, field: "image" });
    expect(planPull("a b", "")).toMatchObject({ ok: false, field: "image" });
  });

  it("does not take a registry port for a tag", () => {
    expect(splitImage("127.0.0.1:5000/app")).toEqual({ repository: "127.0.0.1:5000/app", tag: null });
    expect(splitImage("nginx:1.27")).toEqual({ repository: "nginx", tag: "1.27" });
  });
});

describe("run outcomes in words", () => {
  it("says what a run found", () => {
    expect(outcomeWords("up_to_date")).toBe("already up to date");
    expect(outcomeWords("rolled_back")).toBe("failed, rolled back");
    expect(outcomeWords("something_new")).toBe("something new");
    expect(outcomeTone("error")).toBe("destructive");
    expect(outcomeSentence("updated", "updated reg/app:1")).toBe("Updated: updated reg/app:1");
    expect(outcomeSentence(null)).toBe("");
  });
});

describe("the compose field a runtime failure points at", () => {
  const text = "name: s\nservices:\n  web:\n    image: app:1\n    ports:\n      - \"8081:81\"\n      - \"8080:80\"\n";

  it("is marked at its line", () => {
    expect(fieldPath("services.web.ports[1]")).toEqual(["services", "web", "ports", "1"]);
    expect(locateField(text, "services.web.ports[1]", "Port 8080 is already allocated")?.line).toBe(7);
    expect(locateField(text, "services.web.image", "not found")?.line).toBe(4);
    expect(locateField(text, null, "x")).toBeNull();
  });
});
