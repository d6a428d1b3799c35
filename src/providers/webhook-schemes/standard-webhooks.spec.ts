import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signStandardWebhook, standardWebhooks } from "./standard-webhooks.js";

// The specification's test vector.
const SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SPEC_TS = 1614265330;
const SPEC_BODY = '{"test": 2432232314}';
const SPEC_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

const secret = standardWebhooks.generateSecret!();
const now = Date.UTC(2026, 0, 1);
const nowS = now / 1000;
const body = Buffer.from('{"type":"invoice.paid","data":{"id":1}}');

function headers(sig: string, ts = nowS, id = "msg_1") {
  return { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": sig, "content-type": "application/json" };
}
function check(h: Record<string, string>, b = body, secrets = [secret]) {
  return standardWebhooks.verify({ body: b, headers: h, secrets, now });
}

describe("standard-webhooks signature scheme", () => {
  it("matches the specification's test vector", () => {
    expect(signStandardWebhook(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY)).toBe(SPEC_SIG);
    const result = standardWebhooks.verify({
      body: Buffer.from(SPEC_BODY),
      headers: headers(SPEC_SIG, SPEC_TS, SPEC_ID),
      secrets: [SPEC_SECRET],
      now: SPEC_TS * 1000,
    });
    expect(result).toEqual({ ok: true, deliveryId: SPEC_ID, eventType: undefined });
  });

  it("accepts signatures from the standardwebhooks library, and the library accepts ours", () => {
    const lib = new Webhook(secret);
    const sig = lib.sign("msg_lib", new Date(now), body.toString());
    expect(check(headers(sig, nowS, "msg_lib"))).toEqual({ ok: true, deliveryId: "msg_lib", eventType: "invoice.paid" });
    const ours = standardWebhooks.sign!({ secret, body, now: Date.now(), deliveryId: "msg_ours" });
    expect(lib.verify(body.toString(), ours)).toEqual({ type: "invoice.paid", data: { id: 1 } });
  });

  it("accepts any of several signatures, skipping unknown versions", () => {
    const good = signStandardWebhook(secret, "msg_1", nowS, body);
    expect(check(headers(`v1a,AAAA v1,${"A".repeat(43)}= ${good}`)).ok).toBe(true);
  });

  it("accepts svix-* header aliases", () => {
    const sig = signStandardWebhook(secret, "msg_1", nowS, body);
    expect(check({ "svix-id": "msg_1", "svix-timestamp": String(nowS), "svix-signature": sig }).ok).toBe(true);
  });

  it.each([
    ["missing", { "webhook-id": "msg_1", "webhook-timestamp": String(nowS) }, "missing_signature"],
    ["empty", headers(""), "missing_signature"],
    ["prefix only", headers("v1,"), "malformed_signature"],
    ["garbage", headers("v1,***"), "malformed_signature"],
    ["wrong length", headers("v1,AAAA"), "malformed_signature"],
    ["wrong secret", headers(signStandardWebhook(standardWebhooks.generateSecret!(), "msg_1", nowS, body)), "signature_mismatch"],
    ["id swapped", headers(signStandardWebhook(secret, "msg_2", nowS, body)), "signature_mismatch"],
    ["non-numeric timestamp", { ...headers("v1,AAAA"), "webhook-timestamp": "1.5e9" }, "malformed_timestamp"],
  ])("rejects a %s signature", (_name, h, reason) => {
    expect(check(h as Record<string, string>)).toEqual({ ok: false, reason });
  });

  it.each([
    [nowS - 300, true],
    [nowS - 301, false],
    [nowS + 300, true],
    [nowS + 301, false],
  ])("bounds the timestamp %i to five minutes both ways", (ts, ok) => {
    expect(check(headers(signStandardWebhook(secret, "msg_1", ts, body), ts)).ok).toBe(ok);
  });

  it("verifies with either secret during a rotation and fails closed with none", () => {
    const old = standardWebhooks.generateSecret!();
    const h = headers(signStandardWebhook(old, "msg_1", nowS, body));
    expect(check(h, body, [secret, old]).ok).toBe(true);
    expect(check(h, body, [])).toEqual({ ok: false, reason: "no_secret" });
  });

  it("rejects truncated JSON with a valid signature", () => {
    const cut = body.subarray(0, 12);
    expect(check(headers(signStandardWebhook(secret, "msg_1", nowS, cut)), cut)).toEqual({ ok: false, reason: "malformed_body" });
  });
});
