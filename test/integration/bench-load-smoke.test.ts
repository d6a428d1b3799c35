/**
 * Smoke test of the benchmark tooling (bench/): the baselines start in their own processes and the
 * load generators drive them and print a sane JSON result. No timing assertions: benchmarks are not
 * tests, this only keeps `npm run bench` from rotting.
 */
import { describe, expect, it } from "vitest";
import { runJson, startServer } from "../../bench/lib/child.js";
import { getAccessTokenRequest, GET_ACCESS_TOKEN_PATH } from "../../bench/lib/fixtures.js";
import { summarize } from "../../bench/lib/histogram.js";
import type { GrpcLoadResult } from "../../bench/load/grpc-load.js";
import type { HttpLoadResult } from "../../bench/load/http-load.js";

describe.concurrent("bench tooling", () => {
  it("summarize gives nearest-rank percentiles", () => {
    const s = summarize(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(s).toMatchObject({ count: 100, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
  });

  it("grpc load generator drives the echo baseline and reports counts and latencies as JSON", async () => {
    const echo = await startServer<{ port: number }>("baselines/grpc-echo-server.ts");
    try {
      const r = await runJson<GrpcLoadResult>("load/grpc-load.ts", {
        args: [
          JSON.stringify({
            targets: [`127.0.0.1:${echo.ready.port}`],
            path: GET_ACCESS_TOKEN_PATH,
            requests: [getAccessTokenRequest("u", "00000000-0000-4000-8000-000000000001").toString("base64")],
            concurrency: 4,
            durationS: 0.5,
            warmupS: 0,
          }),
        ],
      });
      expect(r.errors).toBe(0);
      expect(r.requests).toBeGreaterThan(0);
      expect(r.latencyMs.count).toBe(r.requests);
      expect(r.latencyMs.p50).toBeGreaterThan(0);
      expect(r.latencyMs.p99).toBeGreaterThanOrEqual(r.latencyMs.p50);
      expect(r.responseBytes).toBeGreaterThan(50);
    } finally {
      await echo.stop();
    }
  });

  it("http load generator posts signed bodies to the bare 200 baseline", async () => {
    const ok = await startServer<{ port: number }>("baselines/http-ok-server.ts");
    try {
      const r = await runJson<HttpLoadResult>("load/http-load.ts", {
        args: [JSON.stringify({ url: `http://127.0.0.1:${ok.ready.port}/webhooks/github/x`, concurrency: 4, durationS: 0.5, warmupS: 0, scheme: "github", secret: "s" })],
      });
      expect(r.errors).toBe(0);
      expect(r.requests).toBeGreaterThan(0);
      expect(r.latencyMs.count).toBe(r.requests);
    } finally {
      await ok.stop();
    }
  });
});
