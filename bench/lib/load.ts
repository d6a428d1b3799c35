/** Runs the load generators as child processes and turns their output into Measurements. */
import type { GrpcLoadResult, GrpcLoadSpec } from "../load/grpc-load.js";
import type { HttpLoadResult, HttpLoadSpec } from "../load/http-load.js";
import { runJson } from "./child.js";
import type { Measurement } from "./scenario.js";

function measurement(label: string, r: GrpcLoadResult | HttpLoadResult): Measurement {
  return {
    label,
    rps: r.rps,
    latencyMs: r.latencyMs,
    requests: r.requests,
    errors: r.errors,
    ...(r.errors ? { errorCodes: r.errorCodes } : {}),
  };
}

export async function grpcLoad(label: string, spec: GrpcLoadSpec): Promise<Measurement & { raw: GrpcLoadResult }> {
  const r = await runJson<GrpcLoadResult>("load/grpc-load.ts", { args: [JSON.stringify(spec)], logName: "grpc-load" });
  return { ...measurement(label, r), raw: r };
}

export async function httpLoad(label: string, spec: HttpLoadSpec): Promise<Measurement & { raw: HttpLoadResult }> {
  const r = await runJson<HttpLoadResult>("load/http-load.ts", { args: [JSON.stringify(spec)], logName: "http-load" });
  return { ...measurement(label, r), raw: r };
}

/** Drops the raw generator output before a Measurement goes into a result file. */
export function plain<M extends Measurement>(m: M): Measurement {
  const { raw: _raw, ...rest } = m as M & { raw?: unknown };
  return rest;
}
