/**
 * HTTP load through wrk, when installed (a C client: far less CPU than the Node generator on a
 * 2-core machine). Every delivery is pre-signed here with the project's scheme code and replayed
 * by load/wrk-signed-posts.lua, each request unique until the file runs out (then it wraps and the
 * server sees duplicates: the scenario reports stored events vs answers so that would show).
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { webhookScheme } from "../../src/providers/webhook-schemes/index.js";
import type { HttpLoadResult, HttpLoadSpec } from "./http-load.js";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("./wrk-signed-posts.lua", import.meta.url));
const THREADS = 2;

async function writeRequests(file: string, spec: HttpLoadSpec, count: number): Promise<void> {
  const scheme = spec.scheme ? webhookScheme(spec.scheme) : undefined;
  if (spec.scheme && !scheme?.sign) throw new Error(`scheme ${spec.scheme} cannot sign`);
  const filler = "x".repeat(Math.max(0, (spec.bodyBytes ?? 1024) - 120));
  const out = createWriteStream(file);
  for (let i = 0; i < count; i++) {
    const deliveryId = randomUUID();
    const body = Buffer.from(JSON.stringify({ action: "bench", delivery: deliveryId, seq: i, filler }));
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-github-delivery": deliveryId,
      ...spec.headers,
      ...(scheme ? scheme.sign!({ secret: spec.secret ?? "", body, now: Date.now(), deliveryId }) : {}),
    };
    const line = [body.toString(), ...Object.entries(headers).flat()].join("\t") + "\n";
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "close");
}

function parse(stdout: string, durationS: number): HttpLoadResult {
  const line = stdout.split("\n").find((l) => l.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk printed no summary: ${stdout.slice(-500)}`);
  const w = JSON.parse(line) as Record<string, number>;
  const errors = w.status_errors! + w.socket_errors!;
  const elapsedS = w.duration_us! / 1e6 || durationS;
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    requests: w.requests!,
    errors,
    errorCodes: errors ? { "non-2xx/3xx": w.status_errors!, socket: w.socket_errors! } : {},
    elapsedS,
    rps: Math.round((w.requests! - errors) / elapsedS),
    latencyMs: { count: w.requests! - errors, mean: ms(w.mean!), p50: ms(w.p50!), p90: ms(w.p90!), p99: ms(w.p99!), p999: ms(w.p999!), max: ms(w.max!) },
  };
}

export async function runWrk(spec: HttpLoadSpec): Promise<HttpLoadResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "latchkey-wrk-"));
  try {
    const durationS = spec.durationS ?? 5;
    const warmupS = spec.warmupS ?? 1;
    const warm = path.join(dir, "warmup.tsv");
    const main = path.join(dir, "main.tsv");
    await writeRequests(warm, spec, 2000);
    // Enough unique deliveries for ~8k/s; beyond that the file wraps (duplicates).
    await writeRequests(main, spec, Math.min(200_000, Math.ceil(durationS * 8000)));
    const wrk = (file: string, seconds: number) =>
      run("wrk", ["-t", String(THREADS), "-c", String(spec.concurrency), "-d", `${seconds}s`, "--timeout", "10s", "-s", SCRIPT, spec.url, "--", file, String(THREADS)], {
        maxBuffer: 1 << 22,
      });
    if (warmupS > 0) await wrk(warm, Math.max(1, Math.round(warmupS)));
    const { stdout } = await wrk(main, Math.max(1, Math.round(durationS)));
    return parse(stdout, durationS);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
