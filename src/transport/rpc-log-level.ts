/**
 * The level of an RPC's log line. Successful calls log at LOG_RPC_LEVEL (debug by default: on the
 * token hot path a line per success costs a quarter of the throughput, and metrics already count
 * every call by method and code); failed calls log at least at info, so errors stay visible.
 */
import type { RpcLogLevel } from "../config/transport.js";

export function rpcLineLevel(configured: RpcLogLevel, ok: boolean): RpcLogLevel {
  if (ok || configured === "silent" || configured === "warn") return configured;
  return "info";
}
