/**
 * Load generators take their spec as one argument: inline JSON, or `@<file>` for specs too large for
 * a command line (thousands of prebuilt requests exceed the kernel's per-argument limit).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export function readSpecArg<T>(arg: string | undefined): T {
  if (!arg) throw new Error("missing spec argument (JSON or @file)");
  return JSON.parse(arg.startsWith("@") ? readFileSync(arg.slice(1), "utf8") : arg) as T;
}

/** The argument to pass for `spec`: inline when small, else a temp file. */
export function specArg(spec: unknown): string {
  const json = JSON.stringify(spec);
  if (json.length < 64 * 1024) return json;
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "latchkey-spec-")), "spec.json");
  writeFileSync(file, json);
  return `@${file}`;
}
