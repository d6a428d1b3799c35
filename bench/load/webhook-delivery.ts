/**
 * Ingress-to-stream latency, run as its own process: posts signed webhook deliveries to one replica's
 * public port at a steady rate while a StreamEvents consumer (on another replica, or the same) reads
 * them, and records for each event the time from the ingress `2xx` to its arrival on the stream.
 * Acks as it goes, as a real consumer would. Prints one JSON line (DeliveryResult).
 */
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { WebhooksService } from "../../src/gen/latchkey/v1/webhooks_pb.js";
import { webhookScheme } from "../../src/providers/webhook-schemes/index.js";
import { readSpecArg } from "../lib/spec-arg.js";
import { Histogram, type LatencySummary } from "../lib/histogram.js";
import { createRpcClient } from "../lib/rpc-client.js";

export interface DeliverySpec {
  postUrl: string;
  scheme: string;
  secret: string;
  grpcTarget: string;
  consumerToken: string;
  consumer: string;
  webhookId: string;
  ratePerS: number;
  durationS: number;
}

export interface DeliveryResult {
  posted: number;
  accepted: number;
  delivered: number;
  missing: number;
  latencyMs: LatencySummary;
}

export async function runDelivery(spec: DeliverySpec): Promise<DeliveryResult> {
  const scheme = webhookScheme(spec.scheme);
  if (!scheme?.sign) throw new Error(`scheme ${spec.scheme} cannot sign`);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const acceptedAt = new Map<string, number>();
  const arrivedAt = new Map<string, number>();
  const hist = new Histogram();
  const match = (id: string) => {
    const a = acceptedAt.get(id);
    const b = arrivedAt.get(id);
    // The event may reach the stream before the 2xx reaches us: that counts as zero.
    if (a !== undefined && b !== undefined) hist.record(Math.max(0, b - a));
  };

  const rpc = createRpcClient(spec.grpcTarget, spec.consumerToken);
  let toAck: string[] = [];
  const stream = rpc.stream(WebhooksService.method.streamEvents, { consumer: spec.consumer, webhookIds: [spec.webhookId] }, (ev) => {
    const now = performance.now();
    const delivery = (JSON.parse(Buffer.from(ev.payload).toString()) as { delivery?: string }).delivery;
    toAck.push(ev.id);
    if (!delivery || arrivedAt.has(delivery)) return;
    arrivedAt.set(delivery, now);
    match(delivery);
  });
  const acker = setInterval(() => {
    if (toAck.length === 0) return;
    const eventIds = toAck;
    toAck = [];
    rpc.unary(WebhooksService.method.ackEvents, { consumer: spec.consumer, eventIds }).catch(() => {});
  }, 50);
  // Let the stream subscribe before the first post.
  await new Promise((r) => setTimeout(r, 500));

  const post = (deliveryId: string) =>
    new Promise<number>((resolve) => {
      const body = Buffer.from(JSON.stringify({ action: "bench", delivery: deliveryId }));
      const headers = {
        "content-type": "application/json",
        "content-length": String(body.length),
        "x-github-event": "push",
        ...scheme.sign!({ secret: spec.secret, body, now: Date.now(), deliveryId }),
      };
      const url = new URL(spec.postUrl);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", () => resolve(0));
      req.end(body);
    });

  let posted = 0;
  let accepted = 0;
  const total = Math.round(spec.ratePerS * spec.durationS);
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    // Open loop at a steady rate: latency is measured on an unsaturated system, as in production.
    const due = started + (i * 1000) / spec.ratePerS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const id = randomUUID();
    posted++;
    inflight.push(
      post(id).then((status) => {
        if (status < 200 || status >= 300) return;
        accepted++;
        acceptedAt.set(id, performance.now());
        match(id);
      }),
    );
  }
  await Promise.all(inflight);
  const deadline = performance.now() + 10_000;
  while (hist.count < accepted && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  clearInterval(acker);
  stream.cancel();
  rpc.close();
  agent.destroy();
  return { posted, accepted, delivered: hist.count, missing: accepted - hist.count, latencyMs: hist.summary() };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runDelivery(readSpecArg<DeliverySpec>(process.argv[2])).then(
    (r) => {
      process.stdout.write(JSON.stringify(r) + "\n");
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`webhook-delivery: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
