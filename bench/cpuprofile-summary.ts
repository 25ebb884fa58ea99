import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Where a process's CPU went, from a V8 `.cpuprofile` (`node --cpu-prof`, or `BENCH_NODE_ARGS='--cpu-prof
 * --cpu-prof-dir=…'` for the processes the bench starts): time per package or source file, self (in its own
 * code) and inclusive (it or anything it called), and the costliest functions. With `--per=<n>` (e.g. the 2xx
 * the process answered while profiled) every figure is also given in µs per unit.
 *
 *   npx tsx bench/cpuprofile-summary.ts <file.cpuprofile> [--per=<n>] [--top=<n>]
 */
const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.array(z.number()).optional(),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

/** A package under node_modules, a file of ours, a node internal module, or V8's own (GC, program, idle). */
function category(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  const ours = /\/((?:src|bench)\/.+)$/.exec(url);
  if (ours?.[1]) return ours[1];
  const internal = /^node:(?:internal\/)?([^/]+)/.exec(url);
  if (internal?.[1]) return `node:${internal[1].replace(/\.js$/, '')}`;
  return url;
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  process.stderr.write('usage: tsx bench/cpuprofile-summary.ts <file.cpuprofile> [--per=<n>] [--top=<n>]\n');
  process.exit(2);
}
const option = (name: string) =>
  Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? Number.NaN);
const per = option('per');
const top = Number.isFinite(option('top')) ? option('top') : 25;

const profile = profileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const functions = new Map<string, number>();
let total = 0;
let idle = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const node = byId.get(id);
  if (!node) return;
  if (node.callFrame.functionName === '(idle)') {
    idle += dt;
    return;
  }
  total += dt;
  const own = category(node.callFrame.url, node.callFrame.functionName);
  self.set(own, (self.get(own) ?? 0) + dt);
  const fn = `${node.callFrame.functionName || '(anonymous)'} ${own}:${node.callFrame.lineNumber + 1}`;
  functions.set(fn, (functions.get(fn) ?? 0) + dt);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at)?.callFrame;
    if (frame && frame.functionName !== '(root)') seen.add(category(frame.url, frame.functionName));
  }
  for (const c of seen) inclusive.set(c, (inclusive.get(c) ?? 0) + dt);
});

const ms = (us: number) => (us / 1000).toFixed(0).padStart(7);
const share = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
const unit = (us: number) => (Number.isFinite(per) ? `${(us / per).toFixed(1).padStart(7)} µs` : '');
const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${ms(us)} ms ${share(us)} ${unit(us)}  ${name}\n`);
  }
};
process.stdout.write(
  `busy ${ms(total)} ms, idle ${ms(idle)} ms${Number.isFinite(per) ? `; per unit (${per}): ${unit(total)} busy` : ''}\n`,
);
print('self time by package / file', self);
print('inclusive time by package / file (it or anything it called)', inclusive);
print('self time by function', functions);
