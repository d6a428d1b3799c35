/**
 * What the credentials domain needs from the OAuth side. The token service calls these without
 * knowing any provider; the OAuth module implements them (domain/refresh, domain/oauth).
 */
import type { CredentialRow } from "./credential.js";

export interface TokenRefresher {
  /**
   * Returns a row whose access token is valid for at least `minValidSeconds` (or a forced refresh
   * when `force`). Exactly one refresh per credential at the provider, across replicas; callers
   * that lose the race get the winner's row. Throws NeedsReauth when the provider refuses the
   * refresh token, Unavailable when the provider cannot be reached (the row is left as it was),
   * FailedPrecondition when the provider's tokens live shorter than `minValidSeconds`.
   */
  refresh(row: CredentialRow, opts: { force: boolean; minValidSeconds: number }): Promise<CredentialRow>;
}

export interface TokenRevoker {
  /**
   * Revokes the credential's tokens at the provider. True when the provider confirmed during this
   * call; false when it does not support revocation or is unreachable (then retried later from an
   * outbox). Never throws for provider failures: a delete must not be blocked by a provider outage.
   */
  revoke(row: CredentialRow): Promise<boolean>;
}
