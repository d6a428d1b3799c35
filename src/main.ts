/**
 * Process entry point: read configuration, fill in dev-mode defaults (embedded Postgres, loopback,
 * generated operator token), start, and drain on SIGTERM/SIGINT.
 */
import path from "node:path";
import { loadConfig, startLatchkey, type LatchkeyConfig } from "./app.js";
import { decideCallers } from "./dev-mode.js";
import { createLogger } from "./observability/logger.js";

async function main(): Promise<void> {
  // Dev mode (no DATABASE_URL) listens on loopback unless told otherwise.
  const devMode = !process.env.DATABASE_URL?.trim();
  if (devMode && !process.env.LATCHKEY_HOST) process.env.LATCHKEY_HOST = "127.0.0.1";
  const config: LatchkeyConfig = loadConfig(process.env);
  const logger = createLogger({ level: config.core.logLevel });
  const stops: Array<() => Promise<void>> = [];

  const decision = await decideCallers(
    config.callers,
    [config.transport.grpc.host, config.transport.internalHttp.host, config.transport.publicHttp.host],
    config.core.dataDir,
  );
  config.callers = decision.callers;

  if (devMode) {
    // Imported lazily: the production image does not ship the embedded server's binaries.
    const { startEmbeddedPostgres } = await import("./storage/embedded-postgres.js");
    const pg = await startEmbeddedPostgres({
      dir: path.join(config.core.dataDir, "postgres"),
      onLog: (line) => logger.debug({ postgres: line.trim() }, "embedded postgres"),
    });
    stops.push(() => pg.stop());
    config.core.databaseUrl = pg.url;
    logger.warn({ dataDir: config.core.dataDir }, "dev mode: embedded PostgreSQL; set DATABASE_URL for real deployments");
  }
  if (config.secrets.engine === "local-keyring") {
    logger.warn({ file: config.secrets.keyringFile }, "secrets: local keyring; set VAULT_ADDR to use Vault transit");
  }

  const app = await startLatchkey(config, { logger });
  stops.unshift(() => app.stop());
  logger.info(
    { grpc: `${config.transport.grpc.host}:${app.grpcPort}`, internal: `${config.transport.internalHttp.host}:${app.internalPort}`, public: `${config.transport.publicHttp.host}:${app.publicPort}` },
    "latchkey listening",
  );
  if (decision.devToken) {
    // Printed on stderr, not logged: like `vault server -dev`, the operator needs to read it once.
    process.stderr.write(
      `\nLatchkey dev mode: operator token ${decision.devToken}\n  export LATCHKEY_TOKEN=${decision.devToken}\n` +
        `  gRPC ${config.transport.grpc.host}:${app.grpcPort}   Connect/metrics http://${config.transport.internalHttp.host}:${app.internalPort}   public http://${config.transport.publicHttp.host}:${app.publicPort}\n\n`,
    );
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "draining");
    for (const s of stops) await s().catch((err) => logger.error({ err }, "shutdown step failed"));
    logger.info("stopped");
    logger.flush(() => process.exit(0));
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err) => {
  // The logger may not exist yet (bad configuration): write one JSON line by hand.
  process.stderr.write(JSON.stringify({ level: "fatal", msg: "latchkey failed to start", err: String(err?.message ?? err) }) + "\n");
  process.exit(1);
});
