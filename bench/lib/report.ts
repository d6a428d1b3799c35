/** Renders a run's results: a plain-text table for the terminal and markdown for docs/BENCHMARKS.md. */
import type { MachineInfo } from "./machine.js";
import type { Comparison, Measurement, ScenarioResult } from "./scenario.js";

export interface RunResult {
  startedAt: string;
  command: string;
  durationS: number;
  machine: MachineInfo;
  scenarios: ScenarioResult[];
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const verdict = (c: Comparison) => (c.met === undefined ? "" : c.met ? "met" : "MISSED");
const targetText = (c: Comparison) =>
  [
    c.target?.throughputRatioAtLeast !== undefined ? `thr ≥ ${c.target.throughputRatioAtLeast}` : "",
    c.target?.p99RatioAtMost !== undefined ? `p99 ≤ ${c.target.p99RatioAtMost}x` : "",
  ]
    .filter(Boolean)
    .join(", ");

function row(m: Measurement): string[] {
  const errs = m.errors ? ` (${m.errors} errors: ${JSON.stringify(m.errorCodes ?? {})})` : "";
  return [m.label, m.rps ? String(m.rps) : "-", ms(m.latencyMs.p50), ms(m.latencyMs.p99), String(m.requests) + errs];
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ")).join("\n");
}

export function renderText(s: ScenarioResult): string {
  const out = [`== ${s.scenario}: ${s.title}${s.wallS ? ` (${s.wallS.toFixed(0)} s)` : ""}`];
  if (s.error) out.push(`   FAILED: ${s.error}`);
  for (const c of s.comparisons) {
    out.push(`-- ${c.name}`);
    out.push(
      pad([
        ["", "req/s", "p50 ms", "p99 ms", "calls"],
        ["baseline: " + c.baseline.label, ...row(c.baseline).slice(1)],
        ["subject:  " + c.subject.label, ...row(c.subject).slice(1)],
      ]),
    );
    out.push(
      `ratio: throughput ${c.ratio.throughput}, p50 ${c.ratio.p50}x, p99 ${c.ratio.p99}x` +
        (c.target ? `   target ${targetText(c)}: ${verdict(c)}` : ""),
    );
  }
  for (const [k, v] of Object.entries(s.facts)) out.push(`   ${k}: ${v}`);
  for (const n of s.notes) out.push(`   note: ${n}`);
  return out.join("\n");
}

export function renderMarkdown(run: RunResult): string {
  const m = run.machine;
  const out = [
    `Run ${run.startedAt} — \`${run.command}\` (${run.durationS} s per measurement)`,
    "",
    `Machine: ${m.cpuModel}, ${m.cpus} vCPU, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; PostgreSQL ${m.postgres}; ` +
      `load average at start ${m.loadAverageAtStart.join(" / ")}; generators: ${m.generators.grpc}, ${m.generators.http}.`,
    "",
  ];
  for (const s of run.scenarios) {
    out.push(`### ${s.scenario}: ${s.title}`, "");
    if (s.error) out.push(`**Failed:** ${s.error}`, "");
    if (s.comparisons.length) {
      out.push("| comparison | baseline | subject | req/s (base → subj) | p50 ms | p99 ms | throughput ratio | p99 ratio | target |");
      out.push("|---|---|---|---|---|---|---|---|---|");
      for (const c of s.comparisons) {
        const b = c.baseline;
        const j = c.subject;
        const errs = j.errors ? ` (${j.errors} errors)` : "";
        out.push(
          `| ${c.name} | ${b.label} | ${j.label}${errs} | ${b.rps || "-"} → ${j.rps || "-"} | ${ms(b.latencyMs.p50)} → ${ms(j.latencyMs.p50)} | ` +
            `${ms(b.latencyMs.p99)} → ${ms(j.latencyMs.p99)} | ${c.ratio.throughput || "-"} | ${c.ratio.p99}x | ${c.target ? `${targetText(c)}: **${verdict(c)}**` : ""} |`,
        );
      }
      out.push("");
    }
    for (const [k, v] of Object.entries(s.facts)) out.push(`- ${k}: ${v}`);
    for (const n of s.notes) out.push(`- ${n}`);
    out.push("");
  }
  return out.join("\n");
}
