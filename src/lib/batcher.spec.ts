import { describe, expect, it } from "vitest";
import { createBatcher } from "./batcher.js";

describe("createBatcher", () => {
  it("coalesces calls made in the same turn into one flush, each getting its own result", async () => {
    const flushes: number[][] = [];
    const double = createBatcher<number, number>(async (xs) => {
      flushes.push(xs);
      return xs.map((x) => x * 2);
    });
    const results = await Promise.all([1, 2, 3].map(double));
    expect(results).toEqual([2, 4, 6]);
    expect(flushes).toEqual([[1, 2, 3]]);
  });

  it("splits at maxBatch and bounds concurrent flushes", async () => {
    let running = 0;
    let peak = 0;
    const sizes: number[] = [];
    const id = createBatcher<number, number>(
      async (xs) => {
        running++;
        peak = Math.max(peak, running);
        sizes.push(xs.length);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return xs;
      },
      { maxBatch: 10, maxInFlight: 2 },
    );
    const out = await Promise.all(Array.from({ length: 45 }, (_, i) => id(i)));
    expect(out).toEqual(Array.from({ length: 45 }, (_, i) => i));
    expect(peak).toBeLessThanOrEqual(2);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(45);
  });

  it("rejects every call of a failed flush and keeps serving later calls", async () => {
    let fail = true;
    const f = createBatcher<number, number>(async (xs) => {
      if (fail) throw new Error("boom");
      return xs;
    });
    await expect(Promise.all([f(1), f(2)])).rejects.toThrow("boom");
    fail = false;
    await expect(f(3)).resolves.toBe(3);
  });
});
