import { describe, expect, it } from "vitest";
import { hmacSha256 } from "./shared.js";
import { signStripe, stripe } from "./stripe.js";

const secret = "whsec_test1234567890abcdef";
const now = Date.UTC(2026, 0, 1);
const nowS = now / 1000;
const body = Buffer.from(JSON.stringify({ id: "evt_1", object: "event", type: "invoice.paid" }));

function check(sig: string | undefined, b = body, secrets = [secret]) {
  return stripe.verify({ body: b, headers: sig === undefined ? {} : { "stripe-signature": sig }, secrets, now });
}

describe("stripe signature scheme", () => {
  it("accepts a genuine signature and reads the event id and type", () => {
    expect(check(signStripe([secret], body, nowS))).toEqual({ ok: true, deliveryId: "evt_1", eventType: "invoice.paid" });
  });

  it("accepts when any one of several v1 signatures matches (Stripe rolling its secret)", () => {
    expect(check(signStripe(["whsec_someoneelse000", secret], body, nowS)).ok).toBe(true);
  });

  it("ignores v0 signatures", () => {
    const v0 = hmacSha256(secret, `${nowS}.`, body).toString("hex");
    expect(check(`t=${nowS},v0=${v0}`)).toEqual({ ok: false, reason: "missing_signature" });
  });

  it.each([
    ["missing", undefined, "missing_signature"],
    ["empty", "", "missing_signature"],
    ["without t", `v1=${"a".repeat(64)}`, "missing_timestamp"],
    ["with a non-numeric t", `t=abc,v1=${"a".repeat(64)}`, "malformed_timestamp"],
    ["prefix only", `t=${nowS},v1=`, "malformed_signature"],
    ["garbage", `t=${nowS},v1=xyz`, "malformed_signature"],
    ["wrong length", `t=${nowS},v1=${"ab".repeat(20)}`, "malformed_signature"],
  ])("rejects a %s header", (_name, sig, reason) => {
    expect(check(sig)).toEqual({ ok: false, reason });
  });

  it("rejects the wrong secret and a changed byte", () => {
    expect(check(signStripe(["whsec_wrongwrongwrong"], body, nowS))).toEqual({ ok: false, reason: "signature_mismatch" });
    const changed = Buffer.from(body);
    changed[0] = 0x20;
    expect(check(signStripe([secret], body, nowS), changed)).toEqual({ ok: false, reason: "signature_mismatch" });
  });

  it.each([
    [nowS - 300, true],
    [nowS - 301, false],
    [nowS + 300, true],
    [nowS + 301, false],
  ])("bounds t=%i to five minutes both ways", (ts, ok) => {
    expect(check(signStripe([secret], body, ts)).ok).toBe(ok);
  });

  it("rejects truncated JSON with a valid signature as a malformed body", () => {
    const cut = body.subarray(0, 10);
    expect(check(signStripe([secret], cut, nowS), cut)).toEqual({ ok: false, reason: "malformed_body" });
  });
});
