import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../../test/support/postgres.js";
import { createLocalKeyring } from "../secrets/local-keyring.js";
import { describeCiphertext, rowContext } from "../secrets/secret-store.js";
import { runRewrapCli } from "./rewrap.js";

let tdb: TestDb;
let dir: string;
beforeAll(async () => {
  tdb = await createTestDb();
  dir = await mkdtemp(path.join(tmpdir(), "lk-rewrap-cli-"));
});
afterAll(async () => {
  await tdb?.drop();
  await rm(dir, { recursive: true, force: true });
});

const silent = pino({ level: "silent" });

async function run(env: Record<string, string | undefined>, argv: string[] = []) {
  const lines: string[] = [];
  const code = await runRewrapCli({ env, argv, print: (l) => lines.push(l), logger: silent });
  return { code, lines };
}

describe("rewrap CLI", () => {
  it("rewraps the database named by DATABASE_URL with the configured keyring, printing progress", async () => {
    const file = path.join(dir, "keyring.json");
    const ring = await createLocalKeyring({ file });
    for (let i = 0; i < 3; i++) {
      const id = randomUUID();
      const ct = await ring.encrypt(Buffer.from(`k${i}`), rowContext("credential", "u", id));
      await tdb.sql`insert into credentials (id, user_id, provider, kind, secret_ciphertext)
                    values (${id}, 'u', 'stripe', 'api_key', ${ct})`;
    }
    await ring.rotate();
    const env = { DATABASE_URL: `${tdb.url}?search_path=${tdb.schema}`, LATCHKEY_KEYRING_FILE: file };
    const { code, lines } = await run(env, ["--batch-size", "2"]);
    expect(code).toBe(0);
    expect(lines).toContain("rewrap credentials: 2/3 rows (66%)");
    expect(lines).toContain("rewrap credentials: 3/3 rows (100%)");
    expect(lines.at(-1)).toBe("rewrap: done; every ciphertext is on key version 2");
    const rows = await tdb.sql<{ c: string }[]>`select secret_ciphertext as c from credentials`;
    expect(rows.every((r) => describeCiphertext(r.c)?.keyVersion === 2)).toBe(true);
  });

  it("exits 2 without DATABASE_URL or with a bad argument", async () => {
    expect(await run({})).toEqual({ code: 2, lines: ["rewrap: DATABASE_URL is required"] });
    expect((await run({ DATABASE_URL: "postgres://x" }, ["--batch-size", "zero"])).code).toBe(2);
  });

  it("exits 1 with a safe message when the secret store cannot start", async () => {
    const env = { DATABASE_URL: `${tdb.url}?search_path=${tdb.schema}`, VAULT_ADDR: "http://127.0.0.1:9", VAULT_TOKEN: "hvs.secret-token" };
    const { code, lines } = await run(env);
    expect(code).toBe(1);
    expect(lines.join("\n")).toMatch(/rewrap failed: vault unavailable/);
    expect(lines.join("\n")).not.toContain("hvs.secret-token");
  });
});
