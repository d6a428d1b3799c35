/**
 * Adapts transport-neutral service implementations (src/api/types.ts) to grpc-js, generically from
 * their descriptors: no method is named here. Everything per method (path, codecs, allowed roles,
 * metric children) is computed once in `adaptService`; a call then costs one hash for the token,
 * the handler, and one metrics/log record. The call's AbortSignal is built only if the handler
 * reads it, and a frozen response is encoded once (see `encode`).
 *
 * Responses are encoded inside the handler (the wire serializer is the identity), so an
 * unencodable response is mapped like any other error instead of surfacing from grpc-js.
 */
import { rpcLineLevel } from "../rpc-log-level.js";
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import { create, fromBinary, toBinary, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import {
  Metadata,
  status,
  type MethodDefinition,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { Caller, Role, ServiceBinding } from "../../api/types.js";
import { rolesAllowed, type Authenticator } from "../../auth/callers.js";
import type { RpcLogLevel } from "../../config/transport.js";
import { FailedPrecondition, InvalidArgument, PermissionDenied } from "../../domain/errors.js";
import type { Logger } from "../../observability/logger.js";
import { codeName, type Metrics, type RpcMetrics } from "../../observability/metrics.js";
import { type Abortable, CANCELLED, closeIterator, DRAINING, FORCED, InFlight, LazyRequestId, nextOrAbort, RpcCallContext } from "./call-context.js";
import { toWireError } from "./status-map.js";

export interface GrpcAdapterDeps {
  authenticator: Authenticator;
  logger: Logger;
  metrics: Metrics;
  /** Level of the one-line-per-RPC log; "silent" turns it off. */
  rpcLogLevel: RpcLogLevel;
  inFlight: InFlight;
}

export interface AdaptedService {
  definition: ServiceDefinition;
  handlers: UntypedServiceImplementation;
}

type Handler = (req: unknown, ctx: RpcCallContext) => unknown;
type ServerCall = ServerUnaryCall<unknown, Buffer> | ServerWritableStream<unknown, Buffer>;

interface MethodEntry {
  name: string;
  method: DescMethod;
  output: DescMessage;
  impl: object;
  fn: Handler | undefined;
  allowed: ReadonlySet<Role>;
  metrics: RpcMetrics;
  deps: GrpcAdapterDeps;
  /** Encodings of frozen responses this method returned (see `encode`). */
  encoded: WeakMap<object, Buffer>;
  /** Levels of the per-call line for a success and a failure, "silent" when the logger drops them. */
  lineOk: RpcLogLevel;
  lineFailed: RpcLogLevel;
}

/** What the deserializer yields for bytes that are not the request message: answered INVALID_ARGUMENT. */
const MALFORMED = Symbol("malformed");
const UNIMPLEMENTED = Symbol("unimplemented");

export function adaptService(binding: ServiceBinding, deps: GrpcAdapterDeps): AdaptedService {
  const { service, implementation } = binding;
  const definition: Record<string, MethodDefinition<unknown, Buffer>> = {};
  const handlers: UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const kind = method.methodKind;
    if (kind !== "unary" && kind !== "server_streaming") {
      throw new FailedPrecondition(`${service.typeName}/${method.name}: ${kind} methods are not supported`);
    }
    const input = method.input;
    const fn = (implementation as Record<string, unknown>)[method.localName];
    const name = `${service.typeName}/${method.name}`;
    const entry: MethodEntry = {
      name,
      method,
      output: method.output,
      impl: implementation,
      fn: typeof fn === "function" ? (fn as Handler) : undefined,
      allowed: rolesAllowed(method),
      metrics: deps.metrics.rpc(name, "grpc"),
      deps,
      encoded: new WeakMap(),
      lineOk: enabledLine(deps, true),
      lineFailed: enabledLine(deps, false),
    };
    definition[method.localName] = {
      path: `/${name}`,
      originalName: method.name,
      requestStream: false,
      responseStream: kind === "server_streaming",
      requestSerialize: (msg: unknown) => Buffer.from(toBinary(input, create(input, msg as never))),
      requestDeserialize: (buf: Buffer) => {
        try {
          return fromBinary(input, buf);
        } catch {
          return MALFORMED;
        }
      },
      responseSerialize: (buf: Buffer) => buf,
      // Only clients use this side; the server never decodes its own responses.
      responseDeserialize: (buf: Buffer) => fromBinary(method.output, buf) as unknown as Buffer,
    };
    handlers[method.localName] = (
      kind === "unary"
        ? (call: ServerUnaryCall<unknown, Buffer>, cb: sendUnaryData<Buffer>) => void handleUnary(entry, call, cb)
        : (call: ServerWritableStream<unknown, Buffer>) => void handleStream(entry, call)
    ) as UntypedHandleCall;
  }
  return { definition: definition as ServiceDefinition, handlers };
}

function enabledLine(deps: GrpcAdapterDeps, ok: boolean): RpcLogLevel {
  const level = rpcLineLevel(deps.rpcLogLevel, ok);
  return level !== "silent" && deps.logger.isLevelEnabled(level) ? level : "silent";
}

/** Authenticates, authorizes and validates before the handler runs; throws domain errors. */
function admit(m: MethodEntry, metadata: Metadata, request: unknown): Caller {
  const auth = metadata.get("authorization")[0];
  const caller = m.deps.authenticator.authenticate(typeof auth === "string" ? auth : undefined);
  if (!m.allowed.has(caller.role)) throw new PermissionDenied(`role ${caller.role} may not call ${m.name}`);
  if (request === MALFORMED) throw new InvalidArgument("request", `is not a valid ${m.method.input.typeName}`);
  if (!m.fn) throw UNIMPLEMENTED;
  return caller;
}

/**
 * A frozen response cannot change, so its bytes are kept (weakly, with the object) and reused when
 * a handler returns the same object again: GetAccessToken answers a cached token with one frozen
 * message, and encoding it was ~8% of the call. grpc-js copies the bytes into each frame.
 */
function encode(m: MethodEntry, res: unknown): Buffer {
  if (!Object.isFrozen(res)) return encodeNow(m, res);
  let buf = m.encoded.get(res as object);
  if (!buf) m.encoded.set(res as object, (buf = encodeNow(m, res)));
  return buf;
}

function encodeNow(m: MethodEntry, init: unknown): Buffer {
  const bytes = toBinary(m.output, create(m.output, init as never));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function trailer(requestId: string): Metadata {
  const md = new Metadata();
  md.set("x-request-id", requestId);
  return md;
}

/** The code a cancelled call ends with: the deadline's, or the client's cancel. */
function cancelCode(call: { getDeadline(): Date | number }): status {
  const d = call.getDeadline();
  const at = typeof d === "number" ? d : d.getTime();
  return Number.isFinite(at) && at <= Date.now() ? status.DEADLINE_EXCEEDED : status.CANCELLED;
}

function errorStatus(m: MethodEntry, err: unknown, log: Logger, requestId: string) {
  if (err === UNIMPLEMENTED) return { code: status.UNIMPLEMENTED, details: `${m.name} is not implemented`, metadata: trailer(requestId) };
  const w = toWireError(err, log);
  return { code: w.code, details: w.message, metadata: trailer(requestId) };
}

/**
 * Ends a failed call and returns the code it is recorded with: the cancel's code when the client
 * has gone (nothing is sent then), otherwise the mapped status, sent through `callback` (unary) or
 * as the stream's error.
 */
function fail(m: MethodEntry, call: ServerCall, err: unknown, requestId: string, callback?: sendUnaryData<Buffer>): status {
  if (call.cancelled) return cancelCode(call);
  const s = errorStatus(m, err, m.deps.logger.child({ request_id: requestId }), requestId);
  if (callback) callback(s);
  else call.emit("error", s);
  return s.code;
}

/**
 * A call's cancellation, aborted with CANCELLED when the client cancels, or by drain/force. The
 * AbortController and the "cancelled" listener feeding it are made only when the handler first
 * reads `signal`: most unary handlers never do, and making them for every call was ~5% of the
 * token hot path. An abort before then is kept and applied when the signal is made.
 */
class CallAbort {
  #ac: AbortController | undefined;
  #onCancel: (() => void) | undefined;
  #early: { reason: unknown } | undefined;

  constructor(private readonly call: ServerCall) {}

  get signal(): AbortSignal {
    if (!this.#ac) {
      const ac = (this.#ac = new AbortController());
      if (this.#early) ac.abort(this.#early.reason);
      else if (this.call.cancelled) ac.abort(CANCELLED);
      else this.call.once("cancelled", (this.#onCancel = () => ac.abort(CANCELLED)));
    }
    return this.#ac.signal;
  }

  abort(reason: unknown): void {
    if (this.#ac) this.#ac.abort(reason);
    else this.#early ??= { reason };
  }

  /** Tracks the call in `calls` (the in-flight set drain aborts) until `release`. */
  static track(call: ServerCall, calls: Set<Abortable>): CallAbort {
    const ac = new CallAbort(call);
    calls.add(ac);
    return ac;
  }

  release(calls: Set<Abortable>): void {
    calls.delete(this);
    if (this.#onCancel) this.call.removeListener("cancelled", this.#onCancel);
  }
}

async function handleUnary(m: MethodEntry, call: ServerUnaryCall<unknown, Buffer>, callback: sendUnaryData<Buffer>): Promise<void> {
  const start = performance.now();
  const { logger, inFlight } = m.deps;
  const rid = new LazyRequestId(call.metadata.get("x-request-id")[0]);
  const ac = CallAbort.track(call, inFlight.unary);
  let caller: Caller | undefined;
  let code: status = status.OK;
  try {
    caller = admit(m, call.metadata, call.request);
    const res = await m.fn!.call(m.impl, call.request, new RpcCallContext(caller, rid, ac, logger));
    const buf = encode(m, res);
    if (call.cancelled) code = cancelCode(call);
    // The x-request-id trailer goes back when it means something: the client sent it, or it is
    // in a log line (this call's, or one the handler wrote). Failures always carry one.
    else callback(null, buf, rid.known || m.lineOk !== "silent" ? trailer(rid.value) : undefined);
  } catch (err) {
    code = fail(m, call, err, rid.value, callback);
  } finally {
    ac.release(inFlight.unary);
    finish(m, start, code, caller, rid);
  }
}

async function handleStream(m: MethodEntry, call: ServerWritableStream<unknown, Buffer>): Promise<void> {
  const start = performance.now();
  const { logger, inFlight } = m.deps;
  const rid = new LazyRequestId(call.metadata.get("x-request-id")[0]);
  const requestId = rid.value;
  const ac = CallAbort.track(call, inFlight.streams);
  // A stream opened while draining ends at once, cleanly.
  if (inFlight.draining) ac.abort(DRAINING);
  let caller: Caller | undefined;
  let code: status = status.OK;
  try {
    caller = admit(m, call.metadata, call.request);
    const ctx = new RpcCallContext(caller, rid, ac, logger);
    const it = (m.fn!.call(m.impl, call.request, ctx) as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    for (;;) {
      const r = await nextOrAbort(it, ac.signal);
      if (r === nextOrAbort.DONE) {
        closeIterator(it, ctx.log);
        break;
      }
      if (r.done) break;
      if (!call.write(encode(m, r.value))) {
        // Backpressure: wait for the client to read, unless the call ends first.
        await once(call, "drain", { signal: ac.signal }).catch(() => undefined);
      }
    }
    const reason: unknown = ac.signal.reason;
    if (reason === CANCELLED || call.cancelled) code = cancelCode(call);
    else if (reason !== FORCED) call.end(trailer(requestId)); // finished, or drained: OK
  } catch (err) {
    code = fail(m, call, err, requestId);
  } finally {
    ac.release(inFlight.streams);
    finish(m, start, code, caller, rid);
  }
}

function finish(m: MethodEntry, start: number, code: status, caller: Caller | undefined, rid: LazyRequestId): void {
  const ms = performance.now() - start;
  m.metrics.observe(code, ms / 1000);
  const level = code === status.OK ? m.lineOk : m.lineFailed;
  if (level !== "silent") {
    m.deps.logger[level](
      { method: m.name, status: codeName(code), ms: Math.round(ms * 100) / 100, caller: caller?.name, request_id: rid.value, transport: "grpc" },
      "rpc",
    );
  }
}
