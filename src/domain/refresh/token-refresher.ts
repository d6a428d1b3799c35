/**
 * The TokenRefresher port: exactly one refresh per credential at the provider, across replicas.
 *
 *  1. in-process single-flight per credential id (one replica, many callers → one attempt);
 *  2. a Postgres lease row with an owner and an expiry (many replicas → one attempt); a replica
 *     that does not get the lease polls the row until the winner's write shows up. The holder
 *     renews the lease (heartbeat) for as long as it works, since decrypting, the provider call,
 *     encrypting (Vault) and the write can together outlast any fixed expiry; and it re-extends
 *     the lease, owner-checked, right before sending, so it never sends without holding it;
 *  3. after taking the lease, re-read the row and refresh only if still needed;
 *  4. write with the version check; the new (possibly rotated) refresh token is persisted before
 *     any caller is answered, and the old one is kept when the provider sends none.
 *
 * A refresh that timed out may have been processed (and the refresh token rotated) at the
 * provider: it is recorded as in doubt and not retried blindly — no retry within the call, and
 * nobody retries before a backoff has passed. The same holds for an attempt whose owner lost the
 * lease (or died) before recording the outcome: the lease row says an attempt was sent, and a
 * replica taking the lease over backs off instead of sending the possibly spent token again.
 *
 * A caller asking for more validity than the provider's tokens ever have (min_valid_seconds above
 * the token lifetime) gets FAILED_PRECONDITION rather than a shorter token, and does not cause a
 * refresh while the current token is unexpired: the lifetime of the last refresh (its expiry minus
 * the lease row's last_refresh_at) tells in advance that a new token would not be long enough.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { CredentialRow, TokenUpdate } from "../credentials/credential.js";
import type { TokenRefresher } from "../credentials/ports.js";
import { FailedPrecondition, NeedsReauth, NotFound, Unavailable, isDomainError } from "../errors.js";
import type { ProviderRegistry, ResolvedProvider } from "../../providers/types.js";
import type { SecretStore } from "../../secrets/secret-store.js";
import { rowContext } from "../../secrets/secret-store.js";
import type { Logger } from "../../observability/logger.js";
import type { CredentialStore, RefreshLeases, RefreshState, RevocationOutbox } from "../oauth/ports.js";
import { ProviderUnreachable, send, type Fetch, type ProviderRequest } from "../oauth/provider-http.js";
import {
  clientCredentialsGrantRequest,
  isReauthError,
  processTokenResponse,
  refreshTokenGrantRequest,
  type TokenSet,
} from "../oauth/token-endpoint.js";
import { SingleFlight } from "./single-flight.js";

export interface TokenRefresherDeps {
  registry: ProviderRegistry;
  credentials: CredentialStore;
  leases: RefreshLeases;
  /** Where tokens issued for a credential deleted during the refresh go to be revoked. */
  revocations?: RevocationOutbox;
  secrets: SecretStore;
  fetch: Fetch;
  clock: () => Date;
  log: Logger;
  providerTimeoutMs: number;
  /**
   * Lease length (default 2 × providerTimeoutMs + 10 s), renewed every third of it while a refresh
   * runs. Keep it above providerTimeoutMs: it is re-extended to this length right before sending.
   */
  leaseMs?: number;
  /** Owner name of this replica's leases (default: host, pid and a random suffix). */
  owner?: string;
  /** How often a replica that lost the lease re-reads the row (default 50 ms). */
  pollMs?: number;
  /** Backoff after a provider failure (default 5 s), and after an in-doubt timeout (default 60 s). */
  failureBackoffMs?: number;
  inDoubtBackoffMs?: number;
}

