import { describe, expect, it } from "vitest";
import { InvalidArgument } from "../domain/errors.js";
import { loadTransportConfig } from "./transport.js";

describe("transport configuration", () => {
  it("defaults to the contract's ports on all interfaces, without TLS", () => {
    expect(loadTransportConfig({})).toEqual({
      grpc: { host: "0.0.0.0", port: 50051 },
      internalHttp: { host: "0.0.0.0", port: 8081 },
      publicHttp: { host: "0.0.0.0", port: 8080 },
      drainTimeoutMs: 10_000,
      rpcLogLevel: "debug",
    });
  });

  it("reads ports, hosts, TLS files, drain timeout and RPC log level", () => {
    const c = loadTransportConfig({
      GRPC_PORT: "6000",
      HTTP_INTERNAL_PORT: "6001",
      HTTP_PUBLIC_PORT: "6002",
      LATCHKEY_HOST: "127.0.0.1",
      HTTP_PUBLIC_HOST: "0.0.0.0",
      GRPC_TLS_CERT_FILE: "/tls/cert.pem",
      GRPC_TLS_KEY_FILE: "/tls/key.pem",
      GRPC_TLS_CLIENT_CA_FILE: "/tls/ca.pem",
      SHUTDOWN_DRAIN_TIMEOUT_MS: "2500",
      LOG_RPC_LEVEL: "debug",
    });
    expect(c.grpc).toEqual({ host: "127.0.0.1", port: 6000, tls: { certFile: "/tls/cert.pem", keyFile: "/tls/key.pem", clientCaFile: "/tls/ca.pem" } });
    expect(c.internalHttp).toEqual({ host: "127.0.0.1", port: 6001 });
    expect(c.publicHttp).toEqual({ host: "0.0.0.0", port: 6002 });
    expect(c.drainTimeoutMs).toBe(2500);
    expect(c.rpcLogLevel).toBe("debug");
  });

  it("refuses bad ports, half-configured TLS and unknown log levels, naming the variable", () => {
    expect(() => loadTransportConfig({ GRPC_PORT: "http" })).toThrow("GRPC_PORT: must be an integer");
    expect(() => loadTransportConfig({ HTTP_PUBLIC_PORT: "70000" })).toThrow("HTTP_PUBLIC_PORT: must be between 0 and 65535");
    expect(() => loadTransportConfig({ GRPC_TLS_CERT_FILE: "/c.pem" })).toThrow("GRPC_TLS_KEY_FILE");
    expect(() => loadTransportConfig({ GRPC_TLS_CLIENT_CA_FILE: "/ca.pem" })).toThrow(InvalidArgument);
    expect(() => loadTransportConfig({ LOG_RPC_LEVEL: "loud" })).toThrow("LOG_RPC_LEVEL");
  });
});
