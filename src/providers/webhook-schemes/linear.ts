/**
 * Linear: `Linear-Signature: <hex HMAC-SHA256 of the raw body>`; the send time is `webhookTimestamp`
 * (milliseconds) inside the signed JSON body, so it is read only after the signature holds, and
 * must lie within a minute, as Linear recommends. `Linear-Delivery` identifies the delivery.
 * https://linear.app/developers/webhooks#securing-webhooks
 */
import { checkWindow, fromHex, header, hmacSha256, isObject, parseJson, safeEqual, stringField } from "./shared.js";
import type { SignInput, VerifyInput, VerifyResult, WebhookScheme } from "./types.js";

const TOLERANCE_SECONDS = 60;

export function signLinear(secret: string, body: Buffer | string): string {
  return hmacSha256(secret, body).toString("hex");
}

function verify({ body, headers, secrets, now }: VerifyInput): VerifyResult {
  if (secrets.length === 0) return { ok: false, reason: "no_secret" };
  const value = header(headers, "linear-signature");
  if (!value) return { ok: false, reason: "missing_signature" };
  const given = fromHex(value);
  if (!given || given.length !== 32) return { ok: false, reason: "malformed_signature" };
  if (!secrets.some((s) => safeEqual(hmacSha256(s, body), given))) return { ok: false, reason: "signature_mismatch" };
  const parsed = parseJson(body);
  if (!isObject(parsed)) return { ok: false, reason: "malformed_body" };
  const ts = parsed.webhookTimestamp;
  if (ts === undefined) return { ok: false, reason: "missing_timestamp" };
  if (typeof ts !== "number" || !Number.isSafeInteger(ts) || ts < 0) return { ok: false, reason: "malformed_timestamp" };
  const window = checkWindow(ts / 1000, now, TOLERANCE_SECONDS);
  if (window) return { ok: false, reason: window };
  const type = header(headers, "linear-event") ?? stringField(parsed, "type");
  const action = stringField(parsed, "action");
  return {
    ok: true,
    deliveryId: header(headers, "linear-delivery") ?? stringField(parsed, "webhookId"),
    eventType: type && action ? `${type}.${action}` : type,
  };
}

export const linear: WebhookScheme = {
  name: "linear",
  acceptStatus: 200,
  deliveryIdSigned: false,
  verify,
  checkSecret: (secret) => (secret.length >= 8 && secret.length <= 256 ? undefined : "must be the webhook's signing secret"),
  sign: ({ secret, body, deliveryId }: SignInput) => ({
    "linear-signature": signLinear(secret, body),
    ...(deliveryId ? { "linear-delivery": deliveryId } : {}),
  }),
};
