import http2 from "node:http2";
import net from "node:net";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialsService } from "../../src/gen/latchkey/v1/credentials_pb.js";
import { WebhooksService } from "../../src/gen/latchkey/v1/webhooks_pb.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { startInternalServer, type InternalServerHandle } from "../../src/transport/connect/server.js";
import { TOKENS } from "../support/callers.js";
import { bearer, grpcClient, unary } from "../support/grpc-client.js";
import { captureLogs } from "../support/logs.js";
import { authenticator, bindings, SECRET_ACCESS_TOKEN } from "./transport-fixtures.js";

const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("internal HTTP port (Connect, gRPC-Web, gRPC; HTTP/1.1 and h2c)", () => {
  const logs = captureLogs();
  const metrics = createMetrics({ defaultMetrics: false });
  let server: InternalServerHandle;
  let base: string;
  let dbUp = true;

  beforeAll(async () => {
    server = await startInternalServer({
      bindings: bindings(),
      authenticator,
      logger: logs.logger,
      metrics,
      host: "127.0.0.1",
      port: 0,
      readiness: [
        { name: "postgres", check: async () => { if (!dbUp) throw new Error("connect ECONNREFUSED postgres://app:pg-password@db"); } },
        { name: "secret_store", check: async () => undefined },
      ],
      routes: [{ method: "POST", path: "/hooks/:provider/:id", handler: async (_req, res, params) => { res.writeHead(202, { "content-type": "application/json" }); res.end(JSON.stringify(params)); } }],
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.drain(1000));

  const transports: Array<[string, () => Transport]> = [
    ["connect over HTTP/1.1", () => createConnectTransport({ baseUrl: base, httpVersion: "1.1" })],
    ["connect over h2c", () => createConnectTransport({ baseUrl: base, httpVersion: "2" })],
    ["gRPC-Web over HTTP/1.1", () => createGrpcWebTransport({ baseUrl: base, httpVersion: "1.1" })],
    ["gRPC-Web over h2c", () => createGrpcWebTransport({ baseUrl: base, httpVersion: "2" })],
    ["gRPC over h2c", () => createGrpcTransport({ baseUrl: base })],
  ];

  for (const [label, make] of transports) {
    it(`serves unary calls, auth errors and server streams with ${label}`, async () => {
      const transport = make();
      const creds = createClient(CredentialsService, transport);
      const res = await creds.listProviders({ category: "dev" }, auth(TOKENS.backend));
      expect(res.providers[0]?.displayName).toBe("GitHub");
      await expect(creds.listProviders({})).rejects.toMatchObject({ code: Code.Unauthenticated });
      await expect(creds.listCredentials({ userId: "u" }, auth(TOKENS.executor))).rejects.toMatchObject({ code: Code.PermissionDenied });
      const hooks = createClient(WebhooksService, transport);
      const ids: string[] = [];
      for await (const e of hooks.streamEvents({ consumer: "finite" }, auth(TOKENS.consumer))) ids.push(e.id);
      expect(ids).toEqual(["evt-0", "evt-1", "evt-2"]);
    });
  }

  it("maps domain errors to Connect codes with the field named, and hides unexpected errors", async () => {
    const creds = createClient(CredentialsService, createConnectTransport({ baseUrl: base, httpVersion: "1.1" }));
    const invalid = await creds.getCredential({ userId: "", credentialId: "x" }, auth(TOKENS.operator)).catch((e: unknown) => e as ConnectError);
    expect(invalid).toMatchObject({ code: Code.InvalidArgument });
    expect((invalid as ConnectError).rawMessage).toContain("user_id");
    await expect(creds.getCredential({ userId: "u", credentialId: "missing" }, auth(TOKENS.operator))).rejects.toMatchObject({ code: Code.NotFound });
    await expect(creds.refreshCredential({ userId: "u", credentialId: "c" }, auth(TOKENS.operator))).rejects.toMatchObject({ code: Code.FailedPrecondition });
    const internal = await creds.createApiKeyCredential({ userId: "u", provider: "p", apiKey: "sk-live-999" }, auth(TOKENS.operator)).catch((e: unknown) => e as ConnectError);
    expect(internal).toMatchObject({ code: Code.Internal, rawMessage: "internal error" });
    const hooks = createClient(WebhooksService, createConnectTransport({ baseUrl: base, httpVersion: "1.1" }));
    await expect(hooks.getWebhook({ userId: "u", webhookId: "w" }, auth(TOKENS.operator))).rejects.toMatchObject({ code: Code.Unimplemented });
  });

  it("answers plain HTTP/1.1 JSON posts (Connect unary)", async () => {
    const res = await fetch(`${base}/latchkey.v1.CredentialsService/ListProviders`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKENS.executor}`, "x-request-id": "json-1" },
      body: JSON.stringify({ category: "dev" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("json-1");
    expect(await res.json()).toMatchObject({ providers: [{ name: "github", displayName: "GitHub" }] });
    const denied = await fetch(`${base}/latchkey.v1.CredentialsService/ListProviders`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ code: "unauthenticated" });
  });

  it("serves grpc-js clients over h2c on the same port", async () => {
    const client = grpcClient(CredentialsService, `127.0.0.1:${server.port}`);
    const ok = await unary(client, "getAccessToken", { userId: "u", credentialId: "c" }, bearer(TOKENS.executor));
    expect(ok.res.accessToken).toBe(SECRET_ACCESS_TOKEN);
    expect((await unary(client, "getAccessToken", { userId: "u", credentialId: "c" })).err?.code).toBe(grpc.status.UNAUTHENTICATED);
    client.close();
  });

  it("serves /healthz and /metrics, and extra routes with their parameters", async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: "ok" });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/latchkey_rpc_requests_total\{method="latchkey.v1.CredentialsService\/ListProviders",code="OK",transport="http-connect"\} \d+/);
    expect(text).toContain('transport="http-grpc-web"');
    expect(text).toContain('code="PERMISSION_DENIED"');
    const hook = await fetch(`${base}/hooks/github/abc%20d`, { method: "POST", body: "x" });
    expect(hook.status).toBe(202);
    expect(await hook.json()).toEqual({ provider: "github", id: "abc d" });
    const wrongMethod = await fetch(`${base}/metrics`, { method: "POST", body: "" });
    expect(wrongMethod.status).toBe(405);
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: "not_found" });
  });

  it("answers /readyz 200 when every check passes and 503 naming the failed one, without its error text", async () => {
    const ok = await fetch(`${base}/readyz`);
    expect(ok.status).toBe(200);
    dbUp = false;
    const down = await fetch(`${base}/readyz`);
    dbUp = true;
    expect(down.status).toBe(503);
    const body = await down.text();
    expect(JSON.parse(body)).toMatchObject({ status: "unavailable", failed: ["postgres"], checks: { postgres: "failed", secret_store: "ok" } });
    expect(body).not.toContain("pg-password");
  });

  it("sniffs each connection: HTTP/1.1 split across packets and HTTP/2 prior knowledge both work", async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(server.port, "127.0.0.1", () => {
        sock.write("G");
        setTimeout(() => sock.write("ET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"), 30);
      });
      let out = "";
      sock.on("data", (d) => (out += d));
      sock.on("end", () => resolve(out));
      sock.on("error", reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 200/);
    const session = http2.connect(base);
    const status = await new Promise<number>((resolve, reject) => {
      const req = session.request({ ":path": "/healthz" });
      req.on("response", (h) => resolve(Number(h[":status"])));
      req.on("error", reject);
      req.resume();
    });
    session.close();
    expect(status).toBe(200);
  });

  it("logs one line per RPC and never a token or a handed-out secret", () => {
    const line = logs.lines().find((l) => l.msg === "rpc" && l.request_id === "json-1");
    expect(line).toMatchObject({ method: "latchkey.v1.CredentialsService/ListProviders", status: "OK", caller: "executor-svc", transport: "http-connect" });
    const text = logs.text();
    for (const token of Object.values(TOKENS)) expect(text).not.toContain(token);
    expect(text).not.toContain(SECRET_ACCESS_TOKEN);
    expect(text).not.toContain("sk-live-999");
  });
});

describe("internal HTTP port drain", () => {
  it("ends Connect server streams cleanly on drain, over HTTP/1.1 and h2c", async () => {
    const server = await startInternalServer({
      bindings: bindings(),
      authenticator,
      logger: captureLogs().logger,
      metrics: createMetrics({ defaultMetrics: false }),
      host: "127.0.0.1",
      port: 0,
      readiness: [],
      rpcLogLevel: "silent",
    });
    const base = `http://127.0.0.1:${server.port}`;
    const consume = async (httpVersion: "1.1" | "2") => {
      const hooks = createClient(WebhooksService, createConnectTransport({ baseUrl: base, httpVersion }));
      let n = 0;
      for await (const _ of hooks.streamEvents({ consumer: "live" }, auth(TOKENS.consumer))) n++;
      return n;
    };
    const streams = [consume("1.1"), consume("2")];
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await server.drain(3000);
    expect(Date.now() - started).toBeLessThan(2000);
    for (const n of await Promise.all(streams)) expect(n).toBeGreaterThan(0);
  });
});
