import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { discord, discordPublicKeyHex, signDiscord } from "./discord.js";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const other = generateKeyPairSync("ed25519");
const pub = discordPublicKeyHex(publicKey);
const now = Date.UTC(2026, 0, 1);
const nowS = now / 1000;
const interaction = Buffer.from(JSON.stringify({ id: "1234", type: 2, application_id: "9" }));

function check(headers: Record<string, string>, body = interaction, secrets = [pub]) {
  return discord.verify({ body, headers, secrets, now });
}

describe("discord signature scheme", () => {
  it("accepts a real Ed25519 signature over timestamp and body", () => {
    expect(check(signDiscord(privateKey, interaction, nowS))).toEqual({ ok: true, eventType: "interaction.2", deliveryId: "1234" });
  });

  it('answers interactions PING with {"type":1}', () => {
    const ping = Buffer.from('{"id":"1","type":1,"application_id":"9"}');
    expect(check(signDiscord(privateKey, ping, nowS), ping)).toMatchObject({
      ok: true,
      handshake: { status: 200, contentType: "application/json", body: '{"type":1}' },
    });
  });

  it("answers Webhook Events PING with 204 and reads event types of the others", () => {
    const ping = Buffer.from('{"version":1,"application_id":"9","type":0}');
    expect(check(signDiscord(privateKey, ping, nowS), ping)).toMatchObject({ ok: true, handshake: { status: 204, body: "" } });
    const ev = Buffer.from('{"version":1,"application_id":"9","type":1,"event":{"type":"APPLICATION_AUTHORIZED"}}');
    expect(check(signDiscord(privateKey, ev, nowS), ev)).toEqual({ ok: true, eventType: "APPLICATION_AUTHORIZED" });
  });

  it("rejects another key's signature, a changed byte and a changed timestamp", () => {
    expect(check(signDiscord(other.privateKey, interaction, nowS))).toEqual({ ok: false, reason: "signature_mismatch" });
    const changed = Buffer.from(interaction);
    changed[8] = changed[8]! ^ 1;
    expect(check(signDiscord(privateKey, interaction, nowS), changed)).toEqual({ ok: false, reason: "signature_mismatch" });
    const moved = { ...signDiscord(privateKey, interaction, nowS), "x-signature-timestamp": String(nowS + 1) };
    expect(check(moved)).toEqual({ ok: false, reason: "signature_mismatch" });
  });

  it.each([
    ["missing", {}, "missing_signature"],
    ["without timestamp", { "x-signature-ed25519": "ab".repeat(64) }, "missing_timestamp"],
    ["garbage", { "x-signature-ed25519": "zz", "x-signature-timestamp": String(nowS) }, "malformed_signature"],
    ["wrong length", { "x-signature-ed25519": "ab".repeat(63), "x-signature-timestamp": String(nowS) }, "malformed_signature"],
    ["non-numeric timestamp", { "x-signature-ed25519": "ab".repeat(64), "x-signature-timestamp": "now" }, "malformed_timestamp"],
  ])("rejects a %s signature", (_name, headers, reason) => {
    expect(check(headers as Record<string, string>)).toEqual({ ok: false, reason });
  });

  it("bounds the timestamp to five minutes both ways", () => {
    expect(check(signDiscord(privateKey, interaction, nowS - 300)).ok).toBe(true);
    expect(check(signDiscord(privateKey, interaction, nowS - 301))).toEqual({ ok: false, reason: "stale_timestamp" });
    expect(check(signDiscord(privateKey, interaction, nowS + 301))).toEqual({ ok: false, reason: "future_timestamp" });
  });

  it("fails closed when the stored key is missing or not a key", () => {
    const headers = signDiscord(privateKey, interaction, nowS);
    expect(check(headers, interaction, [])).toEqual({ ok: false, reason: "no_secret" });
    expect(check(headers, interaction, ["not-hex"])).toEqual({ ok: false, reason: "no_secret" });
    expect(discord.checkSecret("abc")).toBeDefined();
    expect(discord.checkSecret(pub)).toBeUndefined();
  });
});
