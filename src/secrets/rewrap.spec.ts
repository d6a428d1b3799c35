/**
 * rewrapAll on real Postgres (a fresh migrated schema) with real credentials rows, through the
 * real local keyring and the Vault look-alike.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../../test/support/postgres.js";
import { startTransitServer } from "../../test/support/vault-transit-server.js";
import { createLocalKeyring, type LocalKeyring } from "./local-keyring.js";
import { rewrapAll, rewrapComplete } from "./rewrap.js";
import { describeCiphertext, rowContext, type SecretStore } from "./secret-store.js";
import { createVaultTransit } from "./vault-transit.js";

let tdb: TestDb;
let dir: string;
beforeAll(async () => {
  tdb = await createTestDb();
  dir = await mkdtemp(path.join(tmpdir(), "lk-rewrap-"));
});
afterAll(async () => {
  await tdb?.drop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await tdb.sql`delete from credentials`;
});

interface Seeded {
  id: string;
  userId: string;
  secret: string;
  refresh: string | null;
}

/** Inserts credentials the way the credentials repository stores them: ciphertext bound to the row. */
async function seed(store: SecretStore, n: number): Promise<Seeded[]> {
  const out: Seeded[] = [];
  for (let i = 0; i < n; i++) {
    const row = { id: randomUUID(), userId: `user-${i % 3}`, secret: `access-${i}`, refresh: i % 4 ? `refresh-${i}` : null };
    const ctx = rowContext("credential", row.userId, row.id);
    const secretCt = await store.encrypt(Buffer.from(row.secret), ctx);
    const refreshCt = row.refresh
      ? await store.encrypt(Buffer.from(row.refresh), rowContext("credential", row.userId, row.id, "refresh_token"))
      : null;
    await tdb.sql`
      insert into credentials (id, user_id, provider, kind, secret_ciphertext, refresh_token_ciphertext)
      values (${row.id}, ${row.userId}, 'github', 'oauth2', ${secretCt}, ${refreshCt})`;
    out.push(row);
  }
  return out;
}

async function stored() {
  return tdb.sql<{ id: string; user_id: string; secret_ciphertext: string; refresh_token_ciphertext: string | null }[]>`
    select id, user_id, secret_ciphertext, refresh_token_ciphertext from credentials order by id`;
}

async function versions(): Promise<number[]> {
  return (await stored()).flatMap((r) =>
    [r.secret_ciphertext, r.refresh_token_ciphertext].filter((c): c is string => !!c).map((c) => describeCiphertext(c)!.keyVersion),
  );
}

async function keyring(): Promise<LocalKeyring> {
  return createLocalKeyring({ file: path.join(dir, `${randomUUID()}.json`) });
}

