/**
 * Starting Latchkey replicas for a scenario: a fresh schema, bench callers, loopback listeners on
 * port 0, logs to bench/results/logs/. Replicas of one deployment share the schema and keyring file.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createBenchSchema, type BenchSchema } from "./bench-db.js";
import { RESULTS_DIR, startServer, type ServerProcess } from "./child.js";
import { benchCallers, type BenchCallers } from "./fixtures.js";

export interface ReplicaPorts {
  grpcPort: number;
  internalPort: number;
  publicPort: number;
  pid: number;
}

export interface Deployment {
  db: BenchSchema;
  callers: BenchCallers;
  /** The directory holding the local keyring shared by the replicas. */
  dataDir: string;
  env: Record<string, string>;
  replicas: ServerProcess<ReplicaPorts>[];
  grpcTargets(): string[];
  /** Starts one more replica with optional env overrides. */
  addReplica(overrides?: Record<string, string>): Promise<ServerProcess<ReplicaPorts>>;
  stop(): Promise<void>;
}

export interface DeploymentOptions {
  databaseUrl: string;
  label: string;
  replicas?: number;
  env?: Record<string, string>;
}

export async function startDeployment(opts: DeploymentOptions): Promise<Deployment> {
  const db = await createBenchSchema(opts.databaseUrl, opts.label);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "latchkey-bench-"));
  const callers = benchCallers();
  const env: Record<string, string> = {
    DATABASE_URL: opts.databaseUrl,
    BENCH_SCHEMA: db.schema,
    LATCHKEY_HOST: "127.0.0.1",
    GRPC_PORT: "0",
    HTTP_INTERNAL_PORT: "0",
    HTTP_PUBLIC_PORT: "0",
    LATCHKEY_DATA_DIR: dataDir,
    LATCHKEY_CALLERS: callers.env,
    LATCHKEY_PUBLIC_URL: "http://127.0.0.1:8080",
    LOG_LEVEL: "info",
    ...opts.env,
  };
  const replicas: ServerProcess<ReplicaPorts>[] = [];
  let n = 0;
  const addReplica = async (overrides: Record<string, string> = {}) => {
    const name = `${opts.label}-replica-${n++}`;
    // --profile: each replica writes a V8 CPU profile on exit (one per thread, the loader's included;
    // read the main thread's, the largest, with bench/tools/cpuprofile-top.ts).
    const nodeArgs = process.env.BENCH_PROFILE
      ? ["--cpu-prof", `--cpu-prof-dir=${path.join(RESULTS_DIR, "profiles", `${name}-${Date.now()}`)}`]
      : [];
    const r = await startServer<ReplicaPorts>("servers/latchkey-server.ts", {
      nodeArgs,
      env: { ...env, ...overrides, BENCH_LOG_FILE: path.join(RESULTS_DIR, "logs", `${name}.log`) },
      logName: name,
    });
    replicas.push(r);
    return r;
  };
  try {
    // The first replica migrates; the others then start in parallel (a rolling start races too).
    await addReplica();
    await Promise.all(Array.from({ length: (opts.replicas ?? 1) - 1 }, () => addReplica()));
  } catch (err) {
    await Promise.all(replicas.map((r) => r.stop()));
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    db,
    callers,
    dataDir,
    env,
    replicas,
    grpcTargets: () => replicas.map((r) => `127.0.0.1:${r.ready.grpcPort}`),
    addReplica,
    async stop() {
      await Promise.all(replicas.map((r) => r.stop()));
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
