/**
 * Webhook records in Postgres. Every user-facing query is scoped by user_id, so another user's
 * webhook reads exactly like a missing one.
 */
import type { NewWebhookRow, SecretRotation, WebhookRow, WebhooksRepo } from "../domain/webhooks/webhook.js";
import { createBatcher } from "../lib/batcher.js";
import { db, type Sql } from "./db.js";

interface Raw {
  id: string;
  user_id: string;
  provider: string;
  scheme: string;
  resource: string;
  events: string[];
  credential_id: string | null;
  registrar: string | null;
  provider_webhook_id: string;
  status: "active" | "disabled";
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: Date | null;
  version: string | number;
  created_at: Date;
  updated_at: Date;
}

function toRow(r: Raw): WebhookRow {
  return {
    id: r.id,
    userId: r.user_id,
    provider: r.provider,
    scheme: r.scheme,
    resource: r.resource,
    events: r.events,
    credentialId: r.credential_id,
    registrar: r.registrar,
    providerWebhookId: r.provider_webhook_id,
    status: r.status,
    secretCiphertext: r.secret_ciphertext,
    previousSecretCiphertext: r.previous_secret_ciphertext,
    previousSecretExpiresAt: r.previous_secret_expires_at,
    version: Number(r.version),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function createWebhooksRepo(sql: Sql): WebhooksRepo {
  const loadById = createBatcher<string, WebhookRow | undefined>(async (ids) => {
    const rows = await sql<Raw[]>`select * from webhooks where id = any(${ids}::uuid[])`;
    const byId = new Map(rows.map((r) => [String(r.id), toRow(r)]));
    return ids.map((id) => byId.get(id));
  });
  return {
    insert: (w: NewWebhookRow) =>
      db(async () => {
        const [r] = await sql<Raw[]>`
          insert into webhooks (id, user_id, provider, scheme, resource, events, credential_id, registrar,
                                provider_webhook_id, secret_ciphertext)
          values (${w.id}, ${w.userId}, ${w.provider}, ${w.scheme}, ${w.resource}, ${w.events}::text[], ${w.credentialId},
                  ${w.registrar}, ${w.providerWebhookId}, ${w.secretCiphertext})
          returning *`;
        return toRow(r!);
      }),

    get: (userId, id) =>
      db(async () => {
        const [r] = await sql<Raw[]>`select * from webhooks where id = ${id} and user_id = ${userId}`;
        return r ? toRow(r) : undefined;
      }),

    // Ingress looks a webhook up per delivery: concurrent lookups share one query.
    getById: (id) => db(() => loadById(id)),

    list: (userId, provider) =>
      db(async () => {
        const rows = provider
          ? await sql<Raw[]>`select * from webhooks where user_id = ${userId} and provider = ${provider} order by created_at desc, id desc`
          : await sql<Raw[]>`select * from webhooks where user_id = ${userId} order by created_at desc, id desc`;
        return rows.map(toRow);
      }),

    delete: (userId, id) =>
      db(async () => {
        const rows = await sql`delete from webhooks where id = ${id} and user_id = ${userId} returning id`;
        return rows.length > 0;
      }),

    rotateSecret: (userId, id, expectedVersion, rot: SecretRotation) =>
      db(async () => {
        const [r] = await sql<Raw[]>`
          update webhooks set secret_ciphertext = ${rot.secretCiphertext},
                              previous_secret_ciphertext = ${rot.previousSecretCiphertext},
                              previous_secret_expires_at = ${rot.previousSecretExpiresAt},
                              version = version + 1, updated_at = now()
          where id = ${id} and user_id = ${userId} and version = ${expectedVersion}
          returning *`;
        return r ? toRow(r) : undefined;
      }),
  };
}
