import { describe, expect, it } from "vitest";
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

  it("returns the same pre-bound handle for a method and transport, and keeps registries apart", async () => {
    const a = createMetrics({ defaultMetrics: false });
    expect(a.rpc("m", "grpc")).toBe(a.rpc("m", "grpc"));
    const b = createMetrics();
    a.rpc("m", "grpc").observe(0, 0.1);
    expect(await b.render()).not.toContain('method="m"');
    expect(await b.render()).toContain("latchkey_process_cpu_seconds_total");
  });
});
