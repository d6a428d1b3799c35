/**
 * The one table from domain errors to gRPC status codes. The Connect routes use it too (Connect's
 * `Code` numbers equal gRPC's), so both internal ports answer the same code for the same error.
 * Anything that is not a DomainError is a bug: it goes out as INTERNAL "internal error" and its
 * details go to the log only.
 */
import { status } from "@grpc/grpc-js";
import { type DomainErrorCode, isDomainError } from "../../domain/errors.js";
import type { Logger } from "../../observability/logger.js";

export const GRPC_CODE: Readonly<Record<DomainErrorCode, status>> = {
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  // The contract: a credential needing re-authorization answers FAILED_PRECONDITION.
  needs_reauth: status.FAILED_PRECONDITION,
  unauthenticated: status.UNAUTHENTICATED,
  permission_denied: status.PERMISSION_DENIED,
  unavailable: status.UNAVAILABLE,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  internal: status.INTERNAL,
};

export const INTERNAL_MESSAGE = "internal error";

export interface WireError {
  code: status;
  message: string;
  /** The proto field (snake_case) an INVALID_ARGUMENT names, if any. */
  field?: string;
}

/**
 * Translates anything thrown by a handler into what goes on the wire, logging what must not.
 * Domain messages are wire-safe by contract; causes are logged, never sent.
 */
export function toWireError(err: unknown, log: Logger): WireError {
  if (isDomainError(err)) {
    const code = GRPC_CODE[err.code];
    if (code === status.INTERNAL) {
      log.error({ err: err.cause ?? err }, "internal error");
      return { code, message: INTERNAL_MESSAGE };
    }
    if (err.cause !== undefined) log.warn({ err: err.cause, error_code: err.code }, err.message);
    const field = (err as { field?: unknown }).field;
    return typeof field === "string" ? { code, message: err.message, field } : { code, message: err.message };
  }
  log.error({ err }, "unexpected error");
  return { code: status.INTERNAL, message: INTERNAL_MESSAGE };
}
