/**
 * Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">` with
 * `X-Slack-Request-Timestamp` within five minutes. Events API bodies are JSON (`url_verification`
 * is answered with its challenge); slash commands and interactivity post forms.
 * https://api.slack.com/authentication/verifying-requests-from-slack
 */
import { checkWindow, fromHex, header, hmacSha256, isJsonContent, isObject, parseJson, parseUnixSeconds, safeEqual, stringField } from "./shared.js";
import type { SignInput, VerifyInput, VerifyResult, WebhookScheme } from "./types.js";

const TOLERANCE_SECONDS = 300;

export function signSlack(secret: string, body: Buffer | string, timestampSeconds: number): Record<string, string> {
  const ts = String(timestampSeconds);
  return {
    "x-slack-signature": "v0=" + hmacSha256(secret, `v0:${ts}:`, body).toString("hex"),
    "x-slack-request-timestamp": ts,
  };
}

function verify({ body, headers, secrets, now }: VerifyInput): VerifyResult {
  if (secrets.length === 0) return { ok: false, reason: "no_secret" };
  const signature = header(headers, "x-slack-signature");
  if (!signature) return { ok: false, reason: "missing_signature" };
  const tsText = header(headers, "x-slack-request-timestamp");
  if (!tsText) return { ok: false, reason: "missing_timestamp" };
  const ts = parseUnixSeconds(tsText);
  if (ts === undefined) return { ok: false, reason: "malformed_timestamp" };
  if (!signature.startsWith("v0=")) return { ok: false, reason: "malformed_signature" };
  const given = fromHex(signature.slice(3));
  if (!given || given.length !== 32) return { ok: false, reason: "malformed_signature" };
  if (!secrets.some((s) => safeEqual(hmacSha256(s, `v0:${tsText}:`, body), given))) {
    return { ok: false, reason: "signature_mismatch" };
  }
  const window = checkWindow(ts, now, TOLERANCE_SECONDS);
  if (window) return { ok: false, reason: window };
  return describe(body, isJsonContent(headers));
}

/** Reads what Slack's body says, after the signature held. */
function describe(body: Buffer, json: boolean): VerifyResult {
  if (!json) {
    const form = new URLSearchParams(body.toString("utf8"));
    // Interactivity posts `payload=<json>`; slash commands carry `command` and `trigger_id`.
    const payload = form.get("payload");
    if (payload !== null) {
      const parsed = parseJson(Buffer.from(payload));
      if (!isObject(parsed)) return { ok: false, reason: "malformed_body" };
      return { ok: true, eventType: stringField(parsed, "type"), deliveryId: stringField(parsed, "trigger_id") };
    }
    const command = form.get("command");
    return { ok: true, eventType: command ? "slash_command" : undefined, deliveryId: form.get("trigger_id") ?? undefined };
  }
  const parsed = parseJson(body);
  if (!isObject(parsed)) return { ok: false, reason: "malformed_body" };
  const type = stringField(parsed, "type");
  if (type === "url_verification") {
    const challenge = stringField(parsed, "challenge");
    if (!challenge) return { ok: false, reason: "malformed_body" };
    return { ok: true, eventType: type, handshake: { status: 200, contentType: "application/json", body: JSON.stringify({ challenge }) } };
  }
  const event = parsed.event;
  const eventType = isObject(event) ? (stringField(event, "type") ?? type) : type;
  // event_id is stable across Slack's retries (X-Slack-Retry-Num), so it is the dedupe key.
  return { ok: true, eventType, deliveryId: stringField(parsed, "event_id") };
}

export const slack: WebhookScheme = {
  name: "slack",
  acceptStatus: 200,
  deliveryIdSigned: true,
  verify,
  checkSecret: (secret) => (/^[A-Za-z0-9]{8,128}$/.test(secret) ? undefined : "must be the app's signing secret"),
  sign: ({ secret, body, now }: SignInput) => signSlack(secret, body, Math.floor(now / 1000)),
};
