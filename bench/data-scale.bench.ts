/**
 * Scaling with data: GetAccessToken and ListCredentials latency with 10k and 1M stored credentials
 * (--quick skips the 1M set), against the same calls with 1k rows in the same run. Flat ratios mean the
 * hot queries stay index lookups. Rows are generated in bulk (COPY), each secret encrypted for its
 * own row with the deployment's keyring. 16 concurrent callers, requests spread over many
 * credentials and users so the cache does not hide the database.
 */
import { ListCredentialsRequestSchema } from "../src/gen/latchkey/v1/credentials_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { getAccessTokenRequest, GET_ACCESS_TOKEN_PATH, LIST_CREDENTIALS_PATH } from "./lib/fixtures.js";
import { startDeployment, type Deployment } from "./lib/latchkey.js";
import { grpcLoad, plain } from "./lib/load.js";
import { compare, defineScenario, type Measurement, type ScenarioContext } from "./lib/scenario.js";
import { bulkInsertApiKeys, openKeyring, type SeededCredential } from "./lib/seed.js";

const CONCURRENCY = 16;
const PER_USER = 100;
/** Distinct credentials / users each measurement cycles through. */
const SAMPLE = 1000;

interface Level {
  rows: number;
  token: Measurement;
  list: Measurement;
}

async function measureLevel(ctx: ScenarioContext, d: Deployment, rows: number, sample: SeededCredential[]): Promise<Level> {
  const target = d.grpcTargets()[0]!;
  const common = { targets: [target], concurrency: CONCURRENCY, durationS: ctx.durationS, warmupS: ctx.warmupS };
  const users = [...new Set(sample.map((c) => c.userId))];
  ctx.log(`${rows} rows: GetAccessToken over ${sample.length} credentials`);
  const token = await grpcLoad(`${rows} rows`, {
    ...common,
    path: GET_ACCESS_TOKEN_PATH,
    requests: sample.map((c) => getAccessTokenRequest(c.userId, c.id).toString("base64")),
    metadata: { authorization: `Bearer ${d.callers.executorToken}` },
  });
  ctx.log(`${rows} rows: ListCredentials (page_size 50) over ${users.length} users`);
  const list = await grpcLoad(`${rows} rows`, {
    ...common,
    path: LIST_CREDENTIALS_PATH,
    requests: users.map((u) =>
      Buffer.from(toBinary(ListCredentialsRequestSchema, create(ListCredentialsRequestSchema, { userId: u, pageSize: 50 }))).toString("base64"),
    ),
    metadata: { authorization: `Bearer ${d.callers.operatorToken}` },
  });
  return { rows, token: plain(token), list: plain(list) };
}

/** Reservoir sample: `SAMPLE` credentials drawn uniformly from everything seeded so far. */
function reservoir() {
  const picked: SeededCredential[] = [];
  let seen = 0;
  return {
    add(c: SeededCredential) {
      seen++;
      if (picked.length < SAMPLE) picked.push(c);
      else {
        const j = Math.floor(Math.random() * seen);
        if (j < SAMPLE) picked[j] = c;
      }
    },
    picked: () => [...picked],
  };
}

export default defineScenario({
  name: "data-scale",
  title: "GetAccessToken and ListCredentials latency with 10k and 1M stored credentials",
  async run(ctx) {
    // 1M rows seed in ~35 s here (COPY), so they are in the default run; --quick leaves them out.
    const levels = ctx.flags.has("quick") ? [1_000, 10_000] : [1_000, 10_000, 1_000_000];
    const d = await startDeployment({ databaseUrl: ctx.databaseUrl, label: "scale", env: { LOG_RPC_LEVEL: "debug" } });
    const facts: Record<string, number | string | boolean> = {};
    try {
      const keyring = await openKeyring(d.dataDir);
      const sample = reservoir();
      const results: Level[] = [];
      let have = 0;
      for (const rows of levels) {
        const started = performance.now();
        await bulkInsertApiKeys(d.db.sql, keyring, {
          count: rows - have,
          perUser: PER_USER,
          userPrefix: `scale-${rows}-u`,
          onSample: (c) => sample.add(c),
        });
        have = rows;
        facts[`seeding to ${rows} rows (s)`] = Math.round((performance.now() - started) / 100) / 10;
        results.push(await measureLevel(ctx, d, rows, sample.picked()));
      }
      const [small, ...larger] = results;
      const [size] = await d.db.sql<{ s: string }[]>`select pg_size_pretty(pg_total_relation_size('credentials')) as s`;
      facts["credentials table + indexes"] = size?.s ?? "?";
      return {
        comparisons: larger.flatMap((l) => [
          compare(`GetAccessToken: ${l.rows} vs ${small!.rows} rows`, small!.token, l.token),
          compare(`ListCredentials: ${l.rows} vs ${small!.rows} rows`, small!.list, l.list),
        ]),
        facts,
        notes: [
          `${CONCURRENCY} concurrent callers; ${PER_USER} credentials per user; requests cycle over up to ${SAMPLE} credentials sampled uniformly from all rows; the per-RPC log line is off (LOG_RPC_LEVEL=debug) to isolate the database.`,
          ctx.flags.has("quick") ? "1M rows skipped (--quick)." : "The 1M rows take ~0.5 GB in Postgres while the scenario runs; the schema is dropped at the end.",
        ],
      };
    } finally {
      await d.stop();
    }
  },
});
