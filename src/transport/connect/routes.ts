/**
 * Registers the same transport-neutral service implementations on a connect-node router (Connect,
 * gRPC-Web and gRPC on the internal HTTP port). Like the grpc-js adapter, it is generic over the
 * descriptors, authenticates the `authorization` header, checks the role, maps domain errors
 * through the shared table (transport/grpc/status-map.ts; Connect codes equal gRPC codes), and
 * records one metric and one log line per RPC.
 */
import { rpcLineLevel } from "../rpc-log-level.js";
import { performance } from "node:perf_hooks";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import type { Caller, Role, ServiceBinding } from "../../api/types.js";
import { rolesAllowed, type Authenticator } from "../../auth/callers.js";
import type { RpcLogLevel } from "../../config/transport.js";
import { FailedPrecondition, PermissionDenied } from "../../domain/errors.js";
import type { Logger } from "../../observability/logger.js";
import { codeName, type Metrics, type RpcMetrics } from "../../observability/metrics.js";
import { closeIterator, DRAINING, type InFlight, LazyRequestId, nextOrAbort, RpcCallContext } from "../grpc/call-context.js";
import { toWireError } from "../grpc/status-map.js";

export interface ConnectRoutesDeps {
  bindings: readonly ServiceBinding[];
  authenticator: Authenticator;
  logger: Logger;
  metrics: Metrics;
  rpcLogLevel: RpcLogLevel;
  inFlight: InFlight;
}

type Handler = (req: unknown, ctx: RpcCallContext) => unknown;

interface MethodEntry {
  name: string;
  impl: object;
  fn: Handler | undefined;
  allowed: ReadonlySet<Role>;
  /** By Connect protocol name ("connect", "grpc-web", "grpc"). */
  metrics: Record<string, RpcMetrics>;
  deps: ConnectRoutesDeps;
}

const PROTOCOLS = ["connect", "grpc-web", "grpc"];

export function createConnectRoutes(deps: ConnectRoutesDeps): (router: ConnectRouter) => void {
  const entries: Array<{ method: DescMethod; entry: MethodEntry }> = [];
  for (const { service, implementation } of deps.bindings) {
    for (const method of service.methods) {
      if (method.methodKind !== "unary" && method.methodKind !== "server_streaming") {
        throw new FailedPrecondition(`${service.typeName}/${method.name}: ${method.methodKind} methods are not supported`);
      }
      const name = `${service.typeName}/${method.name}`;
      const fn = (implementation as Record<string, unknown>)[method.localName];
      const metrics = Object.fromEntries(PROTOCOLS.map((p) => [p, deps.metrics.rpc(name, `http-${p}`)]));
      entries.push({
        method,
        entry: { name, impl: implementation, fn: typeof fn === "function" ? (fn as Handler) : undefined, allowed: rolesAllowed(method), metrics, deps },
      });
    }
  }
  return (router) => {
    for (const { method, entry } of entries) {
      const impl =
        method.methodKind === "unary"
          ? (req: unknown, ctx: HandlerContext) => handleUnary(entry, req, ctx)
          : (req: unknown, ctx: HandlerContext) => handleStream(entry, req, ctx);
      router.rpc(method, impl as never);
    }
  };
}

function admit(m: MethodEntry, ctx: HandlerContext): Caller {
  const caller = m.deps.authenticator.authenticate(ctx.requestHeader.get("authorization") ?? undefined);
  if (!m.allowed.has(caller.role)) throw new PermissionDenied(`role ${caller.role} may not call ${m.name}`);
  if (!m.fn) throw new ConnectError(`${m.name} is not implemented`, Code.Unimplemented);
  return caller;
}

/** Anything thrown, as the ConnectError that goes on the wire. */
function toConnectError(err: unknown, log: Logger): ConnectError {
  if (err instanceof ConnectError) return err;
  const w = toWireError(err, log);
  return new ConnectError(w.message, w.code as number as Code);
}

/**
 * What a failed call throws and the code it is recorded with: when the client has gone (cancel or
 * deadline), its own error and code; otherwise the mapped ConnectError. Only the error path allocates.
 */
function failure(err: unknown, hctx: HandlerContext, logger: Logger, requestId: string): { code: number; thrown: unknown } {
  if (hctx.signal.aborted) return { code: ConnectError.from(hctx.signal.reason).code, thrown: err };
  const ce = toConnectError(err, logger.child({ request_id: requestId }));
  return { code: ce.code, thrown: ce };
}

/** The caller's x-request-id (or a new one), echoed in the response header. */
function echoRequestId(hctx: HandlerContext): string {
  const requestId = new LazyRequestId(hctx.requestHeader.get("x-request-id")).value;
  hctx.responseHeader.set("x-request-id", requestId);
  return requestId;
}

async function handleUnary(m: MethodEntry, req: unknown, hctx: HandlerContext): Promise<unknown> {
  const start = performance.now();
  const { logger, inFlight } = m.deps;
  const requestId = echoRequestId(hctx);
  const ac = new AbortController();
  inFlight.unary.add(ac);
  let caller: Caller | undefined;
  let code = Code.Canceled as number;
  try {
    caller = admit(m, hctx);
    const signal = AbortSignal.any([hctx.signal, ac.signal]);
    const res = await m.fn!.call(m.impl, req, new RpcCallContext(caller, { value: requestId }, { signal }, logger));
    code = 0;
    return res;
  } catch (err) {
    const f = failure(err, hctx, logger, requestId);
    code = f.code;
    throw f.thrown;
  } finally {
    inFlight.unary.delete(ac);
    finish(m, hctx, start, code, caller, requestId);
  }
}

async function* handleStream(m: MethodEntry, req: unknown, hctx: HandlerContext): AsyncGenerator<unknown> {
  const start = performance.now();
  const { logger, inFlight } = m.deps;
  const requestId = echoRequestId(hctx);
  const ac = new AbortController();
  inFlight.streams.add(ac);
  if (inFlight.draining) ac.abort(DRAINING);
  let caller: Caller | undefined;
  let code = Code.Canceled as number;
  try {
    caller = admit(m, hctx);
    const signal = AbortSignal.any([hctx.signal, ac.signal]);
    const ctx = new RpcCallContext(caller, { value: requestId }, { signal }, logger);
    const it = (m.fn!.call(m.impl, req, ctx) as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    for (;;) {
      const r = await nextOrAbort(it, signal);
      if (r === nextOrAbort.DONE) {
        closeIterator(it, ctx.log);
        break;
      }
      if (r.done) break;
      yield r.value;
    }
    // Drained or finished: the stream ends with OK. A client cancel is reported by connect itself.
    code = hctx.signal.aborted ? ConnectError.from(hctx.signal.reason).code : 0;
  } catch (err) {
    const f = failure(err, hctx, logger, requestId);
    code = f.code;
    throw f.thrown;
  } finally {
    inFlight.streams.delete(ac);
    finish(m, hctx, start, code, caller, requestId);
  }
}

function finish(m: MethodEntry, hctx: HandlerContext, start: number, code: number, caller: Caller | undefined, requestId: string): void {
  const ms = performance.now() - start;
  const protocol = hctx.protocolName;
  (m.metrics[protocol] ?? m.deps.metrics.rpc(m.name, `http-${protocol}`)).observe(code, ms / 1000);
  const level = rpcLineLevel(m.deps.rpcLogLevel, code === 0);
  if (level !== "silent") {
    m.deps.logger[level](
      { method: m.name, status: codeName(code), ms: Math.round(ms * 100) / 100, caller: caller?.name, request_id: requestId, transport: `http-${protocol}` },
      "rpc",
    );
  }
}
