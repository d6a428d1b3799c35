/**
 * A provider's OAuth error answer (RFC 6749 §5.2), as fields so callers never parse messages
 * (after oauth4webapi's ResponseBodyError). It is a FailedPrecondition: the request was well formed
 * but the provider refused it. `description` is the provider's text: kept for logs, not put on the wire.
 */
import { FailedPrecondition } from "../errors.js";

export class ProviderOAuthError extends FailedPrecondition {
  readonly description: string | undefined;
  constructor(
    readonly provider: string,
    readonly error: string,
    readonly status: number,
    description?: string,
  ) {
    super(`${provider} refused the request: ${error}`);
    this.description = description;
  }
}
