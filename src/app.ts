/**
 * Composition root: configuration → dependencies → servers. The only module that knows concrete
 * classes. `startLatchkey` is what main.ts, the integration tests and the benchmarks start, so all
 * three run the same wiring.
 */
import { CredentialsService } from "./gen/latchkey/v1/credentials_pb.js";
import { OAuthService } from "./gen/latchkey/v1/oauth_pb.js";
import { WebhooksService } from "./gen/latchkey/v1/webhooks_pb.js";
import { createCredentialsService } from "./api/credentials-service.js";
import { createOAuthService } from "./api/oauth-service.js";
import { bind, type ServiceBinding } from "./api/types.js";
import { createWebhooksService } from "./api/webhooks-service.js";
import { createAuthenticator, loadCallers, type CallerConfig } from "./auth/callers.js";
import { loadCoreConfig, type CoreConfig, type Env } from "./config/core.js";
import { loadOAuthConfig, type OAuthConfig } from "./config/providers.js";
import { loadSecretsConfig, type SecretsConfig } from "./config/secrets.js";
import { loadTransportConfig, type TransportConfig } from "./config/transport.js";
import { loadWebhooksConfig, type WebhooksConfig } from "./config/webhooks.js";
import { createCredentialManager } from "./domain/credentials/credential-manager.js";
import { createSecretCache } from "./domain/tokens/secret-cache.js";
import { createTokenService } from "./domain/tokens/token-service.js";
import { createBatcher } from "./lib/batcher.js";
import { createLogger, type Logger } from "./observability/logger.js";
import { createMetrics } from "./observability/metrics.js";
import { loadProvidersFile } from "./providers/providers-file.js";
import { createProviderRegistry } from "./providers/registry.js";
import { createSecretStore } from "./secrets/create-secret-store.js";
import type { SecretStore } from "./secrets/secret-store.js";
import { createCredentialsRepo } from "./storage/credentials-repo.js";
import { connect, type Sql } from "./storage/db.js";
import { migrate } from "./storage/migrate.js";
import { auditHandouts, loadCredentials } from "./storage/token-queries.js";
import { startGrpcServer } from "./transport/grpc/server.js";
import { startInternalServer } from "./transport/connect/server.js";
import { startPublicServer } from "./transport/http/public-server.js";
import { createOAuthCallbackRoute } from "./transport/http/oauth-callback.js";
import { createWebhookIngressRoute } from "./transport/http/webhook-ingress.js";
import { wireOAuth } from "./wiring/oauth.js";
import { createWebhooksModule } from "./domain/webhooks/module.js";

/**
 * Hand-outs per audit-gate statement. Smaller batches let Postgres work on one while the event
 * loop fills the next: with 64 calls in flight, one batch of 64 put the loop in lock-step with
 * Postgres and left it 15-30% idle (docs/BENCHMARKS.md).
 */
const GATE_MAX_BATCH = 32;

export interface LatchkeyConfig {
  core: CoreConfig;
  transport: TransportConfig;
  secrets: SecretsConfig;
  oauth: OAuthConfig;
  webhooks: WebhooksConfig;
  callers: CallerConfig[];
  env: Env;
}

export function loadConfig(env: Env): LatchkeyConfig {
  return {
    core: loadCoreConfig(env),
    transport: loadTransportConfig(env),
    secrets: loadSecretsConfig(env),
    oauth: loadOAuthConfig(env),
    webhooks: loadWebhooksConfig(env),
    callers: loadCallers(env),
    env,
  };
}

export interface StartOptions {
  logger?: Logger;
  /** Provider HTTP calls (tests point providers at local look-alikes through config, not this). */
  fetch?: typeof fetch;
  /** Postgres schema to use (tests run one schema per file). */
  schema?: string;
  /** Skip background workers (refresher, outbox, retention): tests that drive them directly. */
  workers?: boolean;
}

export interface Latchkey {
  grpcPort: number;
  internalPort: number;
  publicPort: number;
  sql: Sql;
  secrets: SecretStore;
  logger: Logger;
  /** Drains in-flight calls, ends streams, stops workers, closes the pool. */
  stop(): Promise<void>;
}

