/**
 * The per-call pieces both internal transports share: the CallContext handed to service methods
 * (with a child logger built only if the handler asks for it, since most calls never log), request
 * ids, and the registry of in-flight calls that drain and force-close abort.
 */
import { randomUUID } from "node:crypto";
import type { Caller, CallContext } from "../../api/types.js";
import type { Logger } from "../../observability/logger.js";

/** What a call's cancellation looks like to the registry (AbortController is one). */
export interface Abortable {
  abort(reason?: unknown): void;
}

export class RpcCallContext implements CallContext {
  #log: Logger | undefined;
  constructor(
    readonly caller: Caller,
    private readonly rid: { readonly value: string },
    /** Read through, so a transport may make the signal only when a handler asks for it. */
    private readonly abort: { readonly signal: AbortSignal },
    private readonly root: Logger,
  ) {}

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get requestId(): string {
    return this.rid.value;
  }

  get log(): Logger {
    this.#log ??= this.root.child({ request_id: this.requestId, caller: this.caller.name });
    return this.#log;
  }
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * A call's request id: the client's x-request-id when it is a sane token (it lands in logs), else
 * a UUID made on first use.
 * A successful call whose log line is off never needs one, and making and sending it was a few
 * percent of the token hot path.
 */
export class LazyRequestId {
  #id: string | undefined;
  constructor(clientValue: unknown) {
    if (typeof clientValue === "string" && REQUEST_ID.test(clientValue)) this.#id = clientValue;
  }

  get value(): string {
    return (this.#id ??= randomUUID());
  }

  /** Whether the id exists: the client sent it, or something (a log line) has used it. */
  get known(): boolean {
    return this.#id !== undefined;
  }
}

/**
 * In-flight calls, so shutdown can reach them: drain aborts server streams (they end cleanly, OK)
 * and leaves unary calls to finish; force aborts everything.
 */
export class InFlight {
  readonly unary = new Set<Abortable>();
  readonly streams = new Set<Abortable>();
  draining = false;

  drain(): void {
    this.draining = true;
    for (const ac of this.streams) ac.abort(DRAINING);
  }

  force(): void {
    for (const ac of this.unary) ac.abort(FORCED);
    for (const ac of this.streams) ac.abort(FORCED);
  }

  get size(): number {
    return this.unary.size + this.streams.size;
  }
}

/** Abort reasons, so a stream can tell "server is draining" (end with OK) from a client cancel. */
export const DRAINING = Symbol("draining");
export const FORCED = Symbol("forced");
export const CANCELLED = Symbol("cancelled");

const DONE = Symbol("aborted");

/**
 * Next item of an async iterator, or DONE when the signal aborts first. Unlike Promise.race against
 * one long-lived abort promise, this leaves no reaction behind per item on long streams.
 */
export function nextOrAbort<T>(it: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T> | typeof DONE> {
  if (signal.aborted) return Promise.resolve(DONE);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(DONE);
    signal.addEventListener("abort", onAbort, { once: true });
    it.next().then(
      (r) => {
        signal.removeEventListener("abort", onAbort);
        resolve(r);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}
nextOrAbort.DONE = DONE;

/** Ends an abandoned iterator without waiting for it (a generator stuck in an await ends later). */
export function closeIterator(it: AsyncIterator<unknown>, log: Logger): void {
  it.return?.().catch((err: unknown) => log.warn({ err }, "stream iterator failed while closing"));
}
