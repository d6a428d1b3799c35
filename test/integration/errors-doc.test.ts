/** docs/ERRORS.md must list every domain error code with the statuses the two tables really use. */
import { readFileSync } from "node:fs";
import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { GRPC_CODE } from "../../src/transport/grpc/status-map.js";
import { HTTP_STATUS } from "../../src/transport/http/status-map.js";

const doc = readFileSync(new URL("../../docs/ERRORS.md", import.meta.url), "utf8");
const rows = new Map(
  doc
    .split("\n")
    .filter((l) => /^\| `[A-Za-z]/.test(l))
    .map((l) => l.split("|").map((c) => c.trim().replace(/`/g, "")))
    .map((cells) => [cells[2]!, { grpc: cells[3]!, http: Number(cells[4]) }]),
);

describe("docs/ERRORS.md", () => {
  it("documents every domain error code with its gRPC and HTTP status", () => {
    for (const [code, grpc] of Object.entries(GRPC_CODE)) {
      const row = rows.get(code);
      expect(row, `docs/ERRORS.md lacks ${code}`).toBeDefined();
      expect(row!.grpc).toBe(status[grpc]);
      expect(row!.http).toBe(HTTP_STATUS[code as keyof typeof HTTP_STATUS]);
    }
    expect(rows.size).toBe(Object.keys(GRPC_CODE).length);
  });
});
