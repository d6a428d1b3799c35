import { describe, expect, it } from "vitest";
import { linear, signLinear } from "./linear.js";

const secret = "lin_wh_0123456789abcdef";
const now = Date.UTC(2026, 0, 1);

function payload(ts: unknown) {
  return Buffer.from(JSON.stringify({ action: "create", type: "Issue", data: { id: "i1" }, webhookTimestamp: ts }));
}
function check(body: Buffer, sig = signLinear(secret, body), extra: Record<string, string> = {}) {
  return linear.verify({ body, headers: { "linear-signature": sig, "linear-delivery": "del-1", ...extra }, secrets: [secret], now });
}

describe("linear signature scheme", () => {
  it("accepts a genuine signature and reads delivery and event type", () => {
    expect(check(payload(now), undefined, { "linear-event": "Issue" })).toEqual({ ok: true, deliveryId: "del-1", eventType: "Issue.create" });
  });

  it.each([
    ["at the past edge", now - 60_000, true],
    ["just past the window", now - 60_001, false],
    ["at the future edge", now + 60_000, true],
    ["just beyond the future edge", now + 60_001, false],
  ])("bounds webhookTimestamp %s", (_name, ts, ok) => {
    expect(check(payload(ts)).ok).toBe(ok);
  });

  it("rejects missing and non-numeric body timestamps", () => {
    expect(check(payload(undefined))).toEqual({ ok: false, reason: "missing_timestamp" });
    expect(check(payload(String(now)))).toEqual({ ok: false, reason: "malformed_timestamp" });
  });

  it.each([
    ["empty", "", "missing_signature"],
    ["garbage", "xyz", "malformed_signature"],
    ["wrong length", "abcd", "malformed_signature"],
    ["wrong secret", signLinear("another-secret", payload(now)), "signature_mismatch"],
  ])("rejects a %s signature", (_name, sig, reason) => {
    expect(check(payload(now), sig)).toEqual({ ok: false, reason });
  });

  it("checks the signature before reading the body", () => {
    const cut = payload(now).subarray(0, 20);
    expect(check(cut, "ab".repeat(32))).toEqual({ ok: false, reason: "signature_mismatch" });
    expect(check(cut)).toEqual({ ok: false, reason: "malformed_body" });
  });
});
