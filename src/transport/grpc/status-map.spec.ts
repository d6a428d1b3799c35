import { Writable } from "node:stream";
import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import * as errors from "../../domain/errors.js";
import { createLogger } from "../../observability/logger.js";
import { GRPC_CODE, toWireError } from "./status-map.js";

function capture() {
  let text = "";
  const destination = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  return { log: createLogger({ level: "debug", destination }), text: () => text };
}

describe("gRPC status map", () => {
  it("maps every domain error class to the contract's code", () => {
    const { log } = capture();
    const cases: Array<[errors.DomainError, status]> = [
      [new errors.InvalidArgument("user_id", "too long"), status.INVALID_ARGUMENT],
      [new errors.NotFound("credential"), status.NOT_FOUND],
      [new errors.AlreadyExists("exists"), status.ALREADY_EXISTS],
      [new errors.FailedPrecondition("state"), status.FAILED_PRECONDITION],
      [new errors.NeedsReauth("c1"), status.FAILED_PRECONDITION],
      [new errors.Unauthenticated("who"), status.UNAUTHENTICATED],
      [new errors.PermissionDenied("no"), status.PERMISSION_DENIED],
      [new errors.Unavailable("vault"), status.UNAVAILABLE],
      [new errors.ResourceExhausted("big"), status.RESOURCE_EXHAUSTED],
      [new errors.Internal(), status.INTERNAL],
    ];
    for (const [err, code] of cases) expect(toWireError(err, log).code).toBe(code);
    expect(Object.keys(GRPC_CODE)).toHaveLength(cases.length);
  });

  it("names the invalid field", () => {
    expect(toWireError(new errors.InvalidArgument("page_size", "must be positive"), capture().log)).toEqual({
      code: status.INVALID_ARGUMENT,
      message: "page_size: must be positive",
      field: "page_size",
    });
  });

  it("turns unknown errors and Internal into 'internal error', logging the cause only", () => {
    const { log, text } = capture();
    expect(toWireError(new TypeError("x is undefined at secret-row"), log)).toEqual({ code: status.INTERNAL, message: "internal error" });
    expect(toWireError(new errors.Internal({ cause: new Error("pg: relation missing") }), log).message).toBe("internal error");
    expect(text()).toContain("x is undefined at secret-row");
    expect(text()).toContain("pg: relation missing");
  });
});
