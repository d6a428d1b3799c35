/**
 * HTTP load generator for webhook ingress, run as its own process:
 * `node --import tsx bench/load/http-load.ts '<spec JSON>'`.
 *
 * Closed loop: `concurrency` callers over a keep-alive agent, each POSTing a fresh body signed the
 * way the provider would (every delivery unique, so each one is verified and stored rather than
 * deduplicated). Signing happens here with the project's own scheme code, off the server's clock.
 * Prints one JSON line (HttpLoadResult) on stdout.
 */
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { webhookScheme } from "../../src/providers/webhook-schemes/index.js";
import { readSpecArg } from "../lib/spec-arg.js";
import { Histogram, type LoadResult } from "../lib/histogram.js";

export interface HttpLoadSpec {
  /** http://127.0.0.1:port/path */
  url: string;
  concurrency: number;
  durationS?: number;
  warmupS?: number;
  /** Signature scheme name (webhook-schemes/) and secret; unsigned when absent. */
  scheme?: string;
  secret?: string;
  /** Extra headers on every request (e.g. the event type). */
  headers?: Record<string, string>;
  /** Approximate body size in bytes (default 1 KiB, a typical small provider event). */
  bodyBytes?: number;
}

export type HttpLoadResult = LoadResult;

function schemeByName(name: string) {
  const scheme = webhookScheme(name);
  if (!scheme?.sign) throw new Error(`scheme ${name} cannot sign`);
  return scheme;
}

export async function runHttpLoad(spec: HttpLoadSpec): Promise<HttpLoadResult> {
  const url = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const scheme = spec.scheme ? schemeByName(spec.scheme) : undefined;
  const filler = "x".repeat(Math.max(0, (spec.bodyBytes ?? 1024) - 120));
  let seq = 0;

  const post = () =>
    new Promise<number>((resolve) => {
      const deliveryId = randomUUID();
      const body = Buffer.from(JSON.stringify({ action: "bench", delivery: deliveryId, seq: seq++, sent_at: Date.now(), filler }));
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "content-length": String(body.length),
        "x-github-delivery": deliveryId,
        ...spec.headers,
        ...(scheme ? scheme.sign!({ secret: spec.secret ?? "", body, now: Date.now(), deliveryId }) : {}),
      };
      const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: "POST", agent, headers }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", () => resolve(0));
      req.end(body);
    });

  const hist = new Histogram();
  const errorCodes: Record<string, number> = {};
  let errors = 0;
  const warmupEnd = performance.now() + (spec.warmupS ?? 1) * 1000;
  const end = warmupEnd + (spec.durationS ?? 5) * 1000;
  let measuredStart = 0n;
  setTimeout(() => (measuredStart = process.hrtime.bigint()), Math.max(0, warmupEnd - performance.now()));
  const worker = async () => {
    for (;;) {
      const now = performance.now();
      if (now >= end) return;
      const t = process.hrtime.bigint();
      const code = await post();
      if (now < warmupEnd) continue;
      if (code >= 200 && code < 300) hist.record(Number(process.hrtime.bigint() - t) / 1e6);
      else {
        errors++;
        errorCodes[String(code)] = (errorCodes[String(code)] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  const elapsedS = Number(process.hrtime.bigint() - measuredStart) / 1e9;
  agent.destroy();
  return {
    requests: hist.count + errors,
    errors,
    errorCodes,
    elapsedS: Math.round(elapsedS * 1000) / 1000,
    rps: Math.round(hist.count / elapsedS),
    latencyMs: hist.summary(),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runHttpLoad(readSpecArg<HttpLoadSpec>(process.argv[2])).then(
    (r) => process.stdout.write(JSON.stringify(r) + "\n"),
    (err: unknown) => {
      process.stderr.write(`http-load: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
