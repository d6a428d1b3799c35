/**
 * Renews tokens shortly before they expire, and refreshes idle refreshable credentials at least
 * every `idleRefreshHours` (refresh tokens of several providers die when unused). It goes through
 * the same TokenRefresher as GetAccessToken, so it never races a caller.
 */
import type { TokenRefresher } from "../credentials/ports.js";
import { isDomainError } from "../errors.js";
import type { ProviderRegistry } from "../../providers/types.js";
import type { Logger } from "../../observability/logger.js";
import type { CredentialStore, RefreshCandidates } from "../oauth/ports.js";
import { startIntervalWorker, type IntervalWorker } from "../../lib/interval-worker.js";

export interface BackgroundRefresherDeps {
  refresher: TokenRefresher;
  candidates: RefreshCandidates;
  credentials: CredentialStore;
  registry: ProviderRegistry;
  clock: () => Date;
  log: Logger;
  refreshMarginSeconds: number;
  idleRefreshHours: number;
  intervalMs?: number;
  batchSize?: number;
}

/** One pass: returns how many credentials were refreshed. */
export async function refreshDueCredentials(deps: BackgroundRefresherDeps): Promise<number> {
  const now = deps.clock();
  const margins = deps.registry.list().map((s) => deps.registry.resolve(s.name)?.definition.oauth?.refresh_margin_seconds ?? 0);
  const window = Math.max(deps.refreshMarginSeconds, ...margins);
  const due = await deps.candidates.due({
    now,
    expiringBefore: new Date(now.getTime() + window * 1000),
    idleBefore: new Date(now.getTime() - deps.idleRefreshHours * 3600_000),
    limit: deps.batchSize ?? 50,
  });
  let refreshed = 0;
  for (const c of due) {
    const row = await deps.credentials.getById(c.id);
    if (!row) continue;
    const margin = deps.registry.resolve(row.provider)?.definition.oauth?.refresh_margin_seconds ?? deps.refreshMarginSeconds;
    try {
      const after = await deps.refresher.refresh(row, { force: c.idle, minValidSeconds: margin });
      if (after.version !== row.version) refreshed++;
    } catch (err) {
      deps.log.warn({ credentialId: row.id, provider: row.provider, code: isDomainError(err) ? err.code : "internal" }, "background refresh failed");
    }
  }
  return refreshed;
}

export function startBackgroundRefresher(deps: BackgroundRefresherDeps): IntervalWorker {
  return startIntervalWorker({
    intervalMs: deps.intervalMs ?? 30_000,
    run: () => refreshDueCredentials(deps),
    onError: (err) => deps.log.warn({ code: isDomainError(err) ? err.code : "internal" }, "background refresher pass failed"),
  });
}
