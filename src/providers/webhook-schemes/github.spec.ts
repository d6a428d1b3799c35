import { sign as octokitSign, verify as octokitVerify } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { github, signGithub } from "./github.js";

const now = Date.UTC(2026, 0, 1);
const body = Buffer.from('{"zen":"Keep it logically awesome.","hook_id":1}');
const secret = "s3cr3t-value";

function check(headers: Record<string, string>, b: Buffer = body, secrets = [secret]) {
  return github.verify({ body: b, headers, secrets, now });
}

describe("github signature scheme", () => {
  it("matches GitHub's published test vector", () => {
    const result = github.verify({
      body: Buffer.from("Hello, World!"),
      headers: { "x-hub-signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" },
      secrets: ["It's a Secret to Everybody"],
      now,
    });
    expect(result).toEqual({ ok: true, deliveryId: undefined, eventType: undefined });
  });

  it("accepts signatures made by @octokit/webhooks-methods and agrees with its verify", async () => {
    const sig = await octokitSign(secret, body.toString());
    const result = check({ "x-hub-signature-256": sig, "x-github-delivery": "d-1", "x-github-event": "ping" });
    expect(result).toEqual({ ok: true, deliveryId: "d-1", eventType: "ping" });
    expect(await octokitVerify(secret, body.toString(), signGithub(secret, body))).toBe(true);
  });

  it.each([
    ["missing", {}, "missing_signature"],
    ["empty", { "x-hub-signature-256": "" }, "missing_signature"],
    ["prefix only", { "x-hub-signature-256": "sha256=" }, "malformed_signature"],
    ["sha1 prefix", { "x-hub-signature-256": "sha1=" + "a".repeat(64) }, "malformed_signature"],
    ["garbage", { "x-hub-signature-256": "sha256=zz" + "a".repeat(62) }, "malformed_signature"],
    ["wrong length", { "x-hub-signature-256": "sha256=" + "ab".repeat(31) }, "malformed_signature"],
    ["wrong secret", { "x-hub-signature-256": signGithub("other", body) }, "signature_mismatch"],
  ])("rejects a %s signature", (_name, headers, reason) => {
    expect(check(headers as Record<string, string>)).toEqual({ ok: false, reason });
  });

  it("rejects a body with one byte changed", () => {
    const changed = Buffer.from(body);
    changed[5] = changed[5]! ^ 1;
    expect(check({ "x-hub-signature-256": signGithub(secret, body) }, changed)).toEqual({ ok: false, reason: "signature_mismatch" });
  });

  it("fails closed without a secret", () => {
    expect(check({ "x-hub-signature-256": signGithub(secret, body) }, body, [])).toEqual({ ok: false, reason: "no_secret" });
  });

  it("verifies with either secret during a rotation", () => {
    const headers = { "x-hub-signature-256": signGithub("old-secret", body) };
    expect(check(headers, body, ["new-secret", "old-secret"]).ok).toBe(true);
    expect(check(headers, body, ["new-secret"]).ok).toBe(false);
  });

  it("generates 256-bit hex secrets", () => {
    expect(github.generateSecret!()).toMatch(/^[0-9a-f]{64}$/);
  });
});
