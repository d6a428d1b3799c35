/**
 * Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=...]`, each v1 an HMAC-SHA256
 * of "<t>.<raw body>" with the endpoint secret (the whole `whsec_...` string is the key). Any v1 may
 * match (Stripe signs with both secrets while one is rolled); t must lie within five minutes.
 * https://docs.stripe.com/webhooks#verify-manually
 */
import { checkWindow, fromHex, header, hmacSha256, isObject, parseJson, parseUnixSeconds, safeEqual, stringField } from "./shared.js";
import type { SignInput, VerifyInput, VerifyResult, WebhookScheme } from "./types.js";

const TOLERANCE_SECONDS = 300;

export function signStripe(secrets: string[], body: Buffer | string, timestampSeconds: number): string {
  const sigs = secrets.map((s) => `v1=${hmacSha256(s, `${timestampSeconds}.`, body).toString("hex")}`);
  return [`t=${timestampSeconds}`, ...sigs].join(",");
}

function parseHeader(value: string): { t?: string; v1: string[] } {
  const out: { t?: string; v1: string[] } = { v1: [] };
  for (const item of value.split(",")) {
    const eq = item.indexOf("=");
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const val = item.slice(eq + 1).trim();
    if (key === "t" && out.t === undefined) out.t = val;
    else if (key === "v1") out.v1.push(val);
  }
  return out;
}

function verify({ body, headers, secrets, now }: VerifyInput): VerifyResult {
  if (secrets.length === 0) return { ok: false, reason: "no_secret" };
  const value = header(headers, "stripe-signature");
  if (!value) return { ok: false, reason: "missing_signature" };
  const parsed = parseHeader(value);
  if (parsed.t === undefined) return { ok: false, reason: "missing_timestamp" };
  const ts = parseUnixSeconds(parsed.t);
  if (ts === undefined) return { ok: false, reason: "malformed_timestamp" };
  const given = parsed.v1.map(fromHex).filter((b): b is Buffer => b !== undefined && b.length === 32);
  if (given.length === 0) return { ok: false, reason: parsed.v1.length === 0 ? "missing_signature" : "malformed_signature" };
  const matched = secrets.some((s) => {
    const expected = hmacSha256(s, `${parsed.t}.`, body);
    return given.some((g) => safeEqual(expected, g));
  });
  if (!matched) return { ok: false, reason: "signature_mismatch" };
  const window = checkWindow(ts, now, TOLERANCE_SECONDS);
  if (window) return { ok: false, reason: window };
  const event = parseJson(body);
  if (!isObject(event)) return { ok: false, reason: "malformed_body" };
  return { ok: true, deliveryId: stringField(event, "id"), eventType: stringField(event, "type") };
}

export const stripe: WebhookScheme = {
  name: "stripe",
  acceptStatus: 200,
  deliveryIdSigned: true,
  verify,
  checkSecret: (secret) => (/^whsec_[A-Za-z0-9]{8,}$/.test(secret) ? undefined : "must be the endpoint's whsec_ signing secret"),
  sign: ({ secret, body, now }: SignInput) => ({ "stripe-signature": signStripe([secret], body, Math.floor(now / 1000)) }),
};
