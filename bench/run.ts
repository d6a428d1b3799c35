/**
 * `npm run bench [-- scenario...] [--duration S] [--warmup S] [--quick] [--node-loaders] [--profile] [--doc]`
 *
 * Runs each bench/<name>.bench.ts in turn (all, or the ones named), prints each scenario's
 * measurements beside its same-run baseline with their ratio, and writes bench/results/<time>.json
 * and bench/results/latest.{json,md}. --doc also replaces the results section of docs/BENCHMARKS.md.
 * Servers and load generators run as child processes; this process only orchestrates.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { BENCH_DIR, RESULTS_DIR } from "./lib/child.js";
import { DEFAULT_DATABASE_URL, postgresVersion } from "./lib/bench-db.js";
import { machineInfo } from "./lib/machine.js";
import { renderMarkdown, renderText, type RunResult } from "./lib/report.js";
import type { Scenario, ScenarioResult } from "./lib/scenario.js";

const DOC = path.join(path.dirname(BENCH_DIR), "docs", "BENCHMARKS.md");
const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

function parseArgs(argv: string[]) {
  const names: string[] = [];
  const flags = new Set<string>();
  let durationS = 5;
  let warmupS = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--duration") durationS = Number(argv[++i]);
    else if (a === "--warmup") warmupS = Number(argv[++i]);
    else if (a.startsWith("--")) flags.add(a.slice(2));
    else names.push(a.replace(/\.bench\.ts$/, ""));
  }
  // Forces the Node load generators even when h2load/wrk are installed (lib/load.ts).
  if (flags.has("node-loaders")) process.env.BENCH_LOADER = "node";
  // CPU profiles of every Latchkey replica into bench/results/profiles/ (lib/latchkey.ts).
  if (flags.has("profile")) process.env.BENCH_PROFILE = "1";
  if (!(durationS > 0) || !(warmupS >= 0)) throw new Error("--duration must be > 0 and --warmup >= 0 (seconds)");
  return { names, flags, durationS, warmupS };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const available = (await readdir(BENCH_DIR)).filter((f) => f.endsWith(".bench.ts")).map((f) => f.slice(0, -".bench.ts".length)).sort();
  const unknown = args.names.filter((n) => !available.includes(n));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(", ")}; available: ${available.join(", ")}`);
  const selected = args.names.length ? args.names : available;

  const run: RunResult = {
    startedAt: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    durationS: args.durationS,
    machine: machineInfo(await postgresVersion(databaseUrl)),
    scenarios: [],
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  process.stdout.write(`latchkey bench: ${selected.join(", ")} (${args.durationS} s per measurement)\n\n`);

  for (const name of selected) {
    const mod = (await import(pathToFileURL(path.join(BENCH_DIR, `${name}.bench.ts`)).href)) as { default: Scenario };
    const scenario = mod.default;
    const started = performance.now();
    let result: ScenarioResult;
    try {
      const r = await scenario.run({
        durationS: args.durationS,
        warmupS: args.warmupS,
        databaseUrl,
        flags: args.flags,
        log: (m) => process.stdout.write(`   [${name}] ${m}\n`),
      });
      result = { scenario: name, title: scenario.title, ...r };
    } catch (err) {
      result = { scenario: name, title: scenario.title, comparisons: [], facts: {}, notes: [], error: err instanceof Error ? err.message : String(err) };
      process.stderr.write(`${name} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    }
    result.wallS = (performance.now() - started) / 1000;
    run.scenarios.push(result);
    process.stdout.write(renderText(result) + "\n\n");
  }

  const stamp = run.startedAt.replace(/[:.]/g, "-");
  const json = JSON.stringify(run, null, 2);
  const md = renderMarkdown(run);
  await writeFile(path.join(RESULTS_DIR, `${stamp}.json`), json);
  await writeFile(path.join(RESULTS_DIR, "latest.json"), json);
  await writeFile(path.join(RESULTS_DIR, "latest.md"), md);
  process.stdout.write(`results: bench/results/${stamp}.json, bench/results/latest.md\n`);
  if (args.flags.has("doc")) {
    const doc = await readFile(DOC, "utf8");
    const a = doc.indexOf(START);
    const b = doc.indexOf(END);
    if (a < 0 || b < a) throw new Error(`docs/BENCHMARKS.md lacks the ${START} … ${END} markers`);
    await writeFile(DOC, doc.slice(0, a + START.length) + "\n" + md + "\n" + doc.slice(b));
    process.stdout.write("docs/BENCHMARKS.md results section updated\n");
  }
  if (run.scenarios.some((s) => s.error)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
