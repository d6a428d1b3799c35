/**
 * Refresh stampede: 1,000 concurrent GetAccessToken calls on one expired OAuth token, spread over 3
 * replicas on one Postgres. Must cause exactly 1 refresh at the token endpoint (50 ms simulated
 * provider latency); reports the time until every call has answered. Baseline: the same burst on a
 * credential whose token is still valid (no refresh), on the same replicas.
 * Background workers are off (BENCH_WORKERS=off) so the background refresher cannot get there first.
 * With h2load installed, one h2load per replica fires its share at once (one connection, N streams);
 * h2load cannot see grpc-status, so success is checked by counting the audit rows (one per token
 * handed out). Without it, one grpc-js process spreads the burst over the replicas.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { startServer } from "./lib/child.js";
import { getAccessTokenRequest, GET_ACCESS_TOKEN_PATH } from "./lib/fixtures.js";
import { startDeployment, type Deployment } from "./lib/latchkey.js";
import { summarize } from "./lib/histogram.js";
import { grpcLoad, plain } from "./lib/load.js";
import { has } from "./lib/machine.js";
import { compare, defineScenario, type Measurement } from "./lib/scenario.js";
import { runH2loadBurst } from "./load/h2load.js";
import { insertOAuthCredential, openKeyring } from "./lib/seed.js";

const CALLS = 1000;
const REPLICAS = 3;
const PROVIDER = "bench_oauth";
const USER = "bench-stampede-user";

export default defineScenario({
  name: "refresh-stampede",
  title: `${CALLS} concurrent GetAccessToken on one expired token over ${REPLICAS} replicas`,
  async run(ctx) {
    const client = { id: "bench-client", secret: `cs-${Date.now()}` };
    const tokenEndpoint = await startServer<{ port: number }>("servers/token-endpoint.ts", {
      env: { TOKEN_ENDPOINT_CLIENT_ID: client.id, TOKEN_ENDPOINT_CLIENT_SECRET: client.secret },
      logName: "token-endpoint",
    });
    const base = `http://127.0.0.1:${tokenEndpoint.ready.port}`;
    const providersFile = path.join(process.env.TMPDIR ?? "/tmp", `latchkey-bench-providers-${process.pid}.json`);
    await writeFile(
      providersFile,
      JSON.stringify({
        providers: [
          {
            name: PROVIDER,
            display_name: "Bench OAuth",
            category: "bench",
            auth_types: ["oauth2"],
            oauth: { grant: "authorization_code", authorize_url: `${base}/authorize`, token_url: `${base}/token`, default_scopes: ["read"], refresh: true },
            client_id: client.id,
            client_secret: client.secret,
          },
        ],
      }),
    );
    let deployment: Deployment | undefined;
    try {
      deployment = await startDeployment({
        databaseUrl: ctx.databaseUrl,
        label: "stampede",
        replicas: REPLICAS,
        env: { LATCHKEY_PROVIDERS_FILE: providersFile, BENCH_WORKERS: "off" },
      });
      const keyring = await openKeyring(deployment.dataDir);
      const seed = (expiresAt: Date) =>
        insertOAuthCredential(deployment!.db.sql, keyring, {
          userId: USER,
          provider: PROVIDER,
          accessToken: `at-seed-${Date.now()}`,
          refreshToken: `rt-seed-${Date.now()}`,
          expiresAt,
        });
      const valid = await seed(new Date(Date.now() + 3600_000));
      const expired = await seed(new Date(Date.now() - 60_000));
      const metadata = { authorization: `Bearer ${deployment!.callers.executorToken}` };
      const audited = async (id: string) =>
        Number((await deployment!.db.sql<{ n: string }[]>`select count(*)::text as n from access_audit where credential_id = ${id}`)[0]?.n ?? 0);
      const burst = async (label: string, credentialId: string): Promise<{ m: Measurement; wallMs: number }> => {
        const message = getAccessTokenRequest(USER, credentialId);
        if (has("h2load") && process.env.BENCH_LOADER !== "node") {
          const targets = deployment!.grpcTargets();
          const auditedBefore = await audited(credentialId);
          const started = performance.now();
          const parts = await Promise.all(
            targets.map((t, i) => runH2loadBurst(t, GET_ACCESS_TOKEN_PATH, message, metadata, Math.floor(CALLS / targets.length) + (i < CALLS % targets.length ? 1 : 0))),
          );
          const wallMs = Math.round(performance.now() - started);
          const latencies = parts.flatMap((p) => p.latencies);
          // A gRPC error is HTTP 200 to h2load: what was really handed out is what the audit table holds.
          const handedOut = (await audited(credentialId)) - auditedBefore;
          const errors = CALLS - handedOut;
          return {
            m: { label, rps: Math.round((handedOut * 1000) / wallMs), latencyMs: summarize(latencies), requests: CALLS, errors, extra: { loader: "h2load", allAnsweredMs: wallMs } },
            wallMs,
          };
        }
        const r = await grpcLoad(label, { targets: deployment!.grpcTargets(), path: GET_ACCESS_TOKEN_PATH, requests: [message.toString("base64")], metadata, concurrency: CALLS, burst: CALLS });
        const wallMs = Math.round(r.raw.elapsedS * 1000);
        return { m: { ...plain(r), extra: { loader: "grpc-js", allAnsweredMs: wallMs } }, wallMs };
      };
      const count = async () => ((await (await fetch(`${base}/count`)).json()) as { refreshes: number; rejected: number });

      // Warm the replicas (JIT, pools, prepared statements) so the baseline is not a cold start.
      await burst("warmup", valid);
      ctx.log(`baseline: ${CALLS} calls on a valid token`);
      const b = await burst("valid token (no refresh)", valid);
      const before = await count();
      ctx.log(`subject: ${CALLS} calls on an expired token`);
      const s = await burst("expired token (1 refresh expected)", expired);
      const after = await count();
      const refreshes = after.refreshes - before.refreshes;
      const [row] = await deployment.db.sql<{ version: string; expires: Date }[]>`
        select version::text, access_token_expires_at as expires from credentials where id = ${expired}`;
      return {
        comparisons: [compare("burst on expired vs valid token", b.m, s.m)],
        facts: {
          "refreshes at the token endpoint (expect 1)": refreshes,
          "exactly one refresh": refreshes === 1,
          "token endpoint rejections": after.rejected,
          "errors (valid / expired)": `${b.m.errors} / ${s.m.errors}`,
          "time until all answered, valid token (ms)": b.wallMs,
          "time until all answered, expired token (ms)": s.wallMs,
          "credential version after the stampede": row?.version ?? "?",
          "new expiry in the future": (row?.expires?.getTime() ?? 0) > Date.now(),
        },
        notes: [`${REPLICAS} replicas, one HTTP/2 connection to each, the calls split evenly and all in flight at once; token endpoint latency 50 ms.`],
      };
    } finally {
      await deployment?.stop();
      await tokenEndpoint.stop();
    }
  },
});
