/**
 * What the secret store costs per GetAccessToken, and what the decrypted-token cache changes:
 * the local keyring vs Vault transit (the look-alike from test/support, over real HTTP in its own
 * process), each with the cache on (TOKEN_CACHE_TTL_MS default) and off (TOKEN_CACHE_TTL_MS=0).
 * 64 concurrent streams over one connection, as in get-access-token.
 */
import { CredentialsService } from "../src/gen/latchkey/v1/credentials_pb.js";
import { startServer } from "./lib/child.js";
import { API_KEY_PROVIDER, BENCH_USER, benchApiKey, getAccessTokenRequest, GET_ACCESS_TOKEN_PATH } from "./lib/fixtures.js";
import { startDeployment, type Deployment } from "./lib/latchkey.js";
import { grpcLoad, plain } from "./lib/load.js";
import { createRpcClient } from "./lib/rpc-client.js";
import { compare, defineScenario, type ScenarioContext } from "./lib/scenario.js";

const CONCURRENCY = 64;

async function measure(ctx: ScenarioContext, d: Deployment, label: string) {
  const [cacheOn] = d.replicas;
  const cacheOff = await d.addReplica({ TOKEN_CACHE_TTL_MS: "0" });
  const op = createRpcClient(`127.0.0.1:${cacheOn!.ready.grpcPort}`, d.callers.operatorToken);
  const created = await op.unary(CredentialsService.method.createApiKeyCredential, { userId: BENCH_USER, provider: API_KEY_PROVIDER, apiKey: benchApiKey(), title: "bench" });
  op.close();
  const spec = {
    path: GET_ACCESS_TOKEN_PATH,
    requests: [getAccessTokenRequest(BENCH_USER, created.credential!.id).toString("base64")],
    metadata: { authorization: `Bearer ${d.callers.executorToken}` },
    concurrency: CONCURRENCY,
    durationS: ctx.durationS,
    warmupS: ctx.warmupS,
  };
  ctx.log(`${label}, cache on`);
  const on = await grpcLoad(`${label}, cache on`, { ...spec, targets: [`127.0.0.1:${cacheOn!.ready.grpcPort}`] });
  ctx.log(`${label}, cache off`);
  const off = await grpcLoad(`${label}, cache off`, { ...spec, targets: [`127.0.0.1:${cacheOff.ready.grpcPort}`] });
  return { on: plain(on), off: plain(off) };
}

export default defineScenario({
  name: "secret-store",
  title: "GetAccessToken: Vault transit vs local keyring, decrypted-token cache on/off",
  async run(ctx) {
    const local = await startDeployment({ databaseUrl: ctx.databaseUrl, label: "local" });
    let localM;
    try {
      localM = await measure(ctx, local, "local keyring");
    } finally {
      await local.stop();
    }
    const vaultServer = await startServer<{ addr: string; token: string }>("servers/vault-transit.ts", { logName: "vault-transit" });
    let vaultM;
    try {
      const vault = await startDeployment({
        databaseUrl: ctx.databaseUrl,
        label: "vault",
        env: { VAULT_ADDR: vaultServer.ready.addr, VAULT_TOKEN: vaultServer.ready.token },
      });
      try {
        vaultM = await measure(ctx, vault, "vault transit");
      } finally {
        await vault.stop();
      }
    } finally {
      await vaultServer.stop();
    }
    return {
      comparisons: [
        compare("cost of Vault per call (cache off): vault vs local", localM.off, vaultM.off),
        compare("cache effect with Vault: on vs off", vaultM.off, vaultM.on),
        compare("cache effect with local keyring: on vs off", localM.off, localM.on),
        compare("with the cache on: vault vs local", localM.on, vaultM.on),
      ],
      facts: {},
      notes: [
        "Cache entries are keyed by (credential id, row version) and only served after the batched audit gate confirms the version in Postgres, so a refresh or delete on any replica is never served stale; TOKEN_CACHE_TTL_MS bounds how long plaintext stays in memory (0 turns it off).",
        "The Vault here is the test look-alike (real HTTP, real AES-GCM, derived keys) in its own process on loopback; a real Vault adds its own latency and network hops.",
      ],
    };
  },
});
