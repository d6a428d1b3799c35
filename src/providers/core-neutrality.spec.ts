/**
 * Core code never branches on a provider's name: quirks are provider data. This greps the core
 * folders for every registered provider name as a string literal.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createProviderRegistry } from "./registry.js";

const SRC = fileURLToPath(new URL("..", import.meta.url));
const CORE = ["domain", "api", "transport", "storage"];

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else if (/\.(ts|sql)$/.test(e.name) && !e.name.endsWith(".spec.ts")) out.push(p);
  }
  return out;
}

describe("core code", () => {
  it("never names a provider in a string literal", async () => {
    const names = createProviderRegistry({ env: {} })
      .list()
      .map((p) => p.name)
      // "http" is also a protocol name transports legitimately spell out.
      .filter((n) => n !== "http");
    const offenders: string[] = [];
    for (const dir of CORE) {
      for (const file of await files(path.join(SRC, dir))) {
        const text = await readFile(file, "utf8");
        for (const name of names) {
          if (new RegExp(`["'\`]${name}["'\`]`).test(text)) offenders.push(`${path.relative(SRC, file)}: "${name}"`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
