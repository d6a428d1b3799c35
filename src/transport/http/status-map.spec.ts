import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import * as errors from "../../domain/errors.js";
import { createLogger } from "../../observability/logger.js";
import { HTTP_STATUS, toHttpError } from "./status-map.js";

const log = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });

describe("HTTP status map", () => {
  it("maps domain errors to statuses, with needs_reauth as 409 and resource_exhausted as 413", () => {
    expect(toHttpError(new errors.InvalidArgument("state", "missing"), log)).toEqual({ status: 400, body: { error: "invalid_argument", message: "state: missing" } });
    expect(toHttpError(new errors.Unauthenticated("bad signature"), log).status).toBe(401);
    expect(toHttpError(new errors.PermissionDenied("no"), log).status).toBe(403);
    expect(toHttpError(new errors.NotFound("webhook"), log).status).toBe(404);
    expect(toHttpError(new errors.AlreadyExists("dup"), log).status).toBe(409);
    expect(toHttpError(new errors.NeedsReauth("c"), log).status).toBe(409);
    expect(toHttpError(new errors.ResourceExhausted("big"), log).status).toBe(413);
    expect(toHttpError(new errors.Unavailable("postgres"), log).status).toBe(503);
    expect(Object.keys(HTTP_STATUS)).toHaveLength(10);
  });

  it("answers 500 'internal error' for anything unexpected", () => {
    expect(toHttpError(new Error("secret in message"), log)).toEqual({ status: 500, body: { error: "internal", message: "internal error" } });
    expect(toHttpError(new errors.Internal({ cause: new Error("x") }), log).body.message).toBe("internal error");
  });
});
