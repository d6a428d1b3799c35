/**
 * The TokenRevoker port and the outbox worker behind it. DeleteCredential calls `revoke(row)`
 * before deleting: true when the provider confirmed now; otherwise the (still encrypted) token goes
 * to the outbox and a worker retries with backoff, so a provider outage never blocks a delete.
 */
import type { CredentialRow } from "../credentials/credential.js";
import type { TokenRevoker } from "../credentials/ports.js";
import { isDomainError } from "../errors.js";
import type { ProviderRegistry } from "../../providers/types.js";
import { rowContext, type SecretStore } from "../../secrets/secret-store.js";
import type { Logger } from "../../observability/logger.js";
import type { PendingRevocation, RevocationOutbox } from "../oauth/ports.js";
import { send, type Fetch } from "../oauth/provider-http.js";
import { processRevocationResponse, revocationRequest } from "../oauth/revocation.js";
import { startIntervalWorker, type IntervalWorker } from "../../lib/interval-worker.js";

export interface TokenRevokerDeps {
  registry: ProviderRegistry;
  outbox: RevocationOutbox;
  secrets: SecretStore;
  fetch: Fetch;
  clock: () => Date;
  log: Logger;
  providerTimeoutMs: number;
}

/** 30 s, 1 min, 2 min … capped at 6 h. */
export function revocationBackoffMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 6 * 3600_000);
}

/** After this many attempts (about four days with the backoff above) the revocation is dropped. */
export const MAX_REVOCATION_ATTEMPTS = 20;

/** Queued tokens keep the context they were encrypted with in the credential row. */
export function revocationContext(r: Pick<PendingRevocation, "userId" | "credentialId" | "tokenKind">): string {
  return rowContext("credential", r.userId, r.credentialId, r.tokenKind === "refresh_token" ? "refresh_token" : undefined);
}

async function attempt(deps: TokenRevokerDeps, r: Omit<PendingRevocation, "id" | "attempts">): Promise<void> {
  const p = deps.registry.resolve(r.provider);
  if (!p?.definition.oauth?.revoke || !p.client) throw new Error(`provider ${r.provider} cannot revoke now`);
  const token = (await deps.secrets.decrypt(r.tokenCiphertext, revocationContext(r))).toString("utf8");
  const res = await send(p.summary.name, revocationRequest(p, token, r.tokenKind), {
    fetch: deps.fetch,
    timeoutMs: deps.providerTimeoutMs,
  });
  processRevocationResponse(p, res);
}

const reason = (err: unknown) => (isDomainError(err) ? err.message : "error");

export function createTokenRevoker(deps: TokenRevokerDeps): TokenRevoker {
  return {
    async revoke(row: CredentialRow): Promise<boolean> {
      if (row.kind !== "oauth2") return false;
      const p = deps.registry.resolve(row.provider);
      const revoke = p?.definition.oauth?.revoke;
      if (!p || !revoke || !p.client) return false;
      // Revoking the refresh token ends the grant; fall back to the access token when there is none.
      const useRefresh = revoke.token === "refresh_token" && row.refreshTokenCiphertext !== null;
      const pending = {
        credentialId: row.id,
        userId: row.userId,
        provider: row.provider,
        tokenKind: useRefresh ? ("refresh_token" as const) : ("access_token" as const),
        tokenCiphertext: useRefresh ? row.refreshTokenCiphertext! : row.secretCiphertext,
      };
      try {
        await attempt(deps, pending);
        deps.log.info({ credentialId: row.id, provider: row.provider }, "revoked at provider");
        return true;
      } catch (err) {
        deps.log.warn({ credentialId: row.id, provider: row.provider, err: reason(err) }, "revocation deferred to the outbox");
        try {
          const retryAt = new Date(deps.clock().getTime() + revocationBackoffMs(1));
          await deps.outbox.enqueue({ ...pending, error: reason(err), retryAt });
        } catch (outboxErr) {
          deps.log.error({ credentialId: row.id, err: reason(outboxErr) }, "could not queue revocation");
        }
        return false;
      }
    },
  };
}

/** Works the outbox once: returns how many revocations went through. */
export async function drainRevocations(deps: TokenRevokerDeps, limit = 20): Promise<number> {
  const now = deps.clock();
  const claimed = await deps.outbox.claimDue(now, new Date(now.getTime() + 5 * 60_000), limit);
  let ok = 0;
  for (const r of claimed) {
    try {
      await attempt(deps, r);
      await deps.outbox.done(r.id);
      ok++;
    } catch (err) {
      if (r.attempts + 1 >= MAX_REVOCATION_ATTEMPTS) {
        deps.log.error({ credentialId: r.credentialId, provider: r.provider, err: reason(err) }, "revocation abandoned");
        await deps.outbox.done(r.id);
      } else {
        await deps.outbox.retryLater(r.id, reason(err), new Date(deps.clock().getTime() + revocationBackoffMs(r.attempts + 1)));
      }
    }
  }
  return ok;
}

/** Background worker retrying the outbox every `intervalMs` (default 30 s). */
export function startRevocationWorker(deps: TokenRevokerDeps & { intervalMs?: number }): IntervalWorker {
  return startIntervalWorker({
    intervalMs: deps.intervalMs ?? 30_000,
    run: () => drainRevocations(deps),
    onError: (err) => deps.log.warn({ err: reason(err) }, "revocation worker"),
  });
}
