/**
 * Wires the OAuth side: authorization flow, refresher, revoker and their background workers,
 * over the Postgres repositories. Part of the composition root (only src/app.ts imports it).
 */
import type { OAuthConfig } from "../config/providers.js";
import { createAuthorizationFlow } from "../domain/oauth/authorization-flow.js";
import { startBackgroundRefresher } from "../domain/refresh/background-refresher.js";
import { createTokenRefresher } from "../domain/refresh/token-refresher.js";
import { createTokenRevoker, startRevocationWorker, type TokenRevokerDeps } from "../domain/refresh/token-revoker.js";
import type { Logger } from "../observability/logger.js";
import type { ProviderRegistry } from "../providers/types.js";
import type { SecretStore } from "../secrets/secret-store.js";
import type { CredentialsRepo } from "../storage/credentials-repo.js";
import type { Sql } from "../storage/db.js";
import { createRefreshCandidates, createRefreshLeases } from "../storage/oauth-refresh-repo.js";
import { createRevocationOutbox } from "../storage/oauth-revocations-repo.js";
import { createOAuthStatesRepo } from "../storage/oauth-states-repo.js";

export interface OAuthWiringDeps {
  sql: Sql;
  repo: CredentialsRepo;
  secrets: SecretStore;
  registry: ProviderRegistry;
  config: OAuthConfig;
  fetch: typeof fetch;
  logger: Logger;
  clock?: () => Date;
}

/** Expired states are kept a day so GetAuthorization can still answer EXPIRED, then purged. */
const STATE_PURGE_AFTER_MS = 24 * 3600_000;

export function wireOAuth(deps: OAuthWiringDeps) {
  const { sql, repo: credentials, secrets, registry, config, logger: log } = deps;
  const clock = deps.clock ?? (() => new Date());
  const fetch = deps.fetch;
  const states = createOAuthStatesRepo(sql);
  const providerTimeoutMs = config.providerTimeoutMs;
  const flow = createAuthorizationFlow({
    registry,
    states,
    credentials,
    secrets,
    fetch,
    clock,
    log,
    config: {
      callbackUrl: config.callbackUrl,
      redirectAllowlist: config.redirectAllowlist,
      stateTtlSeconds: config.stateTtlSeconds,
      providerTimeoutMs,
    },
  });
  const outbox = createRevocationOutbox(sql);
  const refresher = createTokenRefresher({
    registry,
    credentials,
    leases: createRefreshLeases(sql),
    revocations: outbox,
    secrets,
    fetch,
    clock,
    log,
    providerTimeoutMs,
  });
  const revokerDeps: TokenRevokerDeps = { registry, outbox, secrets, fetch, clock, log, providerTimeoutMs };
  const revoker = createTokenRevoker(revokerDeps);

  return {
    flow,
    refresher,
    revoker,
    startWorkers() {
      const workers = [
        startBackgroundRefresher({
          refresher,
          candidates: createRefreshCandidates(sql),
          credentials,
          registry,
          clock,
          log,
          refreshMarginSeconds: config.refreshMarginSeconds,
          idleRefreshHours: config.idleRefreshHours,
        }),
        startRevocationWorker(revokerDeps),
      ];
      const purge = setInterval(() => {
        states.purgeExpired(new Date(clock().getTime() - STATE_PURGE_AFTER_MS)).catch((err) => log.warn({ err }, "oauth state purge failed"));
      }, 3600_000);
      purge.unref();
      return {
        async stop() {
          clearInterval(purge);
          await Promise.all(workers.map((w) => w.stop()));
        },
      };
    },
  };
}
