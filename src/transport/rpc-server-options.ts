/** What both RPC listeners (grpc-js on the gRPC port, connect-node on the internal port) are started with. */
import type { ServiceBinding } from "../api/types.js";
import type { Authenticator } from "../auth/callers.js";
import type { RpcLogLevel } from "../config/transport.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";

export interface RpcServerOptions {
  bindings: readonly ServiceBinding[];
  authenticator: Authenticator;
  logger: Logger;
  metrics: Metrics;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Level of the one-line-per-RPC log (default info). */
  rpcLogLevel?: RpcLogLevel;
}
