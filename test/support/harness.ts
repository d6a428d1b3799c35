/**
 * Starts the whole service (the same `startLatchkey` main.ts runs) on loopback ports against a
 * fresh test schema, with callers for every role and the local keyring in a temp dir.
 * Several instances can share one TestDb: that is how the tests run replicas.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig, startLatchkey, type Latchkey, type StartOptions } from "../../src/app.js";
import type { Env } from "../../src/config/core.js";
import { freePort } from "../../src/lib/free-port.js";
import { CALLERS } from "./callers.js";
import { createTestDb, type TestDb } from "./postgres.js";

export { TOKENS } from "./callers.js";

export interface TestApp extends Latchkey {
  db: TestDb;
  env: Env;
  grpcAddress: string;
  internalUrl: string;
  publicUrl: string;
}

export async function startTestApp(opts: { db?: TestDb; env?: Env; keyringDir?: string } & StartOptions = {}): Promise<TestApp> {
  const db = opts.db ?? (await createTestDb());
  const keyringDir = opts.keyringDir ?? (await mkdtemp(path.join(tmpdir(), "latchkey-test-")));
  // The public URL goes into OAuth redirect URIs and webhook ingress URLs, so fix the port first.
  const publicPort = opts.env?.HTTP_PUBLIC_PORT ?? String(await freePort());
  const env: Env = {
    DATABASE_URL: db.url,
    LATCHKEY_HOST: "127.0.0.1",
    GRPC_PORT: "0",
    HTTP_INTERNAL_PORT: "0",
    HTTP_PUBLIC_PORT: publicPort,
    LATCHKEY_PUBLIC_URL: `http://127.0.0.1:${publicPort}`,
    LATCHKEY_CALLERS: JSON.stringify(CALLERS),
    LATCHKEY_KEYRING_FILE: path.join(keyringDir, "keyring.json"),
    LOG_LEVEL: "silent",
    SHUTDOWN_DRAIN_TIMEOUT_MS: "2000",
    ...opts.env,
  };
  const config = loadConfig(env);
  const app = await startLatchkey(config, { schema: db.schema, ...opts });
  return {
    ...app,
    db,
    env,
    grpcAddress: `127.0.0.1:${app.grpcPort}`,
    internalUrl: `http://127.0.0.1:${app.internalPort}`,
    publicUrl: `http://127.0.0.1:${app.publicPort}`,
  };
}
