import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialsService } from "../../src/gen/latchkey/v1/credentials_pb.js";
import { WebhooksService } from "../../src/gen/latchkey/v1/webhooks_pb.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { startGrpcServer } from "../../src/transport/grpc/server.js";
import { TOKENS } from "../support/callers.js";
import { bearer, grpcClient, unary } from "../support/grpc-client.js";
import { captureLogs } from "../support/logs.js";
import { authenticator, bindings, lateSignals } from "./transport-fixtures.js";

function start(extra: Partial<Parameters<typeof startGrpcServer>[0]> = {}) {
  return startGrpcServer({
    bindings: bindings(),
    authenticator,
    logger: captureLogs().logger,
    metrics: createMetrics({ defaultMetrics: false }),
    host: "127.0.0.1",
    port: 0,
    rpcLogLevel: "silent",
    ...extra,
  });
}

describe("gRPC call signal, made only when a handler reads it", () => {
  it("shows an abort that came before the handler first read it: drain timeout, and client cancel", async () => {
    const server = await start();
    const creds = grpcClient(CredentialsService, `127.0.0.1:${server.port}`);

    // Client cancel at 50 ms; the handler first reads the signal at 150 ms.
    const cancelled = new Promise<grpc.ServiceError>((resolve) => {
      const call = creds.getCredential!({ userId: "u", credentialId: "late-signal-cancel" }, bearer(TOKENS.operator), (err: grpc.ServiceError) => resolve(err)) as grpc.ClientUnaryCall;
      setTimeout(() => call.cancel(), 50);
    });
    expect((await cancelled).code).toBe(grpc.status.CANCELLED);
    await new Promise((r) => setTimeout(r, 200));
    expect(lateSignals).toContain("late-signal-cancel:true");

    // Forced close at ~100 ms (drain timeout); the handler first reads the signal at 150 ms.
    const stuck = unary(creds, "getCredential", { userId: "u", credentialId: "late-signal-force" }, bearer(TOKENS.operator));
    await new Promise((r) => setTimeout(r, 20));
    await server.drain(80);
    await stuck;
    await new Promise((r) => setTimeout(r, 200));
    expect(lateSignals).toContain("late-signal-force:true");
    creds.close();
  });
});

describe("gRPC request ids with the per-call line off", () => {
  it("returns no made-up id for a success nobody logged, and still one with every failure", async () => {
    const server = await start();
    const creds = grpcClient(CredentialsService, `127.0.0.1:${server.port}`);
    const ok = await unary(creds, "listProviders", {}, bearer(TOKENS.operator));
    expect(ok.err).toBeNull();
    expect(ok.trailers?.get("x-request-id")).toEqual([]);
    const sent = new grpc.Metadata();
    sent.set("authorization", `Bearer ${TOKENS.operator}`);
    sent.set("x-request-id", "mine-1");
    expect((await unary(creds, "listProviders", {}, sent)).trailers?.get("x-request-id")).toEqual(["mine-1"]);
    const failed = await unary(creds, "getCredential", { userId: "u", credentialId: "missing" }, bearer(TOKENS.operator));
    expect(failed.err?.code).toBe(grpc.status.NOT_FOUND);
    expect(failed.trailers?.get("x-request-id")?.[0]).toMatch(/^[0-9a-f-]{36}$/);
    creds.close();
    await server.drain(1000);
  });
});

describe("gRPC frozen responses", () => {
  it("encodes each frozen response object once and never answers one call with another's bytes", async () => {
    const server = await start();
    const creds = grpcClient(CredentialsService, `127.0.0.1:${server.port}`);
    const got: string[] = [];
    for (const id of ["frozen-a", "frozen-b", "frozen-a", "frozen-b", "plain"]) {
      const { err, res } = await unary(creds, "getAccessToken", { userId: "u", credentialId: id }, bearer(TOKENS.executor));
      expect(err).toBeNull();
      got.push(`${res.credentialId}/${res.accessToken}`);
    }
    expect(got).toEqual(["frozen-a/token-a", "frozen-b/token-b", "frozen-a/token-a", "frozen-b/token-b", `plain/ya29.super-secret-access-token`]);
    creds.close();
    await server.drain(1000);
  });
});

