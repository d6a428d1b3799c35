/**
 * gRPC load through h2load (Debian's nghttp2-client), when installed: a C client, so on a small
 * machine the load generator takes less CPU away from the server than the grpc-js generator does.
 * Requests are prebuilt gRPC frames (5-byte prefix + message) posted with gRPC headers; latencies
 * come from h2load's per-request log (--log-file), percentiles computed here.
 *
 * h2load sees HTTP status only, not grpc-status in the trailers: a gRPC error still looks like 200.
 * Scenarios therefore check success independently (e.g. audit rows written = calls answered).
 * Only the first request message is used (h2load posts one body).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { summarize } from "../lib/histogram.js";
import type { GrpcLoadResult, GrpcLoadSpec } from "./grpc-load.js";

const run = promisify(execFile);

export function grpcFrame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(0, 0);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

export async function runH2load(spec: GrpcLoadSpec): Promise<GrpcLoadResult> {
  if (spec.targets.length !== 1) throw new Error("h2load drives one target");
  const dir = await mkdtemp(path.join(os.tmpdir(), "latchkey-h2load-"));
  try {
    const body = path.join(dir, "frame.bin");
    const log = path.join(dir, "requests.log");
    await writeFile(body, grpcFrame(Buffer.from(spec.requests[0]!, "base64")));
    const connections = spec.connections ?? 1;
    const headers = { "content-type": "application/grpc", te: "trailers", ...spec.metadata };
    const args = [
      "-c", String(connections),
      "-m", String(Math.ceil(spec.concurrency / connections)),
      "-D", String(spec.durationS ?? 5),
      "--warm-up-time", String(spec.warmupS ?? 1),
      "-d", body,
      "--log-file", log,
      ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
      `http://${spec.targets[0]}${spec.path}`,
    ];
    await run("h2load", args, { maxBuffer: 1 << 24 });
    // Status 0: the stream was still open when the main phase ended (cut off, not failed).
    const rows = (await readFile(log, "utf8"))
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("\t").map(Number))
      .filter((r) => r[1] !== 0);
    const ok = rows.filter((r) => r[1] === 200).map((r) => r[2]! / 1000);
    const errorCodes: Record<string, number> = {};
    for (const r of rows) if (r[1] !== 200) errorCodes[`HTTP ${r[1]}`] = (errorCodes[`HTTP ${r[1]}`] ?? 0) + 1;
    // "finished in" includes the warm-up; the log and the req/s figure cover the main phase only.
    const elapsedS = spec.durationS ?? 5;
    return {
      requests: rows.length,
      errors: rows.length - ok.length,
      errorCodes,
      elapsedS,
      rps: Math.round(ok.length / elapsedS),
      latencyMs: summarize(ok),
      responseBytes: 0,
      okTotal: ok.length,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface BurstResult {
  /** Per-call latencies (ms) of calls answered with HTTP 200. */
  latencies: number[];
  httpErrors: number;
  /** From h2load's "finished in": first request sent to last answer. */
  wallMs: number;
}

/** Fires `n` calls at once over one connection (`-m n` streams) and waits for all of them. */
export async function runH2loadBurst(target: string, path_: string, message: Buffer, metadata: Record<string, string>, n: number): Promise<BurstResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "latchkey-h2burst-"));
  try {
    const body = path.join(dir, "frame.bin");
    const log = path.join(dir, "requests.log");
    await writeFile(body, grpcFrame(message));
    const headers = { "content-type": "application/grpc", te: "trailers", ...metadata };
    const { stdout } = await run(
      "h2load",
      ["-n", String(n), "-c", "1", "-m", String(n), "-d", body, "--log-file", log, ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]), `http://${target}${path_}`],
      { maxBuffer: 1 << 22 },
    );
    const rows = (await readFile(log, "utf8")).trim().split("\n").filter(Boolean).map((l) => l.split("\t").map(Number));
    const finished = /finished in ([\d.]+)(ms|s)/.exec(stdout);
    return {
      latencies: rows.filter((r) => r[1] === 200).map((r) => r[2]! / 1000),
      httpErrors: rows.filter((r) => r[1] !== 200).length + (n - rows.length),
      wallMs: finished ? Number(finished[1]) * (finished[2] === "s" ? 1000 : 1) : NaN,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
