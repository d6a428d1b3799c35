import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadSecretsConfig } from "../config/secrets.js";
import { createLogger } from "../observability/logger.js";
import { startTransitServer } from "../../test/support/vault-transit-server.js";
import { createSecretStore } from "./create-secret-store.js";
import { rowContext } from "./secret-store.js";

const ctx = rowContext("credential", "u", "11111111-1111-1111-1111-111111111111");

function logger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, logger: createLogger({ destination }) };
}

describe("createSecretStore", () => {
  it("builds the local keyring when VAULT_ADDR is unset", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "lk-store-"));
    try {
      const { logger: log } = logger();
      const store = await createSecretStore(
        loadSecretsConfig({ LATCHKEY_KEYRING_FILE: path.join(dir, "k.json") }),
        log,
      );
      expect(store.engine).toBe("local-keyring");
      expect(String(await store.decrypt(await store.encrypt(Buffer.from("x"), ctx), ctx))).toBe("x");
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("builds Vault transit when VAULT_ADDR is set, and logs no token", async () => {
    const vault = await startTransitServer();
    try {
      const { lines, logger: log } = logger();
      const store = await createSecretStore(
        loadSecretsConfig({ VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.rootToken }),
        log,
      );
      expect(store.engine).toBe("vault-transit");
      expect(String(await store.decrypt(await store.encrypt(Buffer.from("y"), ctx), ctx))).toBe("y");
      await store.close();
      expect(lines.join("")).toContain("vault-transit");
      expect(lines.join("")).not.toContain(vault.rootToken);
    } finally {
      await vault.stop();
    }
  });
});
