/**
 * Discord: `X-Signature-Ed25519` (hex) over "<X-Signature-Timestamp><raw body>", checked with the
 * application's public key (the "secret" stored for the webhook; hex, 32 bytes). Verified with
 * Node's own Ed25519. Interactions PING (type 1) is answered `{"type":1}`; Webhook Events PING
 * (type 0, with `version`) is answered 204. Discord probes with bad signatures and wants exactly 401.
 * https://discord.com/developers/docs/interactions/overview#preparing-for-interactions
 */
import { createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from "node:crypto";
import { checkWindow, fromHex, header, isObject, parseJson, parseUnixSeconds, stringField } from "./shared.js";
import type { VerifyInput, VerifyResult, WebhookScheme } from "./types.js";

const TOLERANCE_SECONDS = 300;
/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

function publicKey(hex: string): KeyObject | undefined {
  const raw = fromHex(hex);
  if (!raw || raw.length !== 32) return undefined;
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
  } catch {
    return undefined;
  }
}

/** Signs like Discord does, with an Ed25519 private key (tests generate one with node:crypto). */
export function signDiscord(privateKey: KeyObject, body: Buffer | string, timestampSeconds: number): Record<string, string> {
  const ts = String(timestampSeconds);
  const sig = edSign(null, Buffer.concat([Buffer.from(ts), Buffer.from(body)]), privateKey);
  return { "x-signature-ed25519": sig.toString("hex"), "x-signature-timestamp": ts };
}

/** The raw public key as Discord shows it in the developer portal (hex). */
export function discordPublicKeyHex(key: KeyObject): string {
  return key.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length).toString("hex");
}

function verify({ body, headers, secrets, now }: VerifyInput): VerifyResult {
  const keys = secrets.map(publicKey).filter((k): k is KeyObject => k !== undefined);
  if (keys.length === 0) return { ok: false, reason: "no_secret" };
  const sigHex = header(headers, "x-signature-ed25519");
  if (!sigHex) return { ok: false, reason: "missing_signature" };
  const tsText = header(headers, "x-signature-timestamp");
  if (!tsText) return { ok: false, reason: "missing_timestamp" };
  const ts = parseUnixSeconds(tsText);
  if (ts === undefined) return { ok: false, reason: "malformed_timestamp" };
  const sig = fromHex(sigHex);
  if (!sig || sig.length !== 64) return { ok: false, reason: "malformed_signature" };
  const message = Buffer.concat([Buffer.from(tsText), body]);
  if (!keys.some((k) => edVerify(null, message, k, sig))) return { ok: false, reason: "signature_mismatch" };
  const window = checkWindow(ts, now, TOLERANCE_SECONDS);
  if (window) return { ok: false, reason: window };
  return describe(body);
}

function describe(body: Buffer): VerifyResult {
  const parsed = parseJson(body);
  if (!isObject(parsed) || typeof parsed.type !== "number") return { ok: false, reason: "malformed_body" };
  if ("version" in parsed) {
    // Webhook Events: type 0 is PING, type 1 carries `event`.
    if (parsed.type === 0) return { ok: true, eventType: "PING", handshake: { status: 204, body: "" } };
    const event = isObject(parsed.event) ? parsed.event : {};
    return { ok: true, eventType: stringField(event, "type") };
  }
  if (parsed.type === 1) {
    return { ok: true, eventType: "PING", handshake: { status: 200, contentType: "application/json", body: '{"type":1}' } };
  }
  return { ok: true, eventType: `interaction.${parsed.type}`, deliveryId: stringField(parsed, "id") };
}

export const discord: WebhookScheme = {
  name: "discord",
  acceptStatus: 204,
  deliveryIdSigned: true,
  verify,
  checkSecret: (secret) => (publicKey(secret) ? undefined : "must be the application's Ed25519 public key (64 hex characters)"),
};
