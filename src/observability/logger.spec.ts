import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, redactSecrets } from "./logger.js";

function capture() {
  let text = "";
  const logger = createLogger({
    level: "debug",
    destination: new Writable({
      write(c, _e, cb) {
        text += String(c);
        cb();
      },
    }),
  });
  return { logger, text: () => text };
}

describe("log redaction", () => {
  it("censors secret-named fields at any depth, in arrays and in child bindings", () => {
    const { logger, text } = capture();
    logger.child({ client_secret: "cs-canary" }).info(
      {
        access_token: "at-canary",
        req: { headers: { Authorization: "Bearer bearer-canary", cookie: "sid=cookie-canary" } },
        deep: { a: { b: { c: { refresh_token: "rt-canary" } } } },
        list: [{ api_key: "ak-canary" }],
        keep: "visible",
      },
      "m",
    );
    const out = text();
    for (const canary of ["cs-canary", "at-canary", "bearer-canary", "cookie-canary", "rt-canary", "ak-canary"]) {
      expect(out).not.toContain(canary);
    }
    expect(out).toContain("visible");
    expect(out).toContain("[REDACTED]");
  });

  it("returns objects with nothing to redact unchanged, without copying", () => {
    const line = { method: "x", status: "OK", ms: 1.2, nested: { a: 1 } };
    expect(redactSecrets(line)).toBe(line);
  });

  it("does not modify the caller's object", () => {
    const obj = { token: "t-canary", other: 1 };
    const out = redactSecrets(obj) as Record<string, unknown>;
    expect(out).not.toBe(obj);
    expect(obj.token).toBe("t-canary");
    expect(out.token).toBe("[REDACTED]");
  });
});
