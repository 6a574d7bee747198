import { describe, expect, it } from "vitest";

import type { Host } from "@/lib/api/types";
import {
  createBody, EMPTY_HOST_FORM, hostNames, labelsToText, parseLabels, updateBody, urlKind, validateHostForm,
} from "@/lib/hosts";

const stored: Host = {
  id: "host_1", name: "web1", url: "tcp://10.0.0.5:2376", kind: "tcp", local: false, labels: { site: "fra" },
  state: "connected", state_since: null, last_error: null, engine: null, services: 2,
};

describe("host URLs and labels", () => {
  it("knows the three transports and refuses the rest", () => {
    expect(urlKind("ssh://deploy@web1")).toBe("ssh");
    expect(urlKind(" TCP://10.0.0.5:2376")).toBe("tcp");
    expect(urlKind("unix:///var/run/docker.sock")).toBe("unix");
    expect(urlKind("http://web1:2375")).toBeNull();
    expect(urlKind("web1")).toBeNull();
  });

  it("reads key=value lines and names the bad ones", () => {
    expect(parseLabels("site=fra\n\n role = db \n")).toEqual({ labels: { site: "fra", role: "db" }, errors: [] });
    expect(parseLabels("site\n=x\nsite=a\nsite=b").errors).toEqual([
      "line 1: write key=value", "line 2: write key=value", "line 4: site is given twice",
    ]);
    expect(labelsToText({ a: "1", b: "" })).toBe("a=1\nb=");
  });
});

describe("the host form", () => {
  it("asks for TLS material on tcp:// and a key on ssh://, all three PEMs together", () => {
    expect(validateHostForm({ ...EMPTY_HOST_FORM, name: "Web", url: "http://x" })).toMatchObject({
      name: expect.any(String), url: "unix://, ssh:// or tcp:// only",
    });
    expect(validateHostForm({ ...EMPTY_HOST_FORM, name: "local", url: "unix:///s" }).name).toBe("local is the built-in host");
    expect(validateHostForm({ ...EMPTY_HOST_FORM, name: "db", url: "tcp://h:2376" }).ca).toContain("mutual TLS");
    const partial = validateHostForm({ ...EMPTY_HOST_FORM, name: "db", url: "tcp://h:2376", ca: "CA" });
    expect(Object.keys(partial).sort()).toEqual(["cert", "key"]);
    expect(validateHostForm({ ...EMPTY_HOST_FORM, name: "e", url: "ssh://root@h" }).sshKey).toBeTruthy();
    expect(validateHostForm({ ...EMPTY_HOST_FORM, name: "e", url: "ssh://root@h", sshKey: "K" })).toEqual({});
  });

  it("keeps stored material when editing, unless the kind of URL changes", () => {
    const same = { ...EMPTY_HOST_FORM, name: "web1", url: "tcp://10.0.0.6:2376", labels: "site=fra" };
    expect(validateHostForm(same, stored)).toEqual({});
    expect(validateHostForm({ ...same, url: "ssh://root@h" }, stored).sshKey).toBeTruthy();
  });

  it("sends the material of the URL's kind only, and on edit only what changed", () => {
    const values = { ...EMPTY_HOST_FORM, name: " web1 ", url: "tcp://h:2376", labels: "site=fra", ca: "C", cert: "T", key: "K", sshKey: "S" };
    expect(createBody(values)).toEqual({ name: "web1", url: "tcp://h:2376", labels: { site: "fra" }, tls: { ca: "C", cert: "T", key: "K" } });
    expect(updateBody({ ...EMPTY_HOST_FORM, name: "web1", url: stored.url, labels: "site=fra" }, stored)).toEqual({});
    expect(updateBody({ ...EMPTY_HOST_FORM, name: "web2", url: stored.url, labels: "" }, stored)).toEqual({ name: "web2", labels: {} });
    const ssh = { ...EMPTY_HOST_FORM, name: "web1", url: "ssh://root@h", labels: "site=fra", sshKey: "S", fingerprint: " SHA256:x " };
    expect(updateBody(ssh, stored)).toEqual({ url: "ssh://root@h", ssh_key: "S", fingerprint: "SHA256:x" });
  });

  it("lists local first, then every host a service names", () => {
    expect(hostNames([{ name: "b" }, { name: "local" }], [{ host: "gone" }, { host: null }])).toEqual(["local", "b", "gone"]);
  });
});
