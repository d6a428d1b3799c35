/**
 * GetAccessToken on a valid API-key token over gRPC, 64 concurrent streams from another process,
 * against the bare grpc-js echo (same method path, same response size). Target: throughput ratio
 * ≥ 0.6, p99 ≤ 3x, with the default configuration, as the median of paired rounds (echo, then
 * Latchkey, alternately: see pairedRounds). Also measured: a log line for every call
 * (LOG_RPC_LEVEL=info), to show what per-call logging costs. Checked: both answers have the same
 * size, and every hand-out has its access_audit row (a grpc-js burst, which sees grpc-status,
 * where h2load only sees HTTP 200).
 */
import { CredentialsService } from "../src/gen/latchkey/v1/credentials_pb.js";
import { startServer } from "./lib/child.js";
import { API_KEY_PROVIDER, BENCH_USER, benchApiKey, getAccessTokenRequest, GET_ACCESS_TOKEN_PATH } from "./lib/fixtures.js";
import { startDeployment } from "./lib/latchkey.js";
import { grpcLoad, plain } from "./lib/load.js";
import { createRpcClient, rawUnary } from "./lib/rpc-client.js";
import { defineScenario, pairedRounds } from "./lib/scenario.js";

const CONCURRENCY = 64;
const TARGET = { throughputRatioAtLeast: 0.6, p99RatioAtMost: 3 };

export default defineScenario({
  name: "get-access-token",
  title: "GetAccessToken (valid token, 64 streams) vs bare grpc-js echo",
  async run(ctx) {
    const facts: Record<string, number | string | boolean> = {};
    const notes: string[] = [];
    const deployment = await startDeployment({ databaseUrl: ctx.databaseUrl, label: "gat" });
    const echo = await startServer<{ port: number }>("baselines/grpc-echo-server.ts", { logName: "grpc-echo" });
    try {
      const [replica] = deployment.replicas;
      const target = `127.0.0.1:${replica!.ready.grpcPort}`;
      const op = createRpcClient(target, deployment.callers.operatorToken);
      const created = await op.unary(CredentialsService.method.createApiKeyCredential, {
        userId: BENCH_USER,
        provider: API_KEY_PROVIDER,
        apiKey: benchApiKey(),
        title: "bench",
      });
      op.close();
      const credentialId = created.credential!.id;
      const spec = {
        path: GET_ACCESS_TOKEN_PATH,
        requests: [getAccessTokenRequest(BENCH_USER, credentialId).toString("base64")],
        metadata: { authorization: `Bearer ${deployment.callers.executorToken}` },
        concurrency: CONCURRENCY,
        connections: 1,
        durationS: ctx.durationS,
        warmupS: ctx.warmupS,
      };

      const request = getAccessTokenRequest(BENCH_USER, credentialId);
      const sizes = await Promise.all([
        rawUnary(`127.0.0.1:${echo.ready.port}`, GET_ACCESS_TOKEN_PATH, request, "x"),
        rawUnary(target, GET_ACCESS_TOKEN_PATH, request, deployment.callers.executorToken),
      ]);
      facts["response bytes (echo / latchkey)"] = `${sizes[0].length} / ${sizes[1].length}`;
      if (sizes[0].length !== sizes[1].length) notes.push("response sizes differ: the echo's fixture no longer matches Latchkey's answer");

      const rounds = ctx.flags.has("quick") ? 3 : 5;
      const echoLoad = (label: string) => () => grpcLoad(label, { ...spec, targets: [`127.0.0.1:${echo.ready.port}`] }).then(plain);
      ctx.log(`${rounds} paired rounds: grpc-js echo, then latchkey (default logging)`);
      const main = await pairedRounds("GetAccessToken vs echo", rounds, echoLoad("grpc-js echo"), () => grpcLoad("latchkey", { ...spec, targets: [target] }).then(plain), TARGET);
      facts["throughput ratio of each round"] = main.ratios.join(", ");

      ctx.log("audit check: 500 concurrent calls, audit rows counted");
      const auditBefore = await countAudit(deployment.db.sql, credentialId);
      const burst = await grpcLoad("audit burst", { ...spec, targets: [target], burst: 500 });
      const audited = (await countAudit(deployment.db.sql, credentialId)) - auditBefore;
      facts["audit check: tokens handed out / audit rows written"] = `${burst.raw.okTotal} / ${audited}`;
      facts["every hand-out audited"] = audited === burst.raw.okTotal && burst.errors === 0;

      ctx.log("3 paired rounds: echo, then latchkey with every call logged at info");
      const loud = await deployment.addReplica({ LOG_RPC_LEVEL: "info" });
      const logged = await pairedRounds("GetAccessToken, every call logged (LOG_RPC_LEVEL=info), vs echo", 3, echoLoad("grpc-js echo"), () =>
        grpcLoad("latchkey, LOG_RPC_LEVEL=info", { ...spec, targets: [`127.0.0.1:${loud.ready.grpcPort}`] }).then(plain),
      );
      facts["throughput ratio of each round, every call logged"] = logged.ratios.join(", ");

      return { comparisons: [main.median, logged.median], facts, notes };
    } finally {
      await echo.stop();
      await deployment.stop();
    }
  },
});

async function countAudit(sql: import("../src/storage/db.js").Sql, credentialId: string): Promise<number> {
  const [row] = await sql<{ n: string }[]>`select count(*)::text as n from access_audit where credential_id = ${credentialId}`;
  return Number(row?.n ?? 0);
}
