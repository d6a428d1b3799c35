/**
 * The TokenRefresher port: exactly one refresh per credential at the provider, across replicas.
 *
 *  1. in-process single-flight per credential id (one replica, many callers → one attempt);
 *  2. a Postgres lease row with an owner and an expiry (many replicas → one attempt); a replica
 *     that does not get the lease polls the row until the winner's write shows up;
 *  3. after taking the lease, re-read the row and refresh only if still needed;
 *  4. write with the version check; the new (possibly rotated) refresh token is persisted before
 *     any caller is answered, and the old one is kept when the provider sends none.
 *
 * A refresh that timed out may have been processed (and the refresh token rotated) at the
 * provider: it is recorded as in doubt and not retried blindly — no retry within the call, and
 * nobody retries before a backoff has passed.
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
import type { CredentialStore, RefreshLeases } from "../oauth/ports.js";
import { ProviderUnreachable, send, type Fetch } from "../oauth/provider-http.js";
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
  secrets: SecretStore;
  fetch: Fetch;
  clock: () => Date;
  log: Logger;
  providerTimeoutMs: number;
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

export function createTokenRefresher(deps: TokenRefresherDeps): TokenRefresher {
  const owner = deps.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  const pollMs = deps.pollMs ?? 50;
  // The lease outlives the provider call so it cannot lapse while a refresh is in flight.
  const leaseMs = deps.providerTimeoutMs * 2 + 10_000;
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

  function satisfied(row: CredentialRow, seen: CredentialRow, opts: { force: boolean; minValidSeconds: number }): boolean {
    if (row.status === "needs_reauth") throw new NeedsReauth(row.id);
    if (row.status === "revoked") throw new FailedPrecondition(`credential ${row.id} is revoked`);
    // Forced: any newer version than the caller saw is a refresh that happened after the request.
    if (opts.force) return row.version > seen.version;
    return !needsRefresh(row, opts.minValidSeconds, deps.clock());
  }

  async function exchange(p: ResolvedProvider, row: CredentialRow): Promise<TokenSet> {
    const oauth = p.definition.oauth!;
    const http = { fetch: deps.fetch, timeoutMs: deps.providerTimeoutMs };
    if (oauth.grant === "client_credentials") {
      const res = await send(p.summary.name, clientCredentialsGrantRequest(p, row.scopes), http);
      return processTokenResponse(p, res, deps.clock());
    }
    const refreshToken = (await deps.secrets.decrypt(row.refreshTokenCiphertext!, refreshContext(row))).toString("utf8");
    const res = await send(p.summary.name, refreshTokenGrantRequest(p, refreshToken), http);
    return processTokenResponse(p, res, deps.clock());
  }

  /** Runs under the lease with a freshly read row that still needs a refresh. */
  async function refreshAtProvider(row: CredentialRow): Promise<CredentialRow> {
    const p = deps.registry.resolve(row.provider);
    const oauth = p?.definition.oauth;
    if (!p || !oauth || !p.client) throw new FailedPrecondition(`provider ${row.provider} is not configured for OAuth`);
    const canRefresh = oauth.grant === "client_credentials" || (oauth.refresh && row.refreshTokenCiphertext !== null);
    if (!canRefresh) {
      // No way to renew: an expired token means the user has to authorize again.
      if (row.accessTokenExpiresAt && row.accessTokenExpiresAt <= deps.clock()) {
        await deps.credentials.setStatus(row.id, row.version, "needs_reauth");
        throw new NeedsReauth(row.id);
      }
      throw new FailedPrecondition(`credential ${row.id} cannot be refreshed`);
    }
    const backoff = await deps.leases.state(row.id);
    if (backoff?.nextAttemptAt && backoff.nextAttemptAt > deps.clock()) {
      throw new Unavailable(row.provider, { detail: "a recent refresh failed; retry later" });
    }

    let tokens: TokenSet;
    try {
      tokens = await exchange(p, row);
    } catch (err) {
      const now = deps.clock();
      if (isReauthError(p, err)) {
        await deps.credentials.setStatus(row.id, row.version, "needs_reauth");
        deps.log.warn({ credentialId: row.id, provider: row.provider, error: err.error }, "refresh refused: needs re-authorization");
        throw new NeedsReauth(row.id, { cause: err });
      }
      const inDoubt = err instanceof ProviderUnreachable && err.inDoubt;
      const retryAt = new Date(now.getTime() + (inDoubt ? inDoubtBackoffMs : failureBackoffMs));
      const code = isDomainError(err) ? err.code : "internal";
      await deps.leases.recordFailure(row.id, { error: inDoubt ? "timeout (in doubt)" : code, inDoubt, at: now, retryAt });
      deps.log.warn({ credentialId: row.id, provider: row.provider, inDoubt, err: (err as Error).message }, "refresh failed");
      throw err;
    }

    const [secret, refresh] = await deps.secrets.encryptBatch([
      { plaintext: Buffer.from(tokens.accessToken, "utf8"), context: context(row) },
      ...(tokens.refreshToken ? [{ plaintext: Buffer.from(tokens.refreshToken, "utf8"), context: refreshContext(row) }] : []),
    ]);
    const update: TokenUpdate = { secretCiphertext: secret!, accessTokenExpiresAt: tokens.expiresAt };
    // No refresh token in the answer: keep the stored one (non-rotating providers).
    if (refresh) update.refreshTokenCiphertext = refresh;
    if (tokens.scopes) update.scopes = tokens.scopes;
    const written = await deps.credentials.replaceTokens(row.id, row.version, update);
    if (!written) {
      // Someone else wrote under our lease (a re-authorization): theirs is newer; ours is dropped.
      deps.log.error({ credentialId: row.id }, "credential changed during refresh; keeping the newer row");
      return reread(row.id);
    }
    await deps.leases.recordSuccess(row.id, deps.clock());
    deps.log.info({ credentialId: row.id, provider: row.provider, version: written.version }, "credential refreshed");
    return written;
  }

  async function coordinated(seen: CredentialRow, opts: { force: boolean; minValidSeconds: number }): Promise<CredentialRow> {
    const deadline = Date.now() + leaseMs + deps.providerTimeoutMs;
    for (;;) {
      if (await deps.leases.acquire(seen.id, owner, leaseMs)) {
        try {
          const fresh = await reread(seen.id);
          if (satisfied(fresh, seen, opts)) return fresh;
          return await refreshAtProvider(fresh);
        } finally {
          await deps.leases.release(seen.id, owner).catch((err) => deps.log.warn({ err }, "lease release failed"));
        }
      }
      // Another replica holds the lease: wait for its write rather than refreshing again.
      await sleep(pollMs / 2 + Math.random() * pollMs);
      const current = await reread(seen.id);
      if (current.version !== seen.version && satisfied(current, seen, opts)) return current;
      if (Date.now() > deadline) throw new Unavailable("refresh lease", { detail: "another replica holds the refresh lease" });
    }
  }

  return {
    async refresh(row, opts) {
      if (row.kind !== "oauth2") throw new FailedPrecondition(`credential ${row.id} is not an OAuth credential`);
      if (row.status === "needs_reauth") throw new NeedsReauth(row.id);
      if (!opts.force && !needsRefresh(row, opts.minValidSeconds, deps.clock())) return row;
      const result = await flights.run(row.id, () => coordinated(row, opts));
      // A joiner may have asked for more validity than the flight's owner; the row is still the newest.
      return result;
    },
  };
}
