import { describe, expect, it } from "vitest";

import { ApiError, errorFromBody, errorFromException, errorFromResponse } from "@/lib/api/errors";

describe("errorFromBody", () => {
  it("takes sdmd's {error, details}", () => {
    const e = errorFromBody(409, { error: "service changed meanwhile", details: "reload it" });
    expect(e.message).toBe("service changed meanwhile");
    expect(e.details).toBe("reload it");
    expect(e.status).toBe(409);
    expect(e.retryable).toBe(false);
    expect(e.field).toBeNull();
    expect(e.unanswered).toBe(false);
  });

  it("keeps the compose field a runtime failure points at", () => {
    const e = errorFromBody(422, { error: "Port 8080 is already allocated", details: "raw", field: "services.web.ports[1]" });
    expect(e.field).toBe("services.web.ports[1]");
  });

  it("words a FastAPI {detail} and keeps the detail as technical details", () => {
    const e = errorFromBody(422, { detail: [{ loc: ["body"], msg: "bad" }] });
    expect(e.message).toBe("invalid input");
    expect(e.details).toContain("bad");
  });

  it("never shows an HTML error page as details", () => {
    const e = errorFromBody(502, "<html><body>Bad Gateway</body></html>", "Bad Gateway");
    expect(e.message).toBe("upstream error");
    expect(e.details).toBe("HTTP 502 Bad Gateway");
    expect(e.retryable).toBe(true);
  });
});

describe("errorFromResponse", () => {
  it("reads a JSON body", async () => {
    const e = await errorFromResponse(new Response(JSON.stringify({ error: "service not found", details: "x" }),
      { status: 404 }));
    expect([e.message, e.details, e.status]).toEqual(["service not found", "x", 404]);
  });

  it("keeps a plain-text body as details", async () => {
    const e = await errorFromResponse(new Response("boom", { status: 500 }));
    expect([e.message, e.details]).toEqual(["internal error", "boom"]);
  });
});

describe("errorFromException", () => {
  it("tells timeouts from unreachable servers, both retryable", () => {
    const timeout = errorFromException(new DOMException("signal timed out", "TimeoutError"));
    expect(timeout.kind).toBe("timeout");
    expect(timeout.retryable).toBe(true);
    const network = errorFromException(new TypeError("Failed to fetch"));
    expect(network.kind).toBe("network");
    expect(network.message).toBe("sdmd does not answer: the server may be down or restarting");
    expect(network.unanswered).toBe(true);
    expect(network.details).toBe("Failed to fetch");
  });

  it("passes an ApiError through", () => {
    const e = new ApiError("x", { status: 418 });
    expect(errorFromException(e)).toBe(e);
  });
});
