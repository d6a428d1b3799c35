import { describe, expect, it } from "vitest";
import { Histogram, Registry } from "prom-client";
import { createMetrics } from "./metrics.js";

describe("metrics", () => {
  it("counts RPCs by method, code name and transport, and observes durations", async () => {
    const m = createMetrics({ defaultMetrics: false });
    const h = m.rpc("latchkey.v1.CredentialsService/GetAccessToken", "grpc");
    h.observe(0, 0.002);
    h.observe(0, 0.003);
    h.observe(5, 0.001);
    const text = await m.render();
    expect(text).toContain('latchkey_rpc_requests_total{method="latchkey.v1.CredentialsService/GetAccessToken",code="OK",transport="grpc"} 2');
    expect(text).toContain('latchkey_rpc_requests_total{method="latchkey.v1.CredentialsService/GetAccessToken",code="NOT_FOUND",transport="grpc"} 1');
    expect(text).toContain('latchkey_rpc_duration_seconds_count{method="latchkey.v1.CredentialsService/GetAccessToken",transport="grpc"} 3');
  });

  it("exposes the duration histogram exactly as prom-client's own Histogram would", async () => {
    const m = createMetrics({ defaultMetrics: false });
    const reference = new Registry();
    const hist = new Histogram({
      name: "latchkey_rpc_duration_seconds",
      help: "RPC duration in seconds, by method and transport.",
      labelNames: ["method", "transport"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [reference],
    });
    const durations = [0, 0.001, 0.0010001, 0.004, 0.3, 2.5, 9.99, 10, 11, 120];
    for (const [i, d] of durations.entries()) {
      m.rpc("svc/A", i % 2 ? "grpc" : "http-connect").observe(0, d);
      hist.observe({ method: "svc/A", transport: i % 2 ? "grpc" : "http-connect" }, d);
    }
    const lines = (text: string) => text.split("\n").filter((l) => l.startsWith("latchkey_rpc_duration_seconds")).sort();
    expect(lines(await m.render())).toEqual(lines(await reference.metrics()));
  });

  it("returns the same pre-bound handle for a method and transport, and keeps registries apart", async () => {
    const a = createMetrics({ defaultMetrics: false });
    expect(a.rpc("m", "grpc")).toBe(a.rpc("m", "grpc"));
    const b = createMetrics();
    a.rpc("m", "grpc").observe(0, 0.1);
    expect(await b.render()).not.toContain('method="m"');
    expect(await b.render()).toContain("latchkey_process_cpu_seconds_total");
  });
});
