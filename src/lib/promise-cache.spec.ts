import { describe, expect, it } from "vitest";
import { createPromiseCache } from "./promise-cache.js";

describe("createPromiseCache", () => {
  it("serves an entry until its deadline, then not", () => {
    const c = createPromiseCache<number>(10);
    const p = Promise.resolve(1);
    c.set("a", p, 100);
    expect(c.get("a", 99)).toBe(p);
    expect(c.get("a", 100)).toBeUndefined();
  });

  it("forgets a rejected promise, but not a newer one set under the same key", async () => {
    const c = createPromiseCache<number>(10);
    let fail!: (e: Error) => void;
    const failing = new Promise<number>((_, reject) => (fail = reject));
    c.set("a", failing, 1_000);
    fail(new Error("down"));
    await failing.catch(() => undefined);
    expect(c.get("a", 0)).toBeUndefined();

    let failOld!: (e: Error) => void;
    const old = new Promise<number>((_, reject) => (failOld = reject));
    c.set("b", old, 1_000);
    const newer = Promise.resolve(2);
    c.set("b", newer, 1_000);
    failOld(new Error("late"));
    await old.catch(() => undefined);
    expect(c.get("b", 0)).toBe(newer);
  });

  it("drops the oldest entry past its bound", () => {
    const c = createPromiseCache<number>(2);
    for (const k of ["a", "b", "c"]) c.set(k, Promise.resolve(0), 1_000);
    expect(c.get("a", 0)).toBeUndefined();
    expect(c.get("b", 0)).toBeDefined();
    expect(c.get("c", 0)).toBeDefined();
  });
});
