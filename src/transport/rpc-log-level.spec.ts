import { describe, expect, it } from "vitest";
import { rpcLineLevel } from "./rpc-log-level.js";

describe("rpcLineLevel", () => {
  it("logs successes at the configured level and failures at least at info", () => {
    expect(rpcLineLevel("debug", true)).toBe("debug");
    expect(rpcLineLevel("debug", false)).toBe("info");
    expect(rpcLineLevel("trace", false)).toBe("info");
    expect(rpcLineLevel("info", false)).toBe("info");
    expect(rpcLineLevel("warn", false)).toBe("warn");
    expect(rpcLineLevel("silent", false)).toBe("silent");
  });
});