export function needsRefresh(row: CredentialRow, minValidSeconds: number, now: Date): boolean {
  if (row.accessTokenExpiresAt === null) return false;
  return row.accessTokenExpiresAt.getTime() - now.getTime() < minValidSeconds * 1000;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type RefreshOptions = { force: boolean; minValidSeconds: number };

/** How long the provider's last tokens lived, when the last write was a refresh we know the time of. */
function lastLifetimeMs(row: CredentialRow, state: RefreshState | undefined): number | undefined {
  if (!row.accessTokenExpiresAt || !state?.lastRefreshAt) return undefined;
  const ms = row.accessTokenExpiresAt.getTime() - state.lastRefreshAt.getTime();
  return ms > 0 ? ms : undefined;
}

function tooLongAsked(row: CredentialRow, lifetimeMs: number, minValidSeconds: number): FailedPrecondition {
  return new FailedPrecondition(
    `the provider's tokens for credential ${row.id} live about ${Math.round(lifetimeMs / 1000)} s; ` +
      `min_valid_seconds ${minValidSeconds} cannot be met`,
  );
}

export function createTokenRefresher(deps: TokenRefresherDeps): TokenRefresher {
  const owner = deps.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  const pollMs = deps.pollMs ?? 50;
  // Re-extended right before the provider call, so it outlives the call even without the heartbeat.
  const leaseMs = deps.leaseMs ?? deps.providerTimeoutMs * 2 + 10_000;
  const failureBackoffMs = deps.failureBackoffMs ?? 5_000;
  const inDoubtBackoffMs = deps.inDoubtBackoffMs ?? 60_000;
  const flights = new SingleFlight<CredentialRow>();

  const context = (row: CredentialRow) => rowContext("credential", row.userId, row.id);
  const refreshContext = (row: CredentialRow) => rowContext("credential", row.userId, row.id, "refresh_token");

  async function reread(id: string): Promise<CredentialRow> {
    const row = await deps.credentials.getById(id);
    if (!row) throw new NotFound("credential");
    return row;
  }

  /**
   * Throws FailedPrecondition when a non-forced request asks for more validity than the provider's
   * tokens live and the current token is not expired yet: a refresh would not satisfy it either.
   */
  function refuseUnreachable(row: CredentialRow, state: RefreshState | undefined, opts: RefreshOptions): void {
    if (opts.force || !row.accessTokenExpiresAt || row.accessTokenExpiresAt <= deps.clock()) return;
    const lifetime = lastLifetimeMs(row, state);
    if (lifetime !== undefined && lifetime < opts.minValidSeconds * 1000) throw tooLongAsked(row, lifetime, opts.minValidSeconds);
  }

  /** The same, reading the lease row only when the answer could be a refusal. */
  async function refuseUnreachableNow(row: CredentialRow, opts: RefreshOptions): Promise<void> {
    if (opts.force || !row.accessTokenExpiresAt || row.accessTokenExpiresAt <= deps.clock()) return;
    refuseUnreachable(row, await deps.leases.state(row.id), opts);
  }

  function satisfied(row: CredentialRow, seen: CredentialRow, opts: RefreshOptions): boolean {
    if (row.status === "needs_reauth") throw new NeedsReauth(row.id);
    if (row.status === "revoked") throw new FailedPrecondition(`credential ${row.id} is revoked`);
    // Forced: any newer version than the caller saw is a refresh that happened after the request.
    if (opts.force) return row.version > seen.version;
    return !needsRefresh(row, opts.minValidSeconds, deps.clock());
  }

  /** The token request, and whether sending it may spend (rotate) the stored refresh token. */
  async function tokenRequest(p: ResolvedProvider, row: CredentialRow): Promise<{ req: ProviderRequest; spendsRefreshToken: boolean }> {
    if (p.definition.oauth!.grant === "client_credentials") {
      return { req: clientCredentialsGrantRequest(p, row.scopes), spendsRefreshToken: false };
    }
    const refreshToken = (await deps.secrets.decrypt(row.refreshTokenCiphertext!, refreshContext(row))).toString("utf8");
    return { req: refreshTokenGrantRequest(p, refreshToken), spendsRefreshToken: true };
  }

  /** Hands tokens issued for a row that no longer exists to the revocation outbox (as the revoker would). */
  async function queueRevocation(p: ResolvedProvider, row: CredentialRow, issued: { access: string; refresh: string | undefined }): Promise<void> {
    const revoke = p.definition.oauth?.revoke;
    if (!revoke || !deps.revocations) {
      deps.log.warn({ credentialId: row.id, provider: row.provider }, "credential deleted during refresh; new tokens cannot be revoked");
      return;
    }
    // Revoking the new refresh token ends the grant; without a new one, the old one was the
    // delete's to revoke, and the new access token is what is left.
    const useRefresh = revoke.token === "refresh_token" && issued.refresh !== undefined;
    try {
      await deps.revocations.enqueue({
        credentialId: row.id,
        userId: row.userId,
        provider: row.provider,
        tokenKind: useRefresh ? "refresh_token" : "access_token",
        tokenCiphertext: useRefresh ? issued.refresh! : issued.access,
        error: "credential deleted during refresh",
        retryAt: deps.clock(),
      });
      deps.log.warn({ credentialId: row.id, provider: row.provider }, "credential deleted during refresh; new tokens queued for revocation");
    } catch (err) {
      deps.log.error({ credentialId: row.id, err: (err as Error).message }, "could not queue revocation of tokens issued during a delete");
    }
  }

  /** Renews the lease every third of its length until stopped; a lost lease is logged once. */
  function heartbeat(id: string): () => void {
    let lost = false;
    let renewing = false;
    const timer = setInterval(() => {
      if (renewing) return;
      renewing = true;
      deps.leases
        .renew(id, owner, leaseMs)
        .then(
          (held) => {
            if (!held && !lost) deps.log.warn({ credentialId: id }, "refresh lease lost while refreshing");
            lost ||= !held;
          },
          (err) => deps.log.warn({ credentialId: id, err: (err as Error).message }, "refresh lease renewal failed"),
        )
        .finally(() => (renewing = false));
    }, Math.max(10, Math.floor(leaseMs / 3)));
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * The provider refused the refresh token. If our row is still current the credential needs
   * re-authorization; if the row moved on meanwhile (refreshed elsewhere, re-authorized), our token
   * was stale rather than dead, and the newer row stands.
   */
  async function markNeedsReauth(row: CredentialRow, cause?: unknown): Promise<CredentialRow> {
    if (await deps.credentials.setStatus(row.id, row.version, "needs_reauth")) throw new NeedsReauth(row.id, { cause });
    const newer = await reread(row.id);
    if (newer.status === "needs_reauth") throw new NeedsReauth(row.id, { cause });
    if (newer.status === "revoked") throw new FailedPrecondition(`credential ${row.id} is revoked`);
    deps.log.warn({ credentialId: row.id, version: newer.version }, "refresh refused, but the row moved on meanwhile; keeping the newer row");
    return newer;
  }

  /** Runs under the lease with a freshly read row that still needs a refresh. */
  async function refreshAtProvider(row: CredentialRow, opts: RefreshOptions): Promise<CredentialRow> {
    const p = deps.registry.resolve(row.provider);
    const oauth = p?.definition.oauth;
    if (!p || !oauth || !p.client) throw new FailedPrecondition(`provider ${row.provider} is not configured for OAuth`);
    const canRefresh = oauth.grant === "client_credentials" || (oauth.refresh && row.refreshTokenCiphertext !== null);
    if (!canRefresh) {
      // No way to renew: an expired token means the user has to authorize again.
      if (row.accessTokenExpiresAt && row.accessTokenExpiresAt <= deps.clock()) return markNeedsReauth(row);
      throw new FailedPrecondition(`credential ${row.id} cannot be refreshed`);
    }
    const backoff = await deps.leases.state(row.id);
    refuseUnreachable(row, backoff, opts);
    if (backoff?.attemptStartedAt) {
      // A previous holder sent a refresh and lost the lease (or died) before recording the outcome:
      // the provider may have rotated the refresh token we would send. Back off as for a timeout.
      const now = deps.clock();
      const retryAt = new Date(now.getTime() + inDoubtBackoffMs);
      await deps.leases.recordFailure(row.id, { error: "attempt abandoned (in doubt)", inDoubt: true, at: now, retryAt });
      deps.log.warn({ credentialId: row.id, provider: row.provider }, "took over a lease with an unfinished refresh attempt; backing off");
      throw new Unavailable(row.provider, { detail: "an earlier refresh attempt is in doubt; retry later" });
    }
    if (backoff?.nextAttemptAt && backoff.nextAttemptAt > deps.clock()) {
      throw new Unavailable(row.provider, { detail: "a recent refresh failed; retry later" });
    }

    const { req, spendsRefreshToken } = await tokenRequest(p, row);
    // Extends the lease to its full length, owner-checked, and records the attempt: never send
    // without holding the lease, and never let a successor resend a token this call may spend.
    if (spendsRefreshToken && !(await deps.leases.beginAttempt(row.id, owner, leaseMs))) {
      throw new Unavailable("refresh lease", { detail: "lost the refresh lease before sending; retry" });
    }
    let tokens: TokenSet;
    let issuedAt: Date;
    try {
      const res = await send(p.summary.name, req, { fetch: deps.fetch, timeoutMs: deps.providerTimeoutMs });
      issuedAt = deps.clock();
      tokens = processTokenResponse(p, res, issuedAt);
    } catch (err) {
      const now = deps.clock();
      if (isReauthError(p, err)) {
        await deps.leases.recordFailure(row.id, { error: err.error, inDoubt: false, at: now, retryAt: now });
        deps.log.warn({ credentialId: row.id, provider: row.provider, error: err.error }, "refresh refused: needs re-authorization");
        return markNeedsReauth(row, err);
      }
      const inDoubt = err instanceof ProviderUnreachable && err.inDoubt;
      const retryAt = new Date(now.getTime() + (inDoubt ? inDoubtBackoffMs : failureBackoffMs));
      const code = isDomainError(err) ? err.code : "internal";
      await deps.leases.recordFailure(row.id, { error: inDoubt ? "timeout (in doubt)" : code, inDoubt, at: now, retryAt });
      deps.log.warn({ credentialId: row.id, provider: row.provider, inDoubt, err: (err as Error).message }, "refresh failed");
      throw err;
    }

    let written: CredentialRow | undefined;
    let secret: string | undefined;
    let refresh: string | undefined;
    try {
      [secret, refresh] = await deps.secrets.encryptBatch([
        { plaintext: Buffer.from(tokens.accessToken, "utf8"), context: context(row) },
        ...(tokens.refreshToken ? [{ plaintext: Buffer.from(tokens.refreshToken, "utf8"), context: refreshContext(row) }] : []),
      ]);
      const update: TokenUpdate = { secretCiphertext: secret!, accessTokenExpiresAt: tokens.expiresAt };
      // No refresh token in the answer: keep the stored one (non-rotating providers).
      if (refresh) update.refreshTokenCiphertext = refresh;
      if (tokens.scopes) update.scopes = tokens.scopes;
      written = await deps.credentials.replaceTokens(row.id, row.version, update);
    } catch (err) {
      // The provider answered but the new tokens could not be stored: the old refresh token may be spent.
      const now = deps.clock();
      const retryAt = new Date(now.getTime() + inDoubtBackoffMs);
      await deps.leases
        .recordFailure(row.id, { error: "new tokens not stored (in doubt)", inDoubt: true, at: now, retryAt })
        .catch((e) => deps.log.warn({ credentialId: row.id, err: (e as Error).message }, "could not record the failure"));
      throw err;
    }
    if (!written) {
      const newer = await deps.credentials.getById(row.id);
      if (!newer) {
        // Deleted while we refreshed: the tokens just issued would stay live at the provider.
        await queueRevocation(p, row, { access: secret!, refresh });
        throw new NotFound("credential");
      }
      // Someone else wrote under our lease (a re-authorization): theirs is newer; ours is dropped.
      deps.log.error({ credentialId: row.id }, "credential changed during refresh; keeping the newer row");
      const now = deps.clock();
      await deps.leases.recordFailure(row.id, { error: "superseded by a newer write", inDoubt: false, at: now, retryAt: now });
      return newer;
    }
    // The time the expiry was computed from, so expiry minus last_refresh_at is the token lifetime.
    await deps.leases.recordSuccess(row.id, issuedAt);
    deps.log.info({ credentialId: row.id, provider: row.provider, version: written.version }, "credential refreshed");
    return written;
  }

  async function coordinated(seen: CredentialRow, opts: RefreshOptions): Promise<CredentialRow> {
    const deadline = Date.now() + leaseMs + deps.providerTimeoutMs;
    for (;;) {
      if (await deps.leases.acquire(seen.id, owner, leaseMs)) {
        const stopHeartbeat = heartbeat(seen.id);
        try {
          const fresh = await reread(seen.id);
          if (satisfied(fresh, seen, opts)) return fresh;
          return await refreshAtProvider(fresh, opts);
        } finally {
          stopHeartbeat();
          await deps.leases.release(seen.id, owner).catch((err) => deps.log.warn({ err }, "lease release failed"));
        }
      }
      // Another replica holds the lease: wait for its write rather than refreshing again.
      await sleep(pollMs / 2 + Math.random() * pollMs);
      const current = await reread(seen.id);
      // Any write by the winner ends the wait; the caller re-checks the row against its own ask.
      if (current.version !== seen.version) {
        satisfied(current, seen, opts);
        return current;
      }
      if (Date.now() > deadline) throw new Unavailable("refresh lease", { detail: "another replica holds the refresh lease" });
    }
  }

  return {
    async refresh(row, opts) {
      if (row.kind !== "oauth2") throw new FailedPrecondition(`credential ${row.id} is not an OAuth credential`);
      if (row.status === "needs_reauth") throw new NeedsReauth(row.id);
      if (!opts.force && !needsRefresh(row, opts.minValidSeconds, deps.clock())) return row;
      await refuseUnreachableNow(row, opts);
      let seen = row;
      for (let round = 0; ; round++) {
        const result = await flights.run(row.id, () => coordinated(seen, opts));
        if (opts.force) {
          if (result.version > row.version) return result;
          // Joined a non-forced flight that found the token valid: a forced refresh still owes one.
          if (round >= 2) throw new Unavailable("refresh", { detail: "could not start a forced refresh; retry" });
          seen = result;
          continue;
        }
        if (!needsRefresh(result, opts.minValidSeconds, deps.clock())) return result;
        // The flight (ours, or one we joined that asked for less) did not give this caller enough.
        await refuseUnreachableNow(result, opts);
        if (round >= 2) throw new FailedPrecondition(`credential ${row.id}: min_valid_seconds ${opts.minValidSeconds} cannot be met`);
        seen = result;
      }
    },
  };
}