describe("rewrapAll", () => {
  it("moves every credential ciphertext to the newest key version, reporting progress per batch", async () => {
    const store = await keyring();
    const rows = await seed(store, 25);
    await store.rotate();
    const lines: string[] = [];
    const result = await rewrapAll(tdb.sql, store, { batchSize: 10, onProgress: (p) => lines.push(p.line) });

    expect(lines).toEqual([
      "rewrap credentials: 10/25 rows (40%)",
      "rewrap credentials: 20/25 rows (80%)",
      "rewrap credentials: 25/25 rows (100%)",
    ]);
    expect(result.latestVersion).toBe(2);
    const creds = result.tables.find((t) => t.table === "credentials")!;
    expect(creds).toMatchObject({ scanned: 25, total: 25, changed: 0, foreign: 0, failed: [] });
    expect(creds.rewrapped).toBe(25 + rows.filter((r) => r.refresh).length);
    expect(rewrapComplete(result)).toBe(true);
    expect(new Set(await versions())).toEqual(new Set([2]));

    // Old versions can now be retired: everything still opens, bound to its own row.
    await store.setMinDecryptionVersion(2);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const r of await stored()) {
      const ctx = rowContext("credential", r.user_id, r.id);
      expect(String(await store.decrypt(r.secret_ciphertext, ctx))).toBe(byId.get(r.id)!.secret);
      if (r.refresh_token_ciphertext) {
        const refreshCtx = rowContext("credential", r.user_id, r.id, "refresh_token");
        expect(String(await store.decrypt(r.refresh_token_ciphertext, refreshCtx))).toBe(byId.get(r.id)!.refresh);
      }
    }
  });

  it("resumes: an interrupted run keeps its committed batches, a second run finishes only the rest", async () => {
    const store = await keyring();
    await seed(store, 12);
    await store.rotate();
    const abort = new AbortController();
    const first = await rewrapAll(tdb.sql, store, {
      batchSize: 5,
      signal: abort.signal,
      onProgress: () => abort.abort(),
    });
    expect(first.tables[0]).toMatchObject({ table: "credentials", scanned: 5 });
    const afterFirst = await stored();
    const done = afterFirst.slice(0, 5);
    expect(done.every((r) => describeCiphertext(r.secret_ciphertext)!.keyVersion === 2)).toBe(true);
    expect(afterFirst.slice(5).every((r) => describeCiphertext(r.secret_ciphertext)!.keyVersion === 1)).toBe(true);

    const second = await rewrapAll(tdb.sql, store, { batchSize: 5 });
    const creds = second.tables.find((t) => t.table === "credentials")!;
    const remaining = afterFirst
      .slice(5)
      .reduce((n, r) => n + 1 + (r.refresh_token_ciphertext ? 1 : 0), 0);
    expect(creds.rewrapped).toBe(remaining);
    const afterSecond = await stored();
    // Rows finished by the first run were not rewritten again.
    expect(afterSecond.slice(0, 5)).toEqual(done);
    expect(new Set(await versions())).toEqual(new Set([2]));
  });

  it("leaves a row a writer changed meanwhile with the writer's ciphertext", async () => {
    const store = await keyring();
    const [row] = await seed(store, 1);
    await store.rotate();
    const writerCt = await store.encrypt(Buffer.from("new-token"), rowContext("credential", row!.userId, row!.id));
    // The real keyring, with a concurrent writer stepping in between rewrap's read and its update.
    const racing: SecretStore = {
      ...store,
      async rewrapBatch(items) {
        await tdb.sql`update credentials set secret_ciphertext = ${writerCt} where id = ${row!.id}`;
        return store.rewrapBatch(items);
      },
    };
    const result = await rewrapAll(tdb.sql, racing);
    expect(result.tables[0]).toMatchObject({ changed: 1, rewrapped: 0 });
    expect((await stored())[0]!.secret_ciphertext).toBe(writerCt);
  });

  it("reports a ciphertext that does not open, and still moves the others", async () => {
    const store = await keyring();
    const rows = await seed(store, 3);
    const bad = rows[1]!;
    // Bound to another row: it can never open in this one.
    const moved = await store.encrypt(Buffer.from("x"), rowContext("credential", "someone-else", bad.id));
    await tdb.sql`update credentials set secret_ciphertext = ${moved}, refresh_token_ciphertext = null where id = ${bad.id}`;
    await store.rotate();
    const result = await rewrapAll(tdb.sql, store);
    const creds = result.tables.find((t) => t.table === "credentials")!;
    expect(creds.failed).toEqual([{ table: "credentials", id: bad.id, column: "secret_ciphertext" }]);
    expect(rewrapComplete(result)).toBe(false);
    const after = await stored();
    expect(after.filter((r) => r.id !== bad.id).every((r) => describeCiphertext(r.secret_ciphertext)!.keyVersion === 2)).toBe(
      true,
    );
  });

  it("with Vault transit, ciphertexts move through the rewrap endpoint (no decrypt)", async () => {
    const vault = await startTransitServer();
    const store = await createVaultTransit({ addr: vault.addr, token: vault.rootToken });
    try {
      await seed(store, 6);
      vault.rotate("latchkey");
      const result = await rewrapAll(tdb.sql, store, { batchSize: 4 });
      expect(result.latestVersion).toBe(2);
      expect(new Set(await versions())).toEqual(new Set([2]));
      const paths = vault.requests.map((r) => r.path);
      expect(paths.filter((p) => p === "/v1/transit/rewrap/latchkey")).toHaveLength(2);
      expect(paths).not.toContain("/v1/transit/decrypt/latchkey");
      vault.setMinDecryptionVersion("latchkey", 2);
      const [r] = await stored();
      await store.decrypt(r!.secret_ciphertext, rowContext("credential", r!.user_id, r!.id));
    } finally {
      await store.close();
      await vault.stop();
    }
  });
});
