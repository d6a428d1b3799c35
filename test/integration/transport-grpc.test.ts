import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialsService } from "../../src/gen/latchkey/v1/credentials_pb.js";
import { WebhooksService } from "../../src/gen/latchkey/v1/webhooks_pb.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { startGrpcServer, type GrpcServerHandle } from "../../src/transport/grpc/server.js";
import { TOKENS } from "../support/callers.js";
import { bearer, grpcClient, unary } from "../support/grpc-client.js";
import { captureLogs } from "../support/logs.js";
import { authenticator, bindings, SECRET_ACCESS_TOKEN } from "./transport-fixtures.js";

const run = promisify(execFile);

describe("gRPC port", () => {
  const logs = captureLogs();
  const metrics = createMetrics({ defaultMetrics: false });
  let server: GrpcServerHandle;
  let address: string;
  let creds: ReturnType<typeof grpcClient>;
  let hooks: ReturnType<typeof grpcClient>;

  beforeAll(async () => {
    server = await startGrpcServer({ bindings: bindings(), authenticator, logger: logs.logger, metrics, host: "127.0.0.1", port: 0 });
    address = `127.0.0.1:${server.port}`;
    creds = grpcClient(CredentialsService, address);
    hooks = grpcClient(WebhooksService, address);
  });
  afterAll(async () => {
    creds.close();
    hooks.close();
    await server.drain(1000);
  });

  it("serves a unary call for an authorized caller and echoes x-request-id in trailers", async () => {
    const md = bearer(TOKENS.operator);
    md.set("x-request-id", "req-abc-1");
    const { err, res, trailers } = await unary(creds, "listProviders", { category: "dev" }, md);
    expect(err).toBeNull();
    expect(res.providers[0].name).toBe("github");
    expect(trailers?.get("x-request-id")).toEqual(["req-abc-1"]);
  });

  it("makes a request id when the client sends none, and returns the one its log line carries", async () => {
    const ok = await unary(creds, "listProviders", {}, bearer(TOKENS.operator));
    const failed = await unary(creds, "getCredential", { userId: "u", credentialId: "missing" }, bearer(TOKENS.operator));
    for (const { trailers } of [ok, failed]) {
      const [rid] = (trailers?.get("x-request-id") ?? []) as string[];
      expect(rid).toMatch(/^[0-9a-f-]{36}$/);
      expect(logs.lines().some((l) => l.msg === "rpc" && l.request_id === rid)).toBe(true);
    }
  });

  it("passes caller and request id to the handler in the call context", async () => {
    const md = bearer(TOKENS.executor);
    md.set("x-request-id", "rid-42");
    const { res } = await unary(creds, "getCredential", { userId: "u1", credentialId: "c1" }, md);
    expect(res.credential.title).toBe("caller=executor-svc rid=rid-42");
  });

  it("answers UNAUTHENTICATED for a missing or unknown token, and for a non-bearer scheme", async () => {
    const missing = await unary(creds, "listProviders", {});
    expect(missing.err?.code).toBe(grpc.status.UNAUTHENTICATED);
    const unknown = await unary(creds, "listProviders", {}, bearer("not-a-configured-token"));
    expect(unknown.err?.code).toBe(grpc.status.UNAUTHENTICATED);
    const basic = new grpc.Metadata();
    basic.set("authorization", `Basic ${TOKENS.operator}`);
    expect((await unary(creds, "listProviders", {}, basic)).err?.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it("answers PERMISSION_DENIED when the role may not call the method", async () => {
    const { err } = await unary(creds, "listCredentials", { userId: "u1" }, bearer(TOKENS.executor));
    expect(err?.code).toBe(grpc.status.PERMISSION_DENIED);
    const ok = await unary(creds, "getAccessToken", { userId: "u1", credentialId: "c1" }, bearer(TOKENS.executor));
    expect(ok.res.accessToken).toBe(SECRET_ACCESS_TOKEN);
  });

  it("maps domain errors to their codes, naming the invalid field", async () => {
    const op = () => bearer(TOKENS.operator);
    const invalid = await unary(creds, "getCredential", { userId: "", credentialId: "x" }, op());
    expect(invalid.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(invalid.err?.details).toContain("user_id");
    expect((await unary(creds, "getCredential", { userId: "u", credentialId: "missing" }, op())).err?.code).toBe(grpc.status.NOT_FOUND);
    expect((await unary(creds, "getCredential", { userId: "u", credentialId: "vault-down" }, op())).err?.code).toBe(grpc.status.UNAVAILABLE);
    const reauth = await unary(creds, "refreshCredential", { userId: "u", credentialId: "c9" }, op());
    expect(reauth.err?.code).toBe(grpc.status.FAILED_PRECONDITION);
  });

  it("answers INTERNAL 'internal error' for an unexpected error, with the cause in the log only", async () => {
    const { err } = await unary(creds, "createApiKeyCredential", { userId: "u", provider: "x", apiKey: "sk-live-123" }, bearer(TOKENS.operator));
    expect(err?.code).toBe(grpc.status.INTERNAL);
    expect(err?.details).toBe("internal error");
    expect(logs.text()).toContain("boom: database");
  });

  it("answers UNIMPLEMENTED for a method the implementation leaves out", async () => {
    const { err } = await unary(hooks, "getWebhook", { userId: "u", webhookId: "w" }, bearer(TOKENS.operator));
    expect(err?.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it("answers INVALID_ARGUMENT for request bytes that are not the request message", async () => {
    const Raw = grpc.makeGenericClientConstructor(
      {
        getCredential: {
          path: "/latchkey.v1.CredentialsService/GetCredential",
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      "Raw",
    );
    const raw = new Raw(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, (...a: unknown[]) => unknown>;
    const { err } = await unary(raw, "getCredential", Buffer.from([0x0a, 0xff, 0xff, 0xff]), bearer(TOKENS.operator));
    raw.close();
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it("answers DEADLINE_EXCEEDED when the deadline passes and aborts the handler's signal", async () => {
    const started = Date.now();
    const { err } = await unary(creds, "getCredential", { userId: "u", credentialId: "wait-abort" }, bearer(TOKENS.operator), {
      deadline: Date.now() + 150,
    });
    expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("streams server-streaming responses to an allowed role and ends with OK", async () => {
    const call = hooks.streamEvents!({ consumer: "finite" }, bearer(TOKENS.consumer)) as grpc.ClientReadableStream<any>;
    const ids: string[] = [];
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      call.on("data", (e) => ids.push(e.id));
      call.on("error", () => undefined);
      call.on("status", resolve);
    });
    expect(status.code).toBe(grpc.status.OK);
    expect(ids).toEqual(["evt-0", "evt-1", "evt-2"]);
  });

  it("maps an error thrown by a stream to its code and refuses the stream to a role without access", async () => {
    const failing = hooks.streamEvents!({ consumer: "fail" }, bearer(TOKENS.consumer)) as grpc.ClientReadableStream<any>;
    const err = await new Promise<grpc.ServiceError>((resolve) => failing.on("error", resolve));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    const denied = hooks.streamEvents!({ consumer: "finite" }, bearer(TOKENS.backend)) as grpc.ClientReadableStream<any>;
    const err2 = await new Promise<grpc.ServiceError>((resolve) => denied.on("error", resolve));
    expect(err2.code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it("serves grpc.health.v1 without a token, overall and per service", async () => {
    const Health = grpc.makeGenericClientConstructor(healthService, "Health");
    const health = new Health(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, (...a: unknown[]) => unknown>;
    const overall = await unary(health, "check", { service: "" });
    expect(overall.res.status).toBe("SERVING");
    const svc = await unary(health, "check", { service: "latchkey.v1.CredentialsService" });
    expect(svc.res.status).toBe("SERVING");
    health.close();
  });

  it("lists every served service through reflection (buf curl --reflect), without a token", async () => {
    const url = `http://${address}`;
    const flags = ["curl", "--protocol", "grpc", "--http2-prior-knowledge"];
    const { stdout } = await run("npx", ["buf", ...flags, "--list-services", url], { timeout: 20_000 });
    expect(stdout.split("\n").filter(Boolean).sort()).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "latchkey.v1.CredentialsService",
      "latchkey.v1.WebhooksService",
    ]);
    const methods = await run("npx", ["buf", ...flags, "--list-methods", url], { timeout: 20_000 });
    expect(methods.stdout).toContain("latchkey.v1.CredentialsService/GetAccessToken");
    expect(methods.stdout).toContain("latchkey.v1.WebhooksService/StreamEvents");
    // Reflection resolves the message types too: a real call through buf curl works.
    const call = await run(
      "npx",
      ["buf", ...flags, "-H", `authorization: Bearer ${TOKENS.operator}`, "-d", '{"category":"dev"}', `${url}/latchkey.v1.CredentialsService/ListProviders`],
      { timeout: 20_000 },
    );
    expect(JSON.parse(call.stdout).providers[0].displayName).toBe("GitHub");
  }, 60_000);

  it("counts calls in metrics by method, code and transport", async () => {
    const text = await metrics.render();
    expect(text).toMatch(/latchkey_rpc_requests_total\{method="latchkey.v1.CredentialsService\/ListProviders",code="OK",transport="grpc"\} \d+/);
    expect(text).toContain('code="UNAUTHENTICATED"');
    expect(text).toContain("latchkey_rpc_duration_seconds_bucket");
  });

  it("logs one line per RPC with method, code, duration, caller and request id, and never a token", async () => {
    const rpcLines = logs.lines().filter((l) => l.msg === "rpc");
    const line = rpcLines.find((l) => l.request_id === "req-abc-1");
    expect(line).toMatchObject({ method: "latchkey.v1.CredentialsService/ListProviders", status: "OK", caller: "operator-svc" });
    expect(typeof line?.ms).toBe("number");
    const text = logs.text();
    for (const token of Object.values(TOKENS)) expect(text).not.toContain(token);
    expect(text).not.toContain(SECRET_ACCESS_TOKEN);
    expect(text).not.toContain("sk-live-123");
  });
});
