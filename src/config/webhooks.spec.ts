import { describe, expect, it } from "vitest";
import { InvalidArgument } from "../domain/errors.js";
import { loadWebhooksConfig } from "./webhooks.js";

describe("loadWebhooksConfig", () => {
  it("has production defaults", () => {
    expect(loadWebhooksConfig({})).toEqual({
      publicUrl: "http://127.0.0.1:8080",
      maxBodyBytes: 1024 * 1024,
      ackTimeoutMs: 60_000,
      retentionMs: 7 * 24 * 3_600_000,
      pruneIntervalMs: 600_000,
      secretCacheMs: 60_000,
      rotationGraceMs: 86_400_000,
      githubApiUrl: "https://api.github.com",
    });
  });

  it("reads the environment and trims a trailing slash off the public URL", () => {
    const c = loadWebhooksConfig({ LATCHKEY_PUBLIC_URL: "https://lk.example.com/", LATCHKEY_WEBHOOK_MAX_BODY_BYTES: "2048", LATCHKEY_WEBHOOK_ACK_TIMEOUT_SECONDS: "5" });
    expect(c).toMatchObject({ publicUrl: "https://lk.example.com", maxBodyBytes: 2048, ackTimeoutMs: 5000 });
  });

  it.each([
    ["LATCHKEY_WEBHOOK_MAX_BODY_BYTES", "1mb"],
    ["LATCHKEY_WEBHOOK_MAX_BODY_BYTES", "10"],
    ["LATCHKEY_WEBHOOK_ACK_TIMEOUT_SECONDS", "0"],
    ["LATCHKEY_PUBLIC_URL", "ftp://x"],
    ["LATCHKEY_PUBLIC_URL", "https://x/?q=1"],
  ])("refuses %s=%s naming the variable", (name, value) => {
    expect(() => loadWebhooksConfig({ [name]: value })).toThrow(InvalidArgument);
    expect(() => loadWebhooksConfig({ [name]: value })).toThrow(name);
  });
});
