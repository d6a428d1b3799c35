/**
 * gRPC load generator, run as its own process: `node --import tsx bench/load/grpc-load.ts '<spec JSON>'`.
 *
 * Closed loop: `concurrency` callers each keep one unary call in flight (64 streams = 64 concurrent
 * HTTP/2 streams), spread over `connections` HTTP/2 connections per target. Messages are prebuilt
 * bytes (identity serializers), so the client spends nothing on protobuf and measures the server.
 * `burst` mode instead fires N calls at once and reports when the last one answered.
 * Prints one JSON line (GrpcLoadResult) on stdout.
 */
import { Client, credentials, Metadata, status } from "@grpc/grpc-js";
import { readSpecArg } from "../lib/spec-arg.js";
import { Histogram, type LoadResult } from "../lib/histogram.js";

export interface GrpcLoadSpec {
  /** host:port, one or more (calls are spread round-robin: replicas behind a balancer). */
  targets: string[];
  /** Full method path, e.g. /latchkey.v1.CredentialsService/GetAccessToken. */
  path: string;
  /** Base64 request messages; caller i sends requests[(i + n) % length] on its n-th call. */
  requests: string[];
  metadata?: Record<string, string>;
  concurrency: number;
  /** HTTP/2 connections per target (default 1). */
  connections?: number;
  durationS?: number;
  warmupS?: number;
  /** Fire exactly this many calls at once instead of a timed closed loop. */
  burst?: number;
  deadlineMs?: number;
}

export interface GrpcLoadResult extends LoadResult {
  /** Bytes of the first response (to check the baseline's message size matches). */
  responseBytes: number;
  /** Successful calls including warmup: what the server handed out in total. */
  okTotal: number;
}

const identity = (b: Buffer) => b;

export async function runGrpcLoad(spec: GrpcLoadSpec): Promise<GrpcLoadResult> {
  const clients: Client[] = [];
  for (const target of spec.targets) {
    for (let c = 0; c < (spec.connections ?? 1); c++) {
      // A local subchannel pool per client gives each its own HTTP/2 connection.
      clients.push(new Client(target, credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 }));
    }
  }
  const md = new Metadata();
  for (const [k, v] of Object.entries(spec.metadata ?? {})) md.set(k, v);
  const requests = spec.requests.map((r) => Buffer.from(r, "base64"));
  const deadlineMs = spec.deadlineMs ?? 30_000;
  let responseBytes = 0;
  let okTotal = 0;

  const call = (client: Client, req: Buffer) =>
    new Promise<number | undefined>((resolve) => {
      client.makeUnaryRequest(spec.path, identity, identity, req, md, { deadline: Date.now() + deadlineMs }, (err, res) => {
        if (res) {
          okTotal++;
          if (responseBytes === 0) responseBytes = res.length;
        }
        resolve(err ? (err.code ?? status.UNKNOWN) : undefined);
      });
    });

  await Promise.all(clients.map((c) => new Promise<void>((res, rej) => c.waitForReady(Date.now() + 10_000, (e) => (e ? rej(e) : res())))));

  const hist = new Histogram();
  const errorCodes: Record<string, number> = {};
  let errors = 0;
  const onDone = (code: number | undefined, startedNs: bigint, record: boolean) => {
    if (!record) return;
    if (code !== undefined) {
      errors++;
      const name = status[code] ?? String(code);
      errorCodes[name] = (errorCodes[name] ?? 0) + 1;
      return;
    }
    hist.record(Number(process.hrtime.bigint() - startedNs) / 1e6);
  };

  let elapsedS: number;
  if (spec.burst) {
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: spec.burst }, async (_, i) => {
        const t = process.hrtime.bigint();
        onDone(await call(clients[i % clients.length]!, requests[i % requests.length]!), t, true);
      }),
    );
    elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  } else {
    const warmupEnd = performance.now() + (spec.warmupS ?? 1) * 1000;
    const end = warmupEnd + (spec.durationS ?? 5) * 1000;
    let measuredStart = 0n;
    const worker = async (i: number) => {
      const client = clients[i % clients.length]!;
      for (let n = 0; ; n++) {
        const now = performance.now();
        if (now >= end) return;
        const t = process.hrtime.bigint();
        const code = await call(client, requests[(i + n) % requests.length]!);
        // Only calls started after warmup count.
        onDone(code, t, now >= warmupEnd);
      }
    };
    setTimeout(() => (measuredStart = process.hrtime.bigint()), Math.max(0, warmupEnd - performance.now()));
    await Promise.all(Array.from({ length: spec.concurrency }, (_, i) => worker(i)));
    elapsedS = Number(process.hrtime.bigint() - measuredStart) / 1e9;
  }
  for (const c of clients) c.close();
  const requestsDone = hist.count + errors;
  return {
    requests: requestsDone,
    errors,
    errorCodes,
    elapsedS: Math.round(elapsedS * 1000) / 1000,
    rps: Math.round(hist.count / elapsedS),
    latencyMs: hist.summary(),
    responseBytes,
    okTotal,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const spec = readSpecArg<GrpcLoadSpec>(process.argv[2]);
  runGrpcLoad(spec).then(
    (r) => process.stdout.write(JSON.stringify(r) + "\n"),
    (err: unknown) => {
      process.stderr.write(`grpc-load: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
