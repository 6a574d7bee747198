import { describe, expect, it } from "vitest";

import { lineOfPath, locateError } from "@/lib/yaml-errors";

const COMPOSE = `name: web
services:
  # the app
  web:
    image: 127.0.0.1:5000/sdmd-test/app:1
    foo: 1
    ports:
      - "8080:80"
      - "abc"
    environment: 5
  db:
    image: postgres
`;

describe("locateError", () => {
  it("takes the offending spot of a ruamel error, not the enclosing block", () => {
    const details = 'YAML: while parsing a block mapping\n  in "<unicode string>", line 3, column 3:\n'
      + "expected <block end>, but found '<block mapping start>'\n  in \"<unicode string>\", line 5, column 4:";
    expect(locateError(COMPOSE, "invalid compose file", details)).toMatchObject({ line: 5, column: 4 });
  });

  it("finds an additional property compose rejects", () => {
    const e = locateError(COMPOSE, "invalid compose file",
      "validating /tmp/x/compose.yaml: services.web Additional property foo is not allowed");
    expect(e?.line).toBe(6);
    expect(e?.message).toContain("Additional property foo");
  });

  it("finds a key path", () => {
    expect(locateError(COMPOSE, "invalid compose file",
      "validating /tmp/x: services.web.environment must be a mapping")?.line).toBe(10);
  });

  it("falls back to the offending value when it is on one line", () => {
    expect(locateError(COMPOSE, "invalid compose file", "Invalid containerPort: abc")?.line).toBe(9);
  });

  it("clamps a line past the end and gives up when nothing points anywhere", () => {
    expect(locateError("a: 1\n", "invalid", "yaml: line 40: bad")?.line).toBe(2);
    expect(locateError(COMPOSE, "compose up failed", "Error response from daemon")).toBeNull();
  });
});

describe("lineOfPath", () => {
  it("walks nested keys and sequence items, skipping siblings", () => {
    expect(lineOfPath(COMPOSE, ["services", "db", "image"])).toBe(12);
    expect(lineOfPath(COMPOSE, ["services", "web", "ports", "1"])).toBe(9);
    expect(lineOfPath(COMPOSE, ["services", "db", "ports"])).toBe(11);
  });
});
