/**
 * Runs once before all test files. When no DATABASE_URL is given, starts an embedded PostgreSQL
 * (the same one dev mode uses) so `npm test` works on a machine with no Postgres of its own.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../../src/storage/embedded-postgres.js";

let embedded: EmbeddedPostgresHandle | undefined;

export async function setup(): Promise<void> {
  if (process.env.DATABASE_URL) return;
  const dir = path.resolve(".latchkey/test-postgres");
  await rm(dir, { recursive: true, force: true });
  embedded = await startEmbeddedPostgres({ dir });
  process.env.TEST_DATABASE_URL = embedded.url;
}

export async function teardown(): Promise<void> {
  await embedded?.stop();
}
