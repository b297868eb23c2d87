/**
 * Summarizes a V8 .cpuprofile (as written by `node --cpu-prof`, e.g. through
 * `npm run bench:signaling -- --profile DIR`): the functions with the most self time, and the
 * most total (inclusive) time, so hot spots can be named without opening DevTools.
 *
 *   npx tsx bench/signaling/profile-summary.ts DIR/relay-1k-50p-parley-12345.cpuprofile [top=25]
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: npx tsx bench/signaling/profile-summary.ts FILE.cpuprofile [top]\n');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const label = (f: CallFrame) => {
  const where = f.url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '~/');
  const short = where.replace(/^.*\/(packages|bench)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${short ? `${short}:${f.lineNumber + 1}` : ''}`.trim();
};

// Self time: each sample's time goes to its leaf node; total time to the leaf and every ancestor
// (counted once per function per sample, so recursion is not double-counted).
const self = new Map<string, number>();
const total = new Map<string, number>();
let all = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  all += dt;
  let id: number | undefined = profile.samples[i]!;
  const leaf = byId.get(id)!;
  const l = label(leaf.callFrame);
  self.set(l, (self.get(l) ?? 0) + dt);
  const seen = new Set<string>();
  while (id !== undefined) {
    const lab = label(byId.get(id)!.callFrame);
    if (!seen.has(lab)) {
      seen.add(lab);
      total.set(lab, (total.get(lab) ?? 0) + dt);
    }
    id = parent.get(id);
  }
}

const print = (title: string, m: Map<string, number>) => {
  process.stdout.write(`${title} (of ${(all / 1000).toFixed(0)} ms sampled)\n`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(
      `${((100 * v) / all).toFixed(1).padStart(6)}%  ${(v / 1000).toFixed(1).padStart(8)} ms  ${k}\n`,
    );
  }
  process.stdout.write('\n');
};
print('self time', self);
print('total time', total);
