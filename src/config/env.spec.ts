import { describe, expect, it } from "vitest";
import { InvalidArgument } from "../domain/errors.js";
import { defaultPublicUrl, intFrom, str } from "./env.js";

describe("env readers", () => {
  it("str trims and treats blank as unset", () => {
    expect(str({ A: "  x " }, "A")).toBe("x");
    expect(str({ A: "   " }, "A")).toBeUndefined();
    expect(str({}, "A")).toBeUndefined();
  });

  it("intFrom falls back when unset or blank and enforces the bounds, naming the variable", () => {
    expect(intFrom({}, "N", 7, 0, 10)).toBe(7);
    expect(intFrom({ N: " " }, "N", 7, 0, 10)).toBe(7);
    expect(intFrom({ N: " 3 " }, "N", 7, 0, 10)).toBe(3);
    expect(() => intFrom({ N: "1e3" }, "N", 7, 0, 10_000)).toThrow('N: must be an integer, got "1e3"');
    expect(() => intFrom({ N: "-1" }, "N", 7, 0, 10)).toThrow(InvalidArgument);
    expect(() => intFrom({ N: "11" }, "N", 7, 0, 10)).toThrow("N: must be between 0 and 10");
    expect(() => intFrom({ N: "x" }, "N", 7, 0, 10, "must be a whole number")).toThrow("N: must be a whole number");
  });
});

describe("defaultPublicUrl", () => {
  it("is the public port on loopback, so OAuth callbacks and ingress URLs agree", () => {
    expect(defaultPublicUrl({})).toBe("http://127.0.0.1:8080");
    expect(defaultPublicUrl({ HTTP_PUBLIC_PORT: "9090" })).toBe("http://127.0.0.1:9090");
  });
});
