import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startIntervalWorker } from "./interval-worker.js";

describe("startIntervalWorker", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs every interval, one run at a time: a tick during a slow run queues behind it", async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const worker = startIntervalWorker({
      intervalMs: 100,
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 250));
        active--;
        runs++;
      },
      onError: () => {},
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(active).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(runs).toBe(0);
    expect(active).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(maxActive).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(3);
    const stopping = worker.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    await stopping;
    expect(maxActive).toBe(1);
  });

  it("hands a failed run to onError and keeps going", async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const worker = startIntervalWorker({
      intervalMs: 50,
      run: async () => {
        calls++;
        if (calls === 1) throw new Error("boom");
      },
      onError: (err) => errors.push(err),
    });
    await vi.advanceTimersByTimeAsync(120);
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe("boom");
    await worker.stop();
  });

  it("stop() clears the timer and waits for the run in flight", async () => {
    let finished = false;
    let calls = 0;
    const worker = startIntervalWorker({
      intervalMs: 100,
      run: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 500));
        finished = true;
      },
      onError: () => {},
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(1);
    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(100);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(400);
    await stopping;
    expect(finished).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(1);
  });

  it("does not hold the process open", () => {
    const spy = vi.spyOn(globalThis, "setInterval");
    const worker = startIntervalWorker({ intervalMs: 1000, run: async () => {}, onError: () => {} });
    const timer = spy.mock.results[0]!.value as { hasRef?: () => boolean };
    spy.mockRestore();
    if (typeof timer.hasRef === "function") expect(timer.hasRef()).toBe(false);
    return worker.stop();
  });
});
