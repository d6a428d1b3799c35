import { describe, expect, it } from "vitest";
import { signSlack, slack } from "./slack.js";

// Slack's documented example (api.slack.com/authentication/verifying-requests-from-slack).
const DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const DOC_TS = 1531420618;
const DOC_BODY =
  "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const DOC_SIG = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

const secret = "0123456789abcdef0123456789abcdef";
const now = Date.UTC(2026, 0, 1);
const nowS = now / 1000;
const json = { "content-type": "application/json" };
const event = Buffer.from(JSON.stringify({ type: "event_callback", event_id: "Ev1", event: { type: "app_mention" } }));

function check(headers: Record<string, string>, body: Buffer = event, at = now) {
  return slack.verify({ body, headers: { ...json, ...headers }, secrets: [secret], now: at });
}

describe("slack signature scheme", () => {
  it("matches Slack's documented example", () => {
    const result = slack.verify({
      body: Buffer.from(DOC_BODY),
      headers: { "x-slack-signature": DOC_SIG, "x-slack-request-timestamp": String(DOC_TS), "content-type": "application/x-www-form-urlencoded" },
      secrets: [DOC_SECRET],
      now: DOC_TS * 1000 + 10_000,
    });
    expect(result).toEqual({ ok: true, eventType: "slash_command", deliveryId: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c" });
    expect(signSlack(DOC_SECRET, DOC_BODY, DOC_TS)["x-slack-signature"]).toBe(DOC_SIG);
  });

  it("reads event_id and the inner event type of Events API callbacks", () => {
    expect(check(signSlack(secret, event, nowS))).toEqual({ ok: true, eventType: "app_mention", deliveryId: "Ev1" });
  });

  it("answers url_verification with its challenge, after the signature holds", () => {
    const body = Buffer.from(JSON.stringify({ type: "url_verification", challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", token: "x" }));
    const result = check(signSlack(secret, body, nowS), body);
    expect(result).toMatchObject({ ok: true, handshake: { status: 200, body: '{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}' } });
    expect(check({ ...signSlack(secret, body, nowS), "x-slack-signature": "v0=" + "0".repeat(64) }, body).ok).toBe(false);
  });

  it.each([
    ["at the window's far edge", nowS - 300, true],
    ["one second past the window", nowS - 301, false],
    ["at the window's future edge", nowS + 300, true],
    ["one second in the future past the window", nowS + 301, false],
  ])("timestamp %s", (_name, ts, ok) => {
    expect(check(signSlack(secret, event, ts)).ok).toBe(ok);
  });

  it.each([
    ["missing signature", { "x-slack-request-timestamp": String(nowS) }, "missing_signature"],
    ["missing timestamp", { "x-slack-signature": "v0=" + "a".repeat(64) }, "missing_timestamp"],
    ["non-numeric timestamp", { "x-slack-signature": "v0=" + "a".repeat(64), "x-slack-request-timestamp": "12e3" }, "malformed_timestamp"],
    ["negative timestamp", { "x-slack-signature": "v0=" + "a".repeat(64), "x-slack-request-timestamp": "-5" }, "malformed_timestamp"],
    ["prefix only", { "x-slack-signature": "v0=", "x-slack-request-timestamp": String(nowS) }, "malformed_signature"],
    ["wrong version", { "x-slack-signature": "v1=" + "a".repeat(64), "x-slack-request-timestamp": String(nowS) }, "malformed_signature"],
    ["garbage", { "x-slack-signature": "v0=not-hex", "x-slack-request-timestamp": String(nowS) }, "malformed_signature"],
  ])("rejects %s", (_name, headers, reason) => {
    expect(check(headers as Record<string, string>)).toEqual({ ok: false, reason });
  });

  it("rejects a signature made with another timestamp than the header's", () => {
    const headers = { ...signSlack(secret, event, nowS), "x-slack-request-timestamp": String(nowS - 1) };
    expect(check(headers)).toEqual({ ok: false, reason: "signature_mismatch" });
  });

  it("rejects truncated JSON even with a valid signature", () => {
    const body = event.subarray(0, event.length - 3);
    expect(check(signSlack(secret, body, nowS), body)).toEqual({ ok: false, reason: "malformed_body" });
  });

  it("has no generated secrets: Slack issues them", () => {
    expect(slack.generateSecret).toBeUndefined();
  });
});
