/** The machine a run happened on, recorded with every result (ratios only make sense with it). */
import os from "node:os";
import { execFileSync } from "node:child_process";

export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  loadAverageAtStart: number[];
  generators: { grpc: string; http: string };
}

export function has(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function machineInfo(postgres: string): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "?",
    cpus: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    generators: {
      grpc: has("h2load") && process.env.BENCH_LOADER !== "node" ? "h2load (nghttp2-client); grpc-js for bursts and multi-request sets" : "bench/load/grpc-load.ts (grpc-js)",
      http: has("wrk") && process.env.BENCH_LOADER !== "node" ? "wrk with pre-signed requests" : "bench/load/http-load.ts (node:http keep-alive)",
    },
  };
}
