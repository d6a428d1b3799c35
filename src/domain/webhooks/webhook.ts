/**
 * Webhooks as the domain sees them, and the ports storage implements. No SQL and no protobuf here:
 * rows carry ciphertexts only; plaintext secrets live briefly in memory (webhook-secrets.ts).
 */
export type WebhookStatus = "active" | "disabled";

export interface WebhookRow {
  id: string;
  userId: string;
  provider: string;
  /** Signature scheme name, fixed at creation (webhook-schemes/). */
  scheme: string;
  resource: string;
  events: string[];
  credentialId: string | null;
  /** The registrar that created the hook at the provider, when Latchkey did. */
  registrar: string | null;
  providerWebhookId: string;
  status: WebhookStatus;
  secretCiphertext: string;
  previousSecretCiphertext: string | null;
  previousSecretExpiresAt: Date | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NewWebhookRow = Omit<WebhookRow, "version" | "createdAt" | "updatedAt" | "previousSecretCiphertext" | "previousSecretExpiresAt" | "status">;

export interface WebhookEventRow {
  id: string;
  /** Arrival order (bigint as a decimal string). */
  seq: string;
  webhookId: string;
  userId: string;
  provider: string;
  eventType: string;
  deliveryId: string;
  contentType: string;
  payload: Buffer;
  receivedAt: Date;
}

export interface NewWebhookEvent extends Omit<WebhookEventRow, "seq"> {
  dedupeKey: string;
  /** The webhook record's version the signature was checked against; the insert requires it still. */
  webhookVersion: number;
}

/** stale: the webhook was changed (secret rotated) or deleted since it was read; nothing stored. */
export type InsertOutcome = "inserted" | "duplicate" | "stale";

/** An event handed to a consumer, with how many times it has been handed over (this time included). */
export interface DeliveredEvent extends WebhookEventRow {
  attempt: number;
}

/** Empty lists match everything. */
export interface EventFilter {
  webhookIds: string[];
  providers: string[];
  eventTypes: string[];
}

export interface SecretRotation {
  secretCiphertext: string;
  previousSecretCiphertext: string | null;
  previousSecretExpiresAt: Date | null;
}

export interface WebhooksRepo {
  insert(row: NewWebhookRow): Promise<WebhookRow>;
  /** User-scoped: another user's webhook reads as missing. */
  get(userId: string, id: string): Promise<WebhookRow | undefined>;
  /** Ingress lookup by id alone; the caller compares provider (and nothing else leaks). */
  getById(id: string): Promise<WebhookRow | undefined>;
  list(userId: string, provider?: string): Promise<WebhookRow[]>;
  delete(userId: string, id: string): Promise<boolean>;
  /** Compare-and-set on version; undefined when the row changed or vanished meanwhile. */
  rotateSecret(userId: string, id: string, expectedVersion: number, rotation: SecretRotation): Promise<WebhookRow | undefined>;
}

export interface WebhookEventsRepo {
  /**
   * Commits the event (and wakes listeners on every replica) if its webhook is still active at
   * `webhookVersion`; a duplicate (same webhook and dedupe key) is a no-op.
   */
  insert(event: NewWebhookEvent): Promise<InsertOutcome>;
  /** Newest first, strictly older than `beforeSeq` when given. */
  listForWebhook(userId: string, webhookId: string, limit: number, beforeSeq?: string): Promise<WebhookEventRow[]>;
  /** Deletes up to `limit` events received before `cutoff`; returns how many. */
  pruneBefore(cutoff: Date, limit: number): Promise<number>;
}

export interface WebhookDeliveriesRepo {
  /** Registers the consumer (first use) and records that it is alive. */
  touchConsumer(consumer: string, now: Date): Promise<void>;
  /**
   * Atomically hands out up to `limit` matching events, oldest first, that the consumer has not
   * acked and that are not in flight to it (in flight: handed out and not yet past `now`+timeout).
   */
  claim(consumer: string, filter: EventFilter, now: Date, ackTimeoutMs: number, limit: number): Promise<DeliveredEvent[]>;
  /** When the earliest event matching `filter` in flight to the consumer becomes due again, if after `now`. */
  nextDeadline(consumer: string, filter: EventFilter, now: Date): Promise<Date | undefined>;
  /** Marks events acked; unknown ids are ignored. Returns how many became acked. */
  ack(consumer: string, eventIds: string[], now: Date): Promise<number>;
}

/** Cross-replica wake-ups (Postgres LISTEN/NOTIFY): a new event was committed somewhere. */
export interface EventNotifier {
  /** Resolves once listening; returns the unsubscribe function. */
  subscribe(onEvent: () => void): Promise<() => void>;
}
