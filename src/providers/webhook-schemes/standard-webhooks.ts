/**
 * Standard Webhooks (also Svix, whose `svix-*` headers are accepted as aliases):
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>"> [v1,<...> ...]`,
 * several space-separated signatures (the sender rotating keys), the key being the base64 after
 * `whsec_`; `webhook-timestamp` within five minutes either way.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
import { randomBytes } from "node:crypto";
import { checkWindow, fromBase64, header, hmacSha256, isJsonContent, isObject, parseJson, parseUnixSeconds, safeEqual, stringField } from "./shared.js";
import type { HeaderBag, SignInput, VerifyInput, VerifyResult, WebhookScheme } from "./types.js";

const TOLERANCE_SECONDS = 300;
const PREFIX = "whsec_";

/** The HMAC key of a `whsec_<base64>` secret (the prefix is optional, as in the reference libraries). */
export function standardWebhooksKey(secret: string): Buffer | undefined {
  const b64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  const key = fromBase64(b64);
  return key && key.length >= 16 && key.length <= 64 ? key : undefined;
}

export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: Buffer | string): string {
  const key = standardWebhooksKey(secret);
  if (!key) throw new Error("not a whsec_ secret");
  return "v1," + hmacSha256(key, `${id}.${timestampSeconds}.`, body).toString("base64");
}

function pick(headers: HeaderBag, name: string): string | undefined {
  return header(headers, `webhook-${name}`) ?? header(headers, `svix-${name}`);
}

function verify({ body, headers, secrets, now }: VerifyInput): VerifyResult {
  const keys = secrets.map(standardWebhooksKey).filter((k): k is Buffer => k !== undefined);
  if (keys.length === 0) return { ok: false, reason: "no_secret" };
  const id = pick(headers, "id");
  const signature = pick(headers, "signature");
  if (!id || !signature) return { ok: false, reason: "missing_signature" };
  const tsText = pick(headers, "timestamp");
  if (!tsText) return { ok: false, reason: "missing_timestamp" };
  const ts = parseUnixSeconds(tsText);
  if (ts === undefined) return { ok: false, reason: "malformed_timestamp" };
  // Unknown versions (v1a: asymmetric) are skipped, as the spec asks; at least one v1 must parse.
  const given = signature
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => fromBase64(s.slice(3)))
    .filter((b): b is Buffer => b !== undefined && b.length === 32);
  if (given.length === 0) return { ok: false, reason: "malformed_signature" };
  const matched = keys.some((k) => {
    const expected = hmacSha256(k, `${id}.${tsText}.`, body);
    return given.some((g) => safeEqual(expected, g));
  });
  if (!matched) return { ok: false, reason: "signature_mismatch" };
  const window = checkWindow(ts, now, TOLERANCE_SECONDS);
  if (window) return { ok: false, reason: window };
  let eventType: string | undefined;
  if (isJsonContent(headers) || body[0] === 0x7b) {
    const parsed = parseJson(body);
    if (parsed === undefined) return { ok: false, reason: "malformed_body" };
    if (isObject(parsed)) eventType = stringField(parsed, "type");
  }
  return { ok: true, deliveryId: id, eventType };
}

export const standardWebhooks: WebhookScheme = {
  name: "standard-webhooks",
  acceptStatus: 200,
  deliveryIdSigned: true,
  verify,
  generateSecret: () => PREFIX + randomBytes(32).toString("base64"),
  checkSecret: (secret) => (standardWebhooksKey(secret) ? undefined : "must be whsec_ followed by a base64 key of 16..64 bytes"),
  sign: ({ secret, body, now, deliveryId }: SignInput) => {
    const id = deliveryId ?? `msg_${randomBytes(12).toString("hex")}`;
    const ts = Math.floor(now / 1000);
    return { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": signStandardWebhook(secret, id, ts, body) };
  },
};
