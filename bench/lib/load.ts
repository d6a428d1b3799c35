/**
 * Runs the load generators as separate processes and turns their output into Measurements.
 *
 * Prefers the C generators when installed (`apt-get install -y nghttp2-client wrk`): h2load for
 * gRPC and wrk for HTTP take far less CPU than a Node client, which matters when generator and
 * server share two cores. Otherwise, or with BENCH_LOADER=node (`--node-loaders`), the Node
 * generators in bench/load/. Both sides of a comparison always use the same generator.
 */
import type { GrpcLoadResult, GrpcLoadSpec } from "../load/grpc-load.js";
import { runH2load } from "../load/h2load.js";
import type { HttpLoadResult, HttpLoadSpec } from "../load/http-load.js";
import { runWrk } from "../load/wrk.js";
import { runJson } from "./child.js";
import { specArg } from "./spec-arg.js";
import { has } from "./machine.js";
import type { Measurement } from "./scenario.js";

const nodeOnly = () => process.env.BENCH_LOADER === "node";
export const useH2load = (spec: GrpcLoadSpec) => !nodeOnly() && !spec.burst && spec.requests.length === 1 && spec.targets.length === 1 && has("h2load");
export const useWrk = () => !nodeOnly() && has("wrk");

function measurement(label: string, r: GrpcLoadResult | HttpLoadResult, loader: string): Measurement {
  return {
    label,
    rps: r.rps,
    latencyMs: r.latencyMs,
    requests: r.requests,
    errors: r.errors,
    ...(r.errors ? { errorCodes: r.errorCodes } : {}),
    extra: { loader },
  };
}

export async function grpcLoad(label: string, spec: GrpcLoadSpec): Promise<Measurement & { raw: GrpcLoadResult }> {
  if (useH2load(spec)) {
    const r = await runH2load(spec);
    return { ...measurement(label, r, "h2load"), raw: r };
  }
  const r = await runJson<GrpcLoadResult>("load/grpc-load.ts", { args: [specArg(spec)], logName: "grpc-load" });
  return { ...measurement(label, r, "grpc-js"), raw: r };
}

export async function httpLoad(label: string, spec: HttpLoadSpec): Promise<Measurement & { raw: HttpLoadResult }> {
  if (useWrk()) {
    const r = await runWrk(spec);
    return { ...measurement(label, r, "wrk"), raw: r };
  }
  const r = await runJson<HttpLoadResult>("load/http-load.ts", { args: [specArg(spec)], logName: "http-load" });
  return { ...measurement(label, r, "node:http"), raw: r };
}

/** Drops the raw generator output before a Measurement goes into a result file. */
export function plain<M extends Measurement>(m: M): Measurement {
  const { raw: _raw, ...rest } = m as M & { raw?: unknown };
  return rest;
}
