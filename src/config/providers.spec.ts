import { describe, expect, it } from "vitest";
import { loadOAuthConfig } from "./providers.js";

describe("loadOAuthConfig", () => {
  it("defaults the public URL, callback, state TTL and refresh margin", () => {
    expect(loadOAuthConfig({})).toMatchObject({
      publicUrl: "http://127.0.0.1:8080",
      callbackUrl: "http://127.0.0.1:8080/oauth/callback",
      redirectAllowlist: [],
      stateTtlSeconds: 600,
      refreshMarginSeconds: 300,
      idleRefreshHours: 24,
    });
  });
  it("reads the allow-list and the providers file", () => {
    const cfg = loadOAuthConfig({
      LATCHKEY_PUBLIC_URL: "https://latchkey.example.com/",
      LATCHKEY_REDIRECT_ALLOWLIST: "https://app.example.com, https://b.example.com/x/",
      LATCHKEY_PROVIDERS_FILE: "/etc/latchkey/providers.yaml",
    });
    expect(cfg.callbackUrl).toBe("https://latchkey.example.com/oauth/callback");
    expect(cfg.redirectAllowlist).toEqual(["https://app.example.com", "https://b.example.com/x/"]);
    expect(cfg.providersFile).toBe("/etc/latchkey/providers.yaml");
  });
  it("refuses malformed values with the variable named", () => {
    expect(() => loadOAuthConfig({ LATCHKEY_OAUTH_STATE_TTL_SECONDS: "ten" })).toThrow(/LATCHKEY_OAUTH_STATE_TTL_SECONDS/);
    expect(() => loadOAuthConfig({ LATCHKEY_REDIRECT_ALLOWLIST: "not a url" })).toThrow(/LATCHKEY_REDIRECT_ALLOWLIST/);
  });
});
