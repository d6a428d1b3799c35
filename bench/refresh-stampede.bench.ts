/**
 * Refresh stampede: 1,000 concurrent GetAccessToken calls on one expired OAuth token, spread over 3
 * replicas on one Postgres. Must cause exactly 1 refresh at the token endpoint (50 ms simulated
 * provider latency); reports the time until every call has answered. Baseline: the same burst on a
 * credential whose token is still valid (no refresh), on the same replicas.
 * Background workers are off (BENCH_WORKERS=off) so the background refresher cannot get there first.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { startServer } from "./lib/child.js";
import { getAccessTokenRequest, GET_ACCESS_TOKEN_PATH } from "./lib/fixtures.js";
import { startDeployment } from "./lib/latchkey.js";
import { grpcLoad, plain } from "./lib/load.js";
import { compare, defineScenario } from "./lib/scenario.js";
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
    let deployment;
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
      const burst = (credentialId: string) => ({
        targets: deployment!.grpcTargets(),
        path: GET_ACCESS_TOKEN_PATH,
        requests: [getAccessTokenRequest(USER, credentialId).toString("base64")],
        metadata: { authorization: `Bearer ${deployment!.callers.executorToken}` },
        concurrency: CALLS,
        burst: CALLS,
      });
      const count = async () => ((await (await fetch(`${base}/count`)).json()) as { refreshes: number; rejected: number });

      ctx.log(`baseline: ${CALLS} calls on a valid token`);
      const b = await grpcLoad("valid token (no refresh)", burst(valid));
      const before = await count();
      ctx.log(`subject: ${CALLS} calls on an expired token`);
      const s = await grpcLoad("expired token (1 refresh expected)", burst(expired));
      const after = await count();
      const refreshes = after.refreshes - before.refreshes;
      const [row] = await deployment.db.sql<{ version: string; expires: Date }[]>`
        select version::text, access_token_expires_at as expires from credentials where id = ${expired}`;
      const toMeasurement = (m: typeof b) => ({ ...plain(m), extra: { allAnsweredMs: Math.round(m.raw.elapsedS * 1000) } });
      return {
        comparisons: [compare("burst on expired vs valid token", toMeasurement(b), toMeasurement(s))],
        facts: {
          "refreshes at the token endpoint (expect 1)": refreshes,
          "exactly one refresh": refreshes === 1,
          "token endpoint rejections": after.rejected,
          "errors (valid / expired)": `${b.errors} / ${s.errors}`,
          "time until all answered, valid token (ms)": Math.round(b.raw.elapsedS * 1000),
          "time until all answered, expired token (ms)": Math.round(s.raw.elapsedS * 1000),
          "credential version after the stampede": row?.version ?? "?",
          "new expiry in the future": (row?.expires?.getTime() ?? 0) > Date.now(),
        },
        notes: [`${REPLICAS} replicas, one HTTP/2 connection each from one client process, calls spread round-robin; token endpoint latency 50 ms.`],
      };
    } finally {
      await deployment?.stop();
      await tokenEndpoint.stop();
    }
  },
});