export async function startLatchkey(config: LatchkeyConfig, opts: StartOptions = {}): Promise<Latchkey> {
  const { core, transport } = config;
  if (!core.databaseUrl) throw new Error("startLatchkey needs DATABASE_URL (main.ts starts the embedded one in dev mode)");
  const logger = opts.logger ?? createLogger({ level: core.logLevel });
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const metrics = createMetrics();

  const sql = connect({ url: core.databaseUrl, max: core.dbPoolMax, ...(opts.schema ? { schema: opts.schema } : {}) });
  // Shutdown runs these stages in order: listeners drain together (in-flight calls finish, streams
  // end), then background workers stop, then the secret store and the pool close.
  const listeners: Array<{ drain(ms: number): Promise<void> }> = [];
  const workers: Array<{ stop(): Promise<void> }> = [];
  const closers: Array<() => Promise<void>> = [() => sql.end({ timeout: 5 })];
  const shutdown = async () => {
    await Promise.all(listeners.splice(0).map((l) => l.drain(transport.drainTimeoutMs)));
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    for (const close of closers.splice(0)) await close();
  };
  try {
    const applied = await migrate(sql);
    if (applied.length) logger.info({ applied }, "migrations applied");

    const secrets = await createSecretStore(config.secrets, logger);
    closers.unshift(() => secrets.close());

    const providersFile = config.oauth.providersFile ? await loadProvidersFile(config.oauth.providersFile, config.env) : undefined;
    const providers = createProviderRegistry({
      env: config.env as NodeJS.ProcessEnv,
      ...(providersFile ? { custom: providersFile.custom, clients: providersFile.clients } : {}),
    });

    const repo = createCredentialsRepo(sql);
    const cache = createSecretCache(core.tokenCache);
    const oauth = wireOAuth({ sql, repo, secrets, registry: providers, config: config.oauth, fetch: fetchFn, logger });
    const tokens = createTokenService({
      load: createBatcher(loadCredentials(sql)),
      gate: createBatcher(auditHandouts(sql), { maxBatch: GATE_MAX_BATCH }),
      secrets,
      refresher: oauth.refresher,
      cache,
    });
    const credentials = createCredentialManager({
      repo,
      secrets,
      providers,
      revoker: oauth.revoker,
      onChanged: (id) => tokens.forget(id),
    });
    const webhooks = createWebhooksModule({
      sql,
      secrets,
      providers,
      config: config.webhooks,
      fetch: fetchFn,
      logger,
      getAccessToken: (userId: string, credentialId: string) => tokens.getAccessToken("latchkey-webhooks", userId, credentialId, 60),
    });

    const bindings: ServiceBinding[] = [
      bind(CredentialsService, createCredentialsService({ providers, credentials, tokens })),
      bind(OAuthService, createOAuthService({ flow: oauth.flow })),
      bind(WebhooksService, createWebhooksService(webhooks.serviceDeps)),
    ];
    const authenticator = createAuthenticator(config.callers);

    const grpc = await startGrpcServer({
      bindings,
      authenticator,
      logger,
      metrics,
      host: transport.grpc.host,
      port: transport.grpc.port,
      rpcLogLevel: transport.rpcLogLevel,
      ...(transport.grpc.tls ? { tls: transport.grpc.tls } : {}),
    });
    listeners.push(grpc);

    const internal = await startInternalServer({
      bindings,
      authenticator,
      logger,
      metrics,
      host: transport.internalHttp.host,
      port: transport.internalHttp.port,
      rpcLogLevel: transport.rpcLogLevel,
      readiness: [
        { name: "postgres", check: async () => void (await sql`select 1`) },
        { name: "secrets", check: () => secrets.ping() },
      ],
    });
    listeners.push(internal);

    const publicServer = await startPublicServer({
      routes: [createOAuthCallbackRoute({ flow: oauth.flow, log: logger }), createWebhookIngressRoute(webhooks.ingressDeps)],
      host: transport.publicHttp.host,
      port: transport.publicHttp.port,
      logger,
    });
    listeners.push(publicServer);

    if (opts.workers !== false) workers.push(oauth.startWorkers(), webhooks.startWorkers());

    return {
      grpcPort: grpc.port,
      internalPort: internal.port,
      publicPort: publicServer.port,
      sql,
      secrets,
      logger,
      stop: shutdown,
    };
  } catch (err) {
    await shutdown().catch(() => {});
    throw err;
  }
}
