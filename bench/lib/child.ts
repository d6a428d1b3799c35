/**
 * Child processes for servers and load generators. Every server and every load generator runs in
 * its own process so that the thing measured and the thing measuring never share an event loop.
 *
 * Protocol: a server prints one JSON line `{"ready": {...}}` on stdout once it listens (anything
 * else on stdout is ignored); a load generator prints its result as the last JSON line and exits.
 * TypeScript files run through tsx's loader (`node --import tsx`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const RESULTS_DIR = path.join(BENCH_DIR, "results");

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  /** stderr goes to bench/results/logs/<logName>.log (servers log there too, through their own env). */
  logName?: string;
  args?: string[];
  /** Flags for node itself (e.g. --cpu-prof, which NODE_OPTIONS does not allow). */
  nodeArgs?: string[];
}

function start(file: string, opts: SpawnOptions): ChildProcess {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), "--import", "tsx", path.resolve(BENCH_DIR, file), ...(opts.args ?? [])], {
    cwd: path.dirname(BENCH_DIR),
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return child;
}

async function logStream(name: string | undefined) {
  if (!name) return undefined;
  const dir = path.join(RESULTS_DIR, "logs");
  await mkdir(dir, { recursive: true });
  return createWriteStream(path.join(dir, `${name}.log`), { flags: "a" });
}

export interface ServerProcess<R> {
  ready: R;
  pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL now (a replica crashing). */
  kill(): Promise<void>;
}

/** Starts a server process and waits for its `{"ready": ...}` line. */
export async function startServer<R>(file: string, opts: SpawnOptions = {}, timeoutMs = 30_000): Promise<ServerProcess<R>> {
  const child = start(file, opts);
  const log = await logStream(opts.logName);
  if (log) child.stderr!.pipe(log);
  else child.stderr!.resume();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = await new Promise<R>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} not ready after ${timeoutMs} ms`)), timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      if (!line.startsWith('{"ready"')) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { ready: R }).ready);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited before ready (code ${code}, signal ${signal}); see bench/results/logs/${opts.logName ?? "?"}.log`));
    });
  });
  const gone = async (signal: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(t);
  };
  return {
    ready,
    pid: child.pid!,
    stop: (graceMs = 10_000) => gone("SIGTERM", graceMs),
    kill: () => gone("SIGKILL", 0),
  };
}

/** Runs a process to completion and parses the last JSON line of its stdout. */
export async function runJson<T>(file: string, opts: SpawnOptions = {}): Promise<T> {
  const child = start(file, opts);
  const log = await logStream(opts.logName);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
    log?.write(d);
  });
  let stdout = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  log?.end();
  const last = stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (code !== 0 || !last) throw new Error(`${file} failed (exit ${code}): ${stderr.slice(-2000)}`);
  return JSON.parse(last) as T;
}

/** For server entry points: prints the ready line and stops cleanly on SIGTERM/SIGINT. */
export function announceReady(ready: unknown, stop: () => Promise<void>): void {
  process.stdout.write(JSON.stringify({ ready }) + "\n");
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // An orchestrator that crashed cannot SIGTERM us: leave when we are re-parented.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && onSignal(), 1000).unref();
}
