/**
 * The one table from domain errors to HTTP statuses for the HTTP shim (OAuth callback, webhook
 * ingress) and the internal HTTP routes.
 *
 * failed_precondition and needs_reauth → 409 Conflict: the request is well formed but the
 * resource's state forbids it (412 is about conditional request headers, which we never use).
 * resource_exhausted → 413: on the shim it means "body too large"; rate limits are the edge's job.
 */
import type { ServerResponse } from "node:http";
import { type DomainErrorCode, isDomainError } from "../../domain/errors.js";
import type { Logger } from "../../observability/logger.js";

export const HTTP_STATUS: Readonly<Record<DomainErrorCode, number>> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 409,
  needs_reauth: 409,
  resource_exhausted: 413,
  internal: 500,
  unavailable: 503,
};

export interface HttpError {
  status: number;
  /** Stable, wire-safe body: `{ error: code, message }`. */
  body: { error: DomainErrorCode; message: string };
}

/** Maps anything thrown to a status and a safe JSON body; unknown errors are logged and become 500. */
export function toHttpError(err: unknown, log: Logger): HttpError {
  if (isDomainError(err) && err.code !== "internal") {
    if (err.cause !== undefined) log.warn({ err: err.cause, error_code: err.code }, err.message);
    return { status: HTTP_STATUS[err.code], body: { error: err.code, message: err.message } };
  }
  log.error({ err: isDomainError(err) ? (err.cause ?? err) : err }, "internal error");
  return { status: 500, body: { error: "internal", message: "internal error" } };
}

/** Writes a JSON response unless headers already went out (then the socket is all we can close). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Answers an error thrown by a route handler with its mapped status. */
export function sendError(res: ServerResponse, err: unknown, log: Logger): void {
  const { status, body } = toHttpError(err, log);
  sendJson(res, status, body);
}
