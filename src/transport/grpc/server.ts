/**
 * The gRPC port: the bound services (through the generic adapter), health and reflection, over
 * plaintext, TLS, or mutual TLS from PEM files.
 *
 * Drain (SIGTERM): health turns NOT_SERVING, server streams are aborted so they end with OK, the
 * server stops accepting calls and waits for in-flight unary calls; after `timeoutMs` whatever is
 * left is aborted and the connections are closed.
 */
import { readFileSync } from "node:fs";
import { Server, ServerCredentials, type ServerOptions } from "@grpc/grpc-js";
import type { GrpcTlsFiles } from "../../config/transport.js";
import { Unavailable } from "../../domain/errors.js";
import { adaptService } from "./adapter.js";
import { InFlight } from "./call-context.js";
import { createGrpcHealth, type GrpcHealth } from "./health.js";
import type { RpcServerOptions } from "../rpc-server-options.js";
import { addReflection } from "./reflection.js";

export interface GrpcServerOptions extends RpcServerOptions {
  tls?: GrpcTlsFiles;
  /** Extra grpc-js channel options (keepalive, message size limits). */
  serverOptions?: ServerOptions;
}

export interface GrpcServerHandle {
  port: number;
  health: GrpcHealth;
  /** Graceful stop; resolves when closed. Forces after timeoutMs. */
  drain(timeoutMs: number): Promise<void>;
  forceClose(): void;
}

function credentials(tls: GrpcTlsFiles | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const keyCert = { private_key: readFileSync(tls.keyFile), cert_chain: readFileSync(tls.certFile) };
  const ca = tls.clientCaFile ? readFileSync(tls.clientCaFile) : null;
  // With a client CA the handshake requires a client certificate signed by it (mutual TLS).
  return ServerCredentials.createSsl(ca, [keyCert], ca !== null);
}

export async function startGrpcServer(opts: GrpcServerOptions): Promise<GrpcServerHandle> {
  const { logger } = opts;
  const inFlight = new InFlight();
  const server = new Server({
    // Allow client keepalive pings (long-lived StreamEvents) without GOAWAY "too_many_pings".
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 10_000,
    // Channelz stays on although no channelz service is served and its per-call bookkeeping is
    // ~5% of the token hot path: with it off, grpc-js (1.14) no longer tracks sessions, and
    // forceShutdown then leaves open connections alive (the drain-timeout test catches it).
    ...opts.serverOptions,
  });
  const deps = { authenticator: opts.authenticator, logger, metrics: opts.metrics, rpcLogLevel: opts.rpcLogLevel ?? "info", inFlight };
  for (const binding of opts.bindings) {
    const { definition, handlers } = adaptService(binding, deps);
    server.addService(definition, handlers);
  }
  const health = createGrpcHealth(opts.bindings.map((b) => b.service.typeName));
  health.addToServer(server);
  addReflection(server, opts.bindings, health.fileDescriptorProtos);

  const creds = credentials(opts.tls);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${opts.host.includes(":") ? `[${opts.host}]` : opts.host}:${opts.port}`, creds, (err, bound) =>
      err ? reject(new Unavailable(`grpc listener ${opts.host}:${opts.port}`, { cause: err })) : resolve(bound),
    );
  });
  logger.info({ port, tls: Boolean(opts.tls), mtls: Boolean(opts.tls?.clientCaFile) }, "grpc listening");

  let closed: Promise<void> | undefined;
  function forceClose(): void {
    inFlight.force();
    server.forceShutdown();
  }

  return {
    port,
    health,
    forceClose,
    drain(timeoutMs) {
      closed ??= new Promise<void>((resolve) => {
        health.drain();
        inFlight.drain();
        const timer = setTimeout(() => {
          logger.warn({ in_flight: inFlight.size }, "grpc drain timed out; closing connections");
          forceClose();
        }, timeoutMs);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          logger.info("grpc server stopped");
          resolve();
        });
      });
      return closed;
    },
  };
}
