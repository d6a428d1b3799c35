/**
 * `npm run rewrap [-- --batch-size N]`: after rotating the transit key (or the local keyring),
 * moves every stored ciphertext to the newest key version. Progress goes to stderr; the exit code
 * is 0 only when nothing was left behind. Safe to interrupt (Ctrl-C finishes the batch in flight)
 * and to run again: it resumes.
 *
 * Needs DATABASE_URL, plus the same VAULT_* / LATCHKEY_KEYRING_FILE settings as the server.
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { pino } from "pino";
import { loadSecretsConfig } from "../config/secrets.js";
import { createLogger, type Logger } from "../observability/logger.js";
import { createSecretStore } from "../secrets/create-secret-store.js";
import { rewrapAll, rewrapComplete } from "../secrets/rewrap.js";
import { connect } from "../storage/db.js";

export interface RewrapCliIo {
  env: Record<string, string | undefined>;
  argv: string[];
  /** One line of human output (progress, summary, errors). */
  print: (line: string) => void;
  logger?: Logger;
  signal?: AbortSignal;
}

const USAGE = "usage: rewrap [--batch-size N]   (env: DATABASE_URL, VAULT_* or LATCHKEY_KEYRING_FILE)";

/** Runs the rewrap; resolves to the process exit code. */
export async function runRewrapCli(io: RewrapCliIo): Promise<number> {
  let batchSize = 200;
  for (let i = 0; i < io.argv.length; i++) {
    const arg = io.argv[i]!;
    if (arg === "--help" || arg === "-h") {
      io.print(USAGE);
      return 0;
    }
    const value = arg.startsWith("--batch-size=") ? arg.slice("--batch-size=".length) : arg === "--batch-size" ? io.argv[++i] : undefined;
    if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 10_000) {
      io.print(`rewrap: bad argument ${JSON.stringify(arg)}\n${USAGE}`);
      return 2;
    }
    batchSize = Number(value);
  }
  const url = io.env.DATABASE_URL?.trim();
  if (!url) {
    io.print("rewrap: DATABASE_URL is required");
    return 2;
  }

  const logger = io.logger ?? createLogger({ level: io.env.LOG_LEVEL ?? "warn", destination: pino.destination(2) });
  const sql = connect({ url, max: 2, applicationName: "latchkey-rewrap" });
  let store;
  try {
    store = await createSecretStore(loadSecretsConfig(io.env), logger);
    const result = await rewrapAll(sql, store, {
      batchSize,
      onProgress: (p) => io.print(p.line),
      ...(io.signal ? { signal: io.signal } : {}),
    });
    for (const t of result.tables) {
      if (t.missing) {
        io.print(`rewrap ${t.table}: table not found (migration not applied?), skipped`);
        continue;
      }
      io.print(
        `rewrap ${t.table}: ${t.scanned}/${t.total} rows scanned, ${t.rewrapped} ciphertexts moved to v${result.latestVersion}` +
          `, ${t.changed} rows changed meanwhile, ${t.foreign} from another engine, ${t.failed.length} failed`,
      );
      for (const f of t.failed) io.print(`  did not decrypt: ${f.table} ${f.id} ${f.column}`);
    }
    if (io.signal?.aborted) {
      io.print("rewrap: interrupted; run again to resume");
      return 130;
    }
    if (!rewrapComplete(result)) {
      io.print("rewrap: some ciphertexts were left behind (see above): do not retire old key versions yet");
      return 1;
    }
    io.print(`rewrap: done; every ciphertext is on key version ${result.latestVersion}`);
    return 0;
  } catch (err) {
    // Domain errors carry safe messages; details (never secrets) go to the log.
    logger.error({ err }, "rewrap failed");
    io.print(`rewrap failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await store?.close();
    await sql.end({ timeout: 5 });
  }
}

function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const abort = new AbortController();
  process.once("SIGINT", () => abort.abort());
  process.once("SIGTERM", () => abort.abort());
  void runRewrapCli({
    env: process.env,
    argv: process.argv.slice(2),
    print: (line) => process.stderr.write(`${line}\n`),
    signal: abort.signal,
  }).then((code) => process.exit(code));
}
