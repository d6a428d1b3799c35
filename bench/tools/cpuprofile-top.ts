/**
 * `npx tsx bench/tools/cpuprofile-top.ts <file.cpuprofile> [N]`: where a replica's CPU went, by
 * self time per function and per package/area (node internals, grpc-js, postgres, pino, latchkey
 * src/...). Reads the V8 profiles `npm run bench -- <scenario> --profile` writes. Only seconds in
 * which the process was busy (< 50% idle) count, so startup and waits between runs do not dilute
 * the load phases.
 */
import { readFile } from "node:fs/promises";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

function area(url: string): string {
  if (!url) return "(native/gc/idle)";
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const src = /\/work\/main\/(src\/[^/]+(?:\/[^/]+)?)/.exec(url) ?? /\/(src\/.+|bench\/.+)$/.exec(url);
  if (src) return src[1]!.replace(/\/[^/]+\.ts$/, "");
  if (url.startsWith("node:")) return url;
  return url;
}

const [file, n = "25"] = process.argv.slice(2);
if (!file) throw new Error("usage: cpuprofile-top.ts <file.cpuprofile> [N]");
const p = JSON.parse(await readFile(file, "utf8")) as Profile;
const byId = new Map(p.nodes.map((x) => [x.id, x]));
const idleIds = new Set(p.nodes.filter((x) => x.callFrame.functionName === "(idle)").map((x) => x.id));
// Per-second buckets: which seconds were busy.
const bucketOf: number[] = [];
const busy = new Map<number, { idle: number; all: number }>();
let clock = 0;
for (let i = 0; i < p.samples.length; i++) {
  clock += p.timeDeltas[i] ?? 0;
  const b = Math.floor(clock / 1e6);
  bucketOf.push(b);
  const e = busy.get(b) ?? { idle: 0, all: 0 };
  e.all += p.timeDeltas[i] ?? 0;
  if (idleIds.has(p.samples[i]!)) e.idle += p.timeDeltas[i] ?? 0;
  busy.set(b, e);
}
const self = new Map<number, number>();
let total = 0;
let busySeconds = 0;
for (const e of busy.values()) if (e.idle < e.all / 2) busySeconds++;
for (let i = 0; i < p.samples.length; i++) {
  const e = busy.get(bucketOf[i]!)!;
  if (e.idle >= e.all / 2) continue;
  const dt = p.timeDeltas[i] ?? 0;
  self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt);
  total += dt;
}
const fn = new Map<string, number>();
const areas = new Map<string, number>();
for (const [id, t] of self) {
  const cf = byId.get(id)!.callFrame;
  const key = `${cf.functionName || "(anonymous)"} ${cf.url.replace(/^.*\/(node_modules|work\/main)\//, "")}:${cf.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + t);
  const a = cf.functionName === "(idle)" ? "(idle)" : cf.functionName === "(garbage collector)" ? "(gc)" : area(cf.url);
  areas.set(a, (areas.get(a) ?? 0) + t);
}
const pct = (t: number) => ((100 * t) / total).toFixed(1).padStart(5) + "%";
const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);
process.stdout.write(`${busySeconds} busy seconds, ${(total / 1e6).toFixed(1)} s sampled in them\n\nby area:\n`);
for (const [k, t] of top(areas, 20)) process.stdout.write(`${pct(t)}  ${k}\n`);
process.stdout.write(`\nby function (self):\n`);
for (const [k, t] of top(fn, Number(n))) process.stdout.write(`${pct(t)}  ${k}\n`);
