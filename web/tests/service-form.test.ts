import { describe, expect, it } from "vitest";

import {
  checkPort, EMPTY_FORM, firstErrorField, formToBody, formToYaml, parseEnvironment, splitCommand, validateForm,
} from "@/lib/service-form";

describe("validateForm", () => {
  it("requires a name and an image", () => {
    const errors = validateForm(EMPTY_FORM);
    expect(errors.name).toEqual(["a name is required"]);
    expect(errors.image?.[0]).toMatch(/required/);
    expect(firstErrorField(errors)).toBe("name");
  });

  it("rejects upper case names, bad ports, bad env names, volumes without a target", () => {
    const errors = validateForm({
      ...EMPTY_FORM, name: "Web", image: "nginx", ports: "8080:80\n99999:80", environment: "1BAD=x", volumes: "data",
    });
    expect(Object.keys(errors).sort()).toEqual(["environment", "name", "ports", "volumes"]);
    expect(errors.ports).toEqual(['"99999:80": ports go from 1 to 65535']);
  });

  it("accepts the usual forms", () => {
    expect(validateForm({
      ...EMPTY_FORM, name: "web-1", image: "127.0.0.1:5000/app:1",
      ports: "8080:80\n127.0.0.1:9000:9000/udp\n3000", environment: "A=1\n# comment\nB=x=y", volumes: "data:/data:ro",
      restart: "on-failure:3",
    })).toEqual({});
  });
});

describe("every error of a field", () => {
  it("makes a line without = an error instead of an empty variable", () => {
    const { env, errors } = parseEnvironment("BADLINE");
    expect(env).toEqual({});
    expect(errors).toEqual(['"BADLINE" has no "=": write BADLINE=value (or BADLINE= for an empty value)']);
    expect(parseEnvironment("EMPTY=").env).toEqual({ EMPTY: "" });
  });

  it("lists all of them, with line numbers, not only the first", () => {
    const errors = validateForm({
      ...EMPTY_FORM, name: "web", image: "nginx", ports: "80:80\nx:y\n0:80", environment: "A=1\nBADLINE\n1X=2\nA=3",
      volumes: "one\ntwo",
    });
    expect(errors.environment).toEqual([
      'line 2: "BADLINE" has no "=": write BADLINE=value (or BADLINE= for an empty value)',
      'line 3: "1X" is not a variable name (letters, digits and _, not starting with a digit)',
      "line 4: A is set twice",
    ]);
    expect(errors.ports).toHaveLength(2);
    expect(errors.volumes).toHaveLength(2);
    expect(firstErrorField(errors)).toBe("ports");
  });

  it("names each problem of a name", () => {
    expect(validateForm({ ...EMPTY_FORM, name: `Web${"x".repeat(70)}`, image: "i" }).name).toHaveLength(2);
  });
});

describe("checkPort", () => {
  it.each(["80", "8080:80", "8000-8010:8000-8010", "[::1]:80:80", "127.0.0.1:53:53/udp"])("accepts %s", (p) => {
    expect(checkPort(p)).toBeNull();
  });
  it.each(["a:b", "0:80", "80:80/http", "1.2.3:80:80"])("rejects %s", (p) => {
    expect(checkPort(p)).not.toBeNull();
  });
});

describe("formToBody", () => {
  it("builds sdmd's one-container shorthand and leaves out empty parts", () => {
    expect(formToBody({
      ...EMPTY_FORM, name: " web ", image: "img:1", ports: "8080:80\n", environment: "A=1\nB=", command: "httpd -f -p '8080'",
    })).toEqual({
      name: "web", image: "img:1", ports: ["8080:80"], environment: { A: "1", B: "" }, restart: "unless-stopped",
      command: ["httpd", "-f", "-p", "8080"],
    });
  });

  it("keeps = signs inside values and flags duplicates", () => {
    expect(parseEnvironment("URL=a=b").env).toEqual({ URL: "a=b" });
    expect(parseEnvironment("A=1\nA=2").errors).toEqual(["line 2: A is set twice"]);
  });

  it("splits quoted commands", () => {
    expect(splitCommand(`sh -c "echo hi there"`)).toEqual(["sh", "-c", "echo hi there"]);
  });
});

describe("formToYaml", () => {
  it("gives a compose file to continue in YAML mode", () => {
    const yaml = formToYaml({ ...EMPTY_FORM, name: "web", image: "img:1", ports: "8080:80", environment: "A=1" });
    expect(yaml).toBe(
      'name: web\nservices:\n  web:\n    image: img:1\n    ports:\n      - "8080:80"\n    environment:\n      A: "1"\n'
      + "    restart: unless-stopped\n",
    );
  });
});
