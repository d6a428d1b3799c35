/**
 * The closed set of errors domain code throws. They know nothing of gRPC or HTTP:
 * transports map them through one table each (transport/grpc/status-map.ts, transport/http/status-map.ts).
 *
 * `message` is safe for the wire: it must never carry secret material. `cause` is for logs only.
 */
export type DomainErrorCode =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "needs_reauth"
  | "unauthenticated"
  | "permission_denied"
  | "unavailable"
  | "resource_exhausted"
  | "internal";

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input. `field` names the offending request field (snake_case, as in the proto). */
export class InvalidArgument extends DomainError {
  readonly code = "invalid_argument";
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** The row does not exist, or belongs to another user: the two are indistinguishable on purpose. */
export class NotFound extends DomainError {
  readonly code = "not_found";
  constructor(what: string) {
    super(`${what} not found`);
  }
}

export class AlreadyExists extends DomainError {
  readonly code = "already_exists";
}

export class FailedPrecondition extends DomainError {
  readonly code = "failed_precondition";
}

/** The credential's refresh token is dead; the user must authorize again. Maps to FAILED_PRECONDITION. */
export class NeedsReauth extends DomainError {
  readonly code = "needs_reauth";
  constructor(credentialId: string, options?: { cause?: unknown }) {
    super(`credential ${credentialId} needs re-authorization`, options);
  }
}

export class Unauthenticated extends DomainError {
  readonly code = "unauthenticated";
}

export class PermissionDenied extends DomainError {
  readonly code = "permission_denied";
}

/** A dependency (postgres, vault, a provider) cannot be reached. Safe to retry. */
export class Unavailable extends DomainError {
  readonly code = "unavailable";
  constructor(
    readonly dependency: string,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(`${dependency} unavailable${options?.detail ? `: ${options.detail}` : ""}`, options);
  }
}

export class ResourceExhausted extends DomainError {
  readonly code = "resource_exhausted";
}

/** A bug or an unexpected state. The wire message is fixed; details go to the log through `cause`. */
export class Internal extends DomainError {
  readonly code = "internal";
  constructor(options?: { cause?: unknown }) {
    super("internal error", options);
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
