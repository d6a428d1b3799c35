import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { renderProvidersDoc } from "./docs.js";

describe("docs/PROVIDERS.md", () => {
  it("is in step with the registry (regenerate with `npx tsx src/providers/docs.ts`)", async () => {
    const onDisk = await readFile(new URL("../../docs/PROVIDERS.md", import.meta.url), "utf8");
    expect(onDisk).toBe(renderProvidersDoc());
  });
});
