/**
 * Listener configuration for the three ports, parsed and validated once at startup.
 *
 *   GRPC_PORT (50051), HTTP_INTERNAL_PORT (8081), HTTP_PUBLIC_PORT (8080)
 *   LATCHKEY_HOST (0.0.0.0): default bind address for all three;
 *   GRPC_HOST, HTTP_INTERNAL_HOST, HTTP_PUBLIC_HOST override it per port
 *   GRPC_TLS_CERT_FILE + GRPC_TLS_KEY_FILE: TLS on the gRPC port; with GRPC_TLS_CLIENT_CA_FILE
 *     also mutual TLS (client certificates signed by that CA are required)
 *   SHUTDOWN_DRAIN_TIMEOUT_MS (10000): how long SIGTERM waits for in-flight calls before forcing
 *   LOG_RPC_LEVEL (debug): level of the per-RPC log line of successful calls; failed calls log at
 *     least at info (transport/rpc-log-level.ts)
 */
import { InvalidArgument } from "../domain/errors.js";
import { intFrom, str, type Env } from "./env.js";

export interface GrpcTlsFiles {
  certFile: string;
  keyFile: string;
  /** When set, clients must present a certificate signed by this CA. */
  clientCaFile?: string;
}

export interface TransportConfig {
  grpc: { host: string; port: number; tls?: GrpcTlsFiles };
  internalHttp: { host: string; port: number };
  publicHttp: { host: string; port: number };
  drainTimeoutMs: number;
  rpcLogLevel: RpcLogLevel;
}

export type RpcLogLevel = "trace" | "debug" | "info" | "warn" | "silent";
const RPC_LOG_LEVELS: readonly RpcLogLevel[] = ["trace", "debug", "info", "warn", "silent"];

export function loadTransportConfig(env: Env): TransportConfig {
  const host = str(env, "LATCHKEY_HOST") ?? "0.0.0.0";
  const certFile = str(env, "GRPC_TLS_CERT_FILE");
  const keyFile = str(env, "GRPC_TLS_KEY_FILE");
  const clientCaFile = str(env, "GRPC_TLS_CLIENT_CA_FILE");
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new InvalidArgument(certFile ? "GRPC_TLS_KEY_FILE" : "GRPC_TLS_CERT_FILE", "TLS needs both GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE");
  }
  if (clientCaFile && !certFile) {
    throw new InvalidArgument("GRPC_TLS_CLIENT_CA_FILE", "mutual TLS needs GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE too");
  }
  const rpcLogLevel = (str(env, "LOG_RPC_LEVEL") ?? "debug") as RpcLogLevel;
  if (!RPC_LOG_LEVELS.includes(rpcLogLevel)) throw new InvalidArgument("LOG_RPC_LEVEL", `must be one of ${RPC_LOG_LEVELS.join(", ")}`);
  const tls = certFile && keyFile ? { certFile, keyFile, ...(clientCaFile ? { clientCaFile } : {}) } : undefined;
  return {
    grpc: { host: str(env, "GRPC_HOST") ?? host, port: intFrom(env, "GRPC_PORT", 50051, 0, 65535), ...(tls ? { tls } : {}) },
    internalHttp: { host: str(env, "HTTP_INTERNAL_HOST") ?? host, port: intFrom(env, "HTTP_INTERNAL_PORT", 8081, 0, 65535) },
    publicHttp: { host: str(env, "HTTP_PUBLIC_HOST") ?? host, port: intFrom(env, "HTTP_PUBLIC_PORT", 8080, 0, 65535) },
    drainTimeoutMs: intFrom(env, "SHUTDOWN_DRAIN_TIMEOUT_MS", 10_000, 0, 600_000),
    rpcLogLevel,
  };
}
