/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. GitHub signs neither a
 * timestamp nor `X-GitHub-Delivery`, so replays are caught only by the inbox's dedupe on the body hash,
 * and only while the original is retained (docs/WEBHOOKS.md, "Known limits").
 * https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries
 */
import { randomBytes } from "node:crypto";
import { fromHex, header, hmacSha256, safeEqual } from "./shared.js";
import type { SignInput, VerifyInput, VerifyResult, WebhookScheme } from "./types.js";

const PREFIX = "sha256=";

export function signGithub(secret: string, body: Buffer | string): string {
  return PREFIX + hmacSha256(secret, body).toString("hex");
}

function verify({ body, headers, secrets }: VerifyInput): VerifyResult {
  if (secrets.length === 0) return { ok: false, reason: "no_secret" };
  const value = header(headers, "x-hub-signature-256");
  if (!value) return { ok: false, reason: "missing_signature" };
  if (!value.startsWith(PREFIX)) return { ok: false, reason: "malformed_signature" };
  const given = fromHex(value.slice(PREFIX.length));
  if (!given || given.length !== 32) return { ok: false, reason: "malformed_signature" };
  if (!secrets.some((s) => safeEqual(hmacSha256(s, body), given))) return { ok: false, reason: "signature_mismatch" };
  return { ok: true, deliveryId: header(headers, "x-github-delivery"), eventType: header(headers, "x-github-event") };
}

export const github: WebhookScheme = {
  name: "github",
  acceptStatus: 200,
  deliveryIdSigned: false,
  verify,
  generateSecret: () => randomBytes(32).toString("hex"),
  checkSecret: (secret) => (secret.length >= 1 && secret.length <= 1024 ? undefined : "must be 1..1024 characters"),
  sign: ({ secret, body, deliveryId }: SignInput) => ({
    "x-hub-signature-256": signGithub(secret, body),
    ...(deliveryId ? { "x-github-delivery": deliveryId } : {}),
  }),
};
