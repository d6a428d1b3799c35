import { describe, expect, it } from "vitest";
import { isRedirectAllowed, withParams } from "./redirect-allowlist.js";

const LIST = ["https://app.example.com", "https://admin.example.com/oauth/", "https://exact.example.com/done?x=1"];

describe("redirect allow-list", () => {
  it("admits any path on an origin-only entry", () => {
    expect(isRedirectAllowed("https://app.example.com/a/b?c=d", LIST)).toBe(true);
  });
  it("admits paths under a prefix entry ending in /", () => {
    expect(isRedirectAllowed("https://admin.example.com/oauth/done", LIST)).toBe(true);
    expect(isRedirectAllowed("https://admin.example.com/other", LIST)).toBe(false);
  });
  it("admits an exact entry only exactly", () => {
    expect(isRedirectAllowed("https://exact.example.com/done?x=1", LIST)).toBe(true);
    expect(isRedirectAllowed("https://exact.example.com/done?x=2", LIST)).toBe(false);
  });
  it("refuses look-alike hosts, other schemes, credentials and fragments", () => {
    expect(isRedirectAllowed("https://app.example.com.evil.test/", LIST)).toBe(false);
    expect(isRedirectAllowed("http://app.example.com/", LIST)).toBe(false);
    expect(isRedirectAllowed("https://user:pw@app.example.com/", LIST)).toBe(false);
    expect(isRedirectAllowed("https://app.example.com/#frag", LIST)).toBe(false);
    expect(isRedirectAllowed("javascript:alert(1)", LIST)).toBe(false);
    expect(isRedirectAllowed("https://app.example.com/", [])).toBe(false);
  });
  it("appends state and result to the caller's own query", () => {
    expect(withParams("https://app.example.com/cb?tab=2", { state: "s", credential_id: "c" })).toBe(
      "https://app.example.com/cb?tab=2&state=s&credential_id=c",
    );
  });
});
