/**
 * One interface for every webhook signature scheme. A scheme verifies the raw body bytes exactly as
 * received (never re-serialised JSON) against the headers and the webhook's secrets, and only then
 * reads the body for a delivery id, an event type or a handshake. Several secrets may be passed:
 * during a rotation's grace period the old and the new secret both verify.
 */

/** Request headers as Node gives them: lower-cased names, repeated headers as arrays. */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

export interface VerifyInput {
  body: Buffer;
  headers: HeaderBag;
  /** Every secret currently valid for the webhook (current first). Empty fails closed. */
  secrets: readonly string[];
  /** Milliseconds since the epoch, from the injected clock. */
  now: number;
}

export type VerifyFailureReason =
  | "no_secret"
  | "missing_signature"
  | "malformed_signature"
  | "signature_mismatch"
  | "missing_timestamp"
  | "malformed_timestamp"
  | "stale_timestamp"
  | "future_timestamp"
  /** Signature good, but the body is not what the scheme promises (truncated JSON...): a 400, not a 401. */
  | "malformed_body";

/** What to answer instead of storing the request (Slack url_verification, Discord PING). */
export interface HandshakeResponse {
  status: number;
  contentType?: string;
  body: string;
}

export type VerifyResult =
  | { ok: true; deliveryId?: string; eventType?: string; handshake?: HandshakeResponse }
  | { ok: false; reason: VerifyFailureReason };

export interface SignInput {
  secret: string;
  body: Buffer | string;
  /** Milliseconds since the epoch. */
  now: number;
  deliveryId?: string;
}

export interface WebhookScheme {
  readonly name: string;
  verify(input: VerifyInput): VerifyResult;
  /** Status of the answer to an accepted delivery (Slack wants 200, Discord webhook events 204). */
  readonly acceptStatus: number;
  /**
   * Whether the delivery id is covered by the signature. When it is not (GitHub, Linear send it
   * in an unsigned header), the inbox dedupes on a hash of the body instead, so a captured
   * delivery replayed with a fresh id is still stored once.
   */
  readonly deliveryIdSigned: boolean;
  /**
   * Makes a secret Latchkey can hand to the provider. Absent when the provider issues the secret
   * itself (Slack, Stripe, Discord, Linear): then the caller must pass it.
   */
  generateSecret?(): string;
  /** Why a caller-supplied secret cannot work with this scheme, or undefined when it can. */
  checkSecret(secret: string): string | undefined;
  /** Headers a genuine sender would add: for tests and for documentation examples. */
  sign?(input: SignInput): Record<string, string>;
}
