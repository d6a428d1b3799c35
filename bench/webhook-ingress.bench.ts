/**
 * Webhook ingress: signed GitHub-style POSTs, verified and durably stored, against a bare node:http
 * server answering 200 (same keep-alive client, same bodies). Target: throughput ratio ≥ 0.4.
 * Then the time from ingress `2xx` to delivery on StreamEvents, posting to one replica and
 * consuming on another (p50/p99), at a steady rate.
 */
import { WebhooksService } from "../src/gen/latchkey/v1/webhooks_pb.js";
import { runJson, startServer } from "./lib/child.js";
import { startDeployment } from "./lib/latchkey.js";
import { httpLoad, plain } from "./lib/load.js";
import { createRpcClient } from "./lib/rpc-client.js";
import { defineScenario, pairedRounds } from "./lib/scenario.js";
import { specArg } from "./lib/spec-arg.js";
import type { DeliveryResult, DeliverySpec } from "./load/webhook-delivery.js";

const CONCURRENCY = 32;
/**
 * A durable write answers after a commit, so at 32 connections ingress is bound by latency (each
 * connection waits out a batch's round trip) as much as by CPU; 128 shows it with more in flight.
 */
const WIDE = 128;
const USER = "bench-webhook-user";
const TARGET = { throughputRatioAtLeast: 0.4 };

export default defineScenario({
  name: "webhook-ingress",
  title: "Webhook ingress (signed, verified, stored) vs bare 200 handler; ingress → StreamEvents latency",
  async run(ctx) {
    const deployment = await startDeployment({ databaseUrl: ctx.databaseUrl, label: "webhooks", replicas: 2 });
    const bare = await startServer<{ port: number }>("baselines/http-ok-server.ts", { logName: "http-ok" });
    try {
      const [a, b] = deployment.replicas;
      const op = createRpcClient(`127.0.0.1:${a!.ready.grpcPort}`, deployment.callers.operatorToken);
      const create = () => op.unary(WebhooksService.method.createWebhook, { userId: USER, provider: "github", resource: "bench/repo", events: ["push"] });
      const load = await create();
      const latency = await create();
      op.close();
      if (!load.signingSecret || !latency.signingSecret) throw new Error("CreateWebhook returned no signing_secret for github");
      const path = (id: string) => `/webhooks/github/${id}`;
      const spec = {
        concurrency: CONCURRENCY,
        durationS: ctx.durationS,
        warmupS: ctx.warmupS,
        scheme: "github",
        secret: load.signingSecret,
        headers: { "x-github-event": "push" },
      };

      const rounds = ctx.flags.has("quick") ? 1 : 3;
      const pair = (connections: number) =>
        pairedRounds(
          `signed POST stored vs bare 200, ${connections} connections`,
          rounds,
          () => httpLoad("node:http 200", { ...spec, concurrency: connections, url: `http://127.0.0.1:${bare.ready.port}${path(load.webhook!.id)}` }).then(plain),
          () => httpLoad("latchkey ingress", { ...spec, concurrency: connections, url: `http://127.0.0.1:${a!.ready.publicPort}${path(load.webhook!.id)}` }).then(plain),
          TARGET,
        );
      ctx.log(`${rounds} paired rounds: bare 200, then latchkey ingress, ${CONCURRENCY} connections`);
      const main = await pair(CONCURRENCY);
      ctx.log(`${rounds} paired rounds at ${WIDE} connections`);
      const wide = await pair(WIDE);
      const [stored] = await deployment.db.sql<{ n: string }[]>`select count(*)::text as n from webhook_events where webhook_id = ${load.webhook!.id}`;

      ctx.log("ingress 2xx → StreamEvents on the other replica");
      const dspec: DeliverySpec = {
        postUrl: `http://127.0.0.1:${a!.ready.publicPort}${path(latency.webhook!.id)}`,
        scheme: "github",
        secret: latency.signingSecret,
        grpcTarget: `127.0.0.1:${b!.ready.grpcPort}`,
        consumerToken: deployment.callers.consumerToken,
        consumer: "bench-consumer",
        webhookId: latency.webhook!.id,
        ratePerS: 100,
        durationS: ctx.durationS,
      };
      const d = await runJson<DeliveryResult>("load/webhook-delivery.ts", { args: [specArg(dspec)], logName: "webhook-delivery" });
      return {
        comparisons: [main.median, wide.median],
        facts: {
          [`throughput ratio of each round, ${CONCURRENCY} connections`]: main.ratios.join(", "),
          [`throughput ratio of each round, ${WIDE} connections`]: wide.ratios.join(", "),
          "events stored (all 2xx answers incl. warmup)": Number(stored?.n ?? 0),
          "delivery: posted / accepted / streamed / missing": `${d.posted} / ${d.accepted} / ${d.delivered} / ${d.missing}`,
          "ingress 2xx → StreamEvents p50 (ms)": d.latencyMs.p50,
          "ingress 2xx → StreamEvents p99 (ms)": d.latencyMs.p99,
          "ingress 2xx → StreamEvents max (ms)": d.latencyMs.max,
        },
        notes: [`${CONCURRENCY} and ${WIDE} keep-alive connections, ~1 KiB bodies, each delivery unique (no dedupe shortcut); delivery latency at ${dspec.ratePerS}/s, posted to replica A, consumed on replica B.`],
      };
    } finally {
      await bare.stop();
      await deployment.stop();
    }
  },
});
