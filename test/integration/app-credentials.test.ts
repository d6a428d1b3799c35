/**
 * The whole service, started as main.ts starts it, called over real sockets: gRPC (grpc-js
 * clients), Connect JSON over HTTP/1.1 (fetch), and buf curl through reflection.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialsService } from "../../src/gen/latchkey/v1/credentials_pb.js";
import { startTestApp, TOKENS, type TestApp } from "../support/harness.js";
import { bearer, grpcClient, unary } from "../support/grpc-client.js";
import { captureLogs } from "../support/logs.js";

const logs = captureLogs("debug");
let app: TestApp;
let creds: ReturnType<typeof grpcClient>;

const API_KEY = "sk-live-canary-9f8e7d6c5b4a";

beforeAll(async () => {
  app = await startTestApp({ logger: logs.logger, env: { LOG_RPC_LEVEL: "info" } });
  creds = grpcClient(CredentialsService, app.grpcAddress);
});
afterAll(async () => {
  creds?.close();
  await app?.stop();
  await app?.db.drop();
});

const as = (role: keyof typeof TOKENS) => bearer(TOKENS[role]);

async function createKey(userId: string, provider = "openai", title = "") {
  const { err, res } = await unary(creds, "createApiKeyCredential", { userId, provider, apiKey: API_KEY, title, metadata: { team: "a" } }, as("backend"));
  expect(err).toBeNull();
  return res.credential;
}

describe("CredentialsService over gRPC", () => {
  it("stores an API key and hands it to an executor, auditing the hand-out", async () => {
    const c = await createKey("u-1");
    expect(c).toMatchObject({ userId: "u-1", provider: "openai", title: "OpenAI", status: 1, kind: 2 });
    const { err, res } = await unary(creds, "getAccessToken", { userId: "u-1", credentialId: c.id }, as("executor"));
    expect(err).toBeNull();
    expect(res).toMatchObject({ accessToken: API_KEY, tokenType: "ApiKey", provider: "openai", credentialId: c.id });
    const audit = await app.db.sql`select caller, user_id from access_audit where credential_id = ${c.id}`;
    expect(audit).toEqual([{ caller: "executor-svc", user_id: "u-1" }]);
  });

  it("answers NOT_FOUND for another user's credential, as for a missing one", async () => {
    const c = await createKey("u-2");
    const foreign = await unary(creds, "getCredential", { userId: "u-other", credentialId: c.id }, as("backend"));
    const missing = await unary(creds, "getCredential", { userId: "u-other", credentialId: crypto.randomUUID() }, as("backend"));
    expect(foreign.err?.code).toBe(status.NOT_FOUND);
    expect(foreign.err?.details).toBe(missing.err?.details);
    const token = await unary(creds, "getAccessToken", { userId: "u-other", credentialId: c.id }, as("executor"));
    expect(token.err?.code).toBe(status.NOT_FOUND);
  });

  it("rejects bad input with INVALID_ARGUMENT naming the field", async () => {
    const cases: Array<[string, object, string]> = [
      ["createApiKeyCredential", { userId: "", provider: "openai", apiKey: "k" }, "user_id"],
      ["createApiKeyCredential", { userId: "u", provider: "nope", apiKey: "k" }, "provider"],
      ["createApiKeyCredential", { userId: "u", provider: "openai", apiKey: " " }, "api_key"],
      ["createApiKeyCredential", { userId: "u".repeat(257), provider: "openai", apiKey: "k" }, "user_id"],
      ["getCredential", { userId: "u", credentialId: "not-a-uuid" }, "credential_id"],
      ["listCredentials", { userId: "u", pageSize: 5000 }, "page_size"],
      ["listCredentials", { userId: "u", pageToken: "garbage!" }, "page_token"],
      ["updateCredential", { userId: "u", credentialId: crypto.randomUUID(), updateMask: { paths: ["provider"] } }, "update_mask"],
      ["getAccessToken", { userId: "u", credentialId: crypto.randomUUID(), minValidSeconds: -1 }, "min_valid_seconds"],
      ["getCredential", { userId: "u\u0000x", credentialId: crypto.randomUUID() }, "user_id"],
      ["createApiKeyCredential", { userId: "u", provider: "openai", apiKey: "k", metadata: { a: "b\u0000" } }, "metadata"],
      ["createApiKeyCredential", { userId: "u", provider: "openai", apiKey: "k", title: "t\u0000" }, "title"],
    ];
    for (const [method, req, field] of cases) {
      const { err } = await unary(creds, method, req, as("operator"));
      expect(err?.code, `${method} ${field}`).toBe(status.INVALID_ARGUMENT);
      expect(err?.details.startsWith(`${field}:`), `${method}: ${err?.details}`).toBe(true);
    }
  });

  it("enforces roles: an executor may fetch tokens but not create credentials; no token is UNAUTHENTICATED", async () => {
    const denied = await unary(creds, "createApiKeyCredential", { userId: "u", provider: "openai", apiKey: "k" }, as("executor"));
    expect(denied.err?.code).toBe(status.PERMISSION_DENIED);
    const anon = await unary(creds, "getCredential", { userId: "u", credentialId: crypto.randomUUID() });
    expect(anon.err?.code).toBe(status.UNAUTHENTICATED);
  });

  it("pages through a user's credentials newest first with a cursor, filtered by provider", async () => {
    for (let i = 0; i < 5; i++) await createKey("u-pages", i % 2 ? "anthropic" : "openai", `k${i}`);
    const seen: string[] = [];
    let pageToken = "";
    do {
      const { err, res } = await unary(creds, "listCredentials", { userId: "u-pages", pageSize: 2, pageToken }, as("backend"));
      expect(err).toBeNull();
      expect(res.credentials.length).toBeLessThanOrEqual(2);
      seen.push(...res.credentials.map((c: { title: string }) => c.title));
      pageToken = res.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(["k4", "k3", "k2", "k1", "k0"]);
    const { res } = await unary(creds, "listCredentials", { userId: "u-pages", provider: "anthropic" }, as("backend"));
    expect(res.credentials.map((c: { title: string }) => c.title)).toEqual(["k3", "k1"]);
  });

  it("skips no row when several were created within one millisecond", async () => {
    for (let i = 0; i < 5; i++) await createKey("u-same-ms", "openai", `m${i}`);
    // Microsecond-apart timestamps inside one millisecond, as concurrent inserts produce.
    await app.db.sql`
      update credentials set created_at = timestamptz '2026-01-01 00:00:00.123' + (substr(title, 2)::int * interval '1 microsecond')
      where user_id = 'u-same-ms'`;
    const seen: string[] = [];
    let pageToken = "";
    do {
      const { err, res } = await unary(creds, "listCredentials", { userId: "u-same-ms", pageSize: 2, pageToken }, as("backend"));
      expect(err).toBeNull();
      seen.push(...res.credentials.map((c: { title: string }) => c.title));
      pageToken = res.nextPageToken;
    } while (pageToken);
    expect(seen.sort()).toEqual(["m0", "m1", "m2", "m3", "m4"]);
  });

  it("updates only the fields named by the update mask", async () => {
    const c = await createKey("u-upd", "openai", "before");
    const { err, res } = await unary(
      creds,
      "updateCredential",
      { userId: "u-upd", credentialId: c.id, title: "after", metadata: { x: "1" }, updateMask: { paths: ["title"] } },
      as("backend"),
    );
    expect(err).toBeNull();
    expect(res.credential.title).toBe("after");
    expect(res.credential.metadata).toEqual({ team: "a" });
  });

  it("deletes a credential: its token is never served again", async () => {
    const c = await createKey("u-del");
    await unary(creds, "getAccessToken", { userId: "u-del", credentialId: c.id }, as("executor"));
    const del = await unary(creds, "deleteCredential", { userId: "u-del", credentialId: c.id }, as("backend"));
    expect(del.err).toBeNull();
    expect(del.res.revokedAtProvider).toBe(false);
    const after = await unary(creds, "getAccessToken", { userId: "u-del", credentialId: c.id }, as("executor"));
    expect(after.err?.code).toBe(status.NOT_FOUND);
  });

  it("keeps the API key out of every row and every log line", async () => {
    await createKey("u-leak");
    const rows = await app.db.sql`
      select json_agg(c)::text as c, (select json_agg(a)::text from access_audit a) as a from credentials c`;
    expect(JSON.stringify(rows)).not.toContain(API_KEY);
    expect(logs.text()).toContain("GetAccessToken");
    expect(logs.text()).not.toContain(API_KEY);
  });
});

describe("the other transports of the same services", () => {
  it("serves every RPC as Connect JSON over HTTP/1.1 on the internal port", async () => {
    const res = await fetch(`${app.internalUrl}/latchkey.v1.CredentialsService/ListProviders`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKENS.executor}` },
      body: JSON.stringify({ authType: "api_key" }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { providers: Array<{ name: string; authTypes: string[] }> };
    expect(body.providers.map((p) => p.name)).toEqual(expect.arrayContaining(["openai", "anthropic", "pinecone", "smtp"]));
    expect(body.providers.every((p) => p.authTypes.includes("api_key"))).toBe(true);
  });

  it("lists every service through reflection with buf curl, no proto files", async () => {
    const { stdout } = await promisify(execFile)("npx", ["buf", "curl", "--protocol", "grpc", "--http2-prior-knowledge", "--list-services", `http://${app.grpcAddress}`]);
    const services = stdout.trim().split("\n").sort();
    expect(services).toEqual(
      expect.arrayContaining([
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
        "latchkey.v1.CredentialsService",
        "latchkey.v1.OAuthService",
        "latchkey.v1.WebhooksService",
      ]),
    );
  });

  it("reports readiness and exposes RPC metrics", async () => {
    expect((await fetch(`${app.internalUrl}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${app.internalUrl}/metrics`)).text();
    expect(metrics).toMatch(/latchkey_rpc_requests_total\{[^}]*method="latchkey.v1.CredentialsService\/GetAccessToken"/);
    expect((await fetch(`${app.publicUrl}/healthz`)).status).toBe(200);
  });
});