describe("gRPC drain", () => {
  it("ends server streams cleanly, lets in-flight unary calls finish, and turns health NOT_SERVING", async () => {
    const server = await start();
    const address = `127.0.0.1:${server.port}`;
    const hooks = grpcClient(WebhooksService, address);
    const creds = grpcClient(CredentialsService, address);
    const Health = grpc.makeGenericClientConstructor(healthService, "Health");
    const health = new Health(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, (...a: unknown[]) => any>;

    const watched: string[] = [];
    const watch = health.watch!({ service: "" }) as grpc.ClientReadableStream<{ status: string }>;
    watch.on("data", (m) => watched.push(m.status));
    const watchEnded = new Promise<grpc.StatusObject>((resolve) => watch.on("status", resolve));
    watch.on("error", () => undefined);

    const stream = hooks.streamEvents!({ consumer: "live" }, bearer(TOKENS.consumer)) as grpc.ClientReadableStream<{ id: string }>;
    const events: string[] = [];
    stream.on("data", (e) => events.push(e.id));
    stream.on("error", () => undefined);
    const streamStatus = new Promise<grpc.StatusObject>((resolve) => stream.on("status", resolve));
    await new Promise((r) => stream.once("data", r));

    const slow = unary(creds, "getCredential", { userId: "u", credentialId: "slow" }, bearer(TOKENS.operator));
    await new Promise((r) => setTimeout(r, 50)); // the slow call is in flight
    const started = Date.now();
    await server.drain(5000);
    expect(Date.now() - started).toBeLessThan(2000);

    expect((await streamStatus).code).toBe(grpc.status.OK);
    expect(events.length).toBeGreaterThan(0);
    const slowResult = await slow;
    expect(slowResult.err).toBeNull();
    expect(slowResult.res.credential.id).toBe("slow");
    await watchEnded;
    expect(watched).toEqual(["SERVING", "NOT_SERVING"]);
    for (const c of [hooks, creds, health]) c.close();
  });

  it("aborts calls still running when the drain timeout passes", async () => {
    const server = await start();
    const creds = grpcClient(CredentialsService, `127.0.0.1:${server.port}`);
    const stuck = unary(creds, "getCredential", { userId: "u", credentialId: "wait-abort" }, bearer(TOKENS.operator));
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await server.drain(200);
    expect(Date.now() - started).toBeLessThan(1500);
    const { err } = await stuck;
    expect(err).not.toBeNull();
    creds.close();
  });
});

describe("gRPC TLS", () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);

  function openssl(...args: string[]) {
    execFileSync("openssl", args, { stdio: "pipe" });
  }

  /** A CA, a server certificate for 127.0.0.1/localhost, and a client certificate, all signed by the CA. */
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "latchkey-tls-"));
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=test-ca", "-keyout", file("ca.key"), "-out", file("ca.crt"));
    writeFileSync(file("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    writeFileSync(file("client.ext"), "extendedKeyUsage=clientAuth\n");
    for (const who of ["server", "client"]) {
      openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${who}`, "-keyout", file(`${who}.key`), "-out", file(`${who}.csr`));
      openssl("x509", "-req", "-in", file(`${who}.csr`), "-CA", file("ca.crt"), "-CAkey", file("ca.key"), "-CAcreateserial", "-days", "1", "-extfile", file(`${who}.ext`), "-out", file(`${who}.crt`));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("serves TLS from certificate files", async () => {
    const server = await start({ tls: { certFile: file("server.crt"), keyFile: file("server.key") } });
    const creds = grpcClient(CredentialsService, `127.0.0.1:${server.port}`, grpc.credentials.createSsl(readFileSync(file("ca.crt"))));
    const { err, res } = await unary(creds, "listProviders", {}, bearer(TOKENS.operator));
    expect(err).toBeNull();
    expect(res.providers).toHaveLength(1);
    const plain = grpcClient(CredentialsService, `127.0.0.1:${server.port}`);
    expect((await unary(plain, "listProviders", {}, bearer(TOKENS.operator), { deadline: Date.now() + 2000 })).err?.code).toBe(grpc.status.UNAVAILABLE);
    creds.close();
    plain.close();
    server.forceClose();
  });

  it("requires a client certificate signed by the client CA under mutual TLS", async () => {
    const server = await start({ tls: { certFile: file("server.crt"), keyFile: file("server.key"), clientCaFile: file("ca.crt") } });
    const address = `127.0.0.1:${server.port}`;
    const ca = readFileSync(file("ca.crt"));
    const withCert = grpcClient(CredentialsService, address, grpc.credentials.createSsl(ca, readFileSync(file("client.key")), readFileSync(file("client.crt"))));
    expect((await unary(withCert, "listProviders", {}, bearer(TOKENS.operator))).err).toBeNull();
    const without = grpcClient(CredentialsService, address, grpc.credentials.createSsl(ca));
    expect((await unary(without, "listProviders", {}, bearer(TOKENS.operator), { deadline: Date.now() + 2000 })).err?.code).toBe(grpc.status.UNAVAILABLE);
    withCert.close();
    without.close();
    server.forceClose();
  });
});
