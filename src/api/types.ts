/**
 * Transport-neutral service implementations. A service is a plain object typed by its generated
 * descriptor (as in connect-es); each method takes the decoded request and a CallContext and
 * returns the response init (or an async iterable of them for server streams). The grpc-js and
 * connect-node transports adapt these generically; neither knows any method by name.
 */
import type {
  DescMessage,
  DescMethodServerStreaming,
  DescMethodUnary,
  DescService,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
import type { Logger } from "../observability/logger.js";

export type Role = "executor" | "backend" | "consumer" | "operator";

export interface Caller {
  /** The configured caller's name: what the audit table records. */
  name: string;
  role: Role;
}

export interface CallContext {
  caller: Caller;
  requestId: string;
  /** Aborted when the client cancels or the deadline passes. */
  signal: AbortSignal;
  log: Logger;
}

type UnaryImpl<I extends DescMessage, O extends DescMessage> = (
  req: MessageShape<I>,
  ctx: CallContext,
) => Promise<MessageInitShape<O>>;

type ServerStreamImpl<I extends DescMessage, O extends DescMessage> = (
  req: MessageShape<I>,
  ctx: CallContext,
) => AsyncIterable<MessageInitShape<O>>;

export type ServiceImplementation<S extends DescService> = {
  [K in keyof S["method"]]: S["method"][K] extends DescMethodUnary<infer I, infer O>
    ? UnaryImpl<I, O>
    : S["method"][K] extends DescMethodServerStreaming<infer I, infer O>
      ? ServerStreamImpl<I, O>
      : never;
};

/** A service descriptor with its implementation: what transports register. */
export interface ServiceBinding<S extends DescService = DescService> {
  service: S;
  implementation: ServiceImplementation<S>;
}

export function bind<S extends DescService>(service: S, implementation: ServiceImplementation<S>): ServiceBinding {
  return { service, implementation } as unknown as ServiceBinding;
}
