#!/usr/bin/env node
// `npm run bench:start [-- RUNS]`: the server's start, compiled against the TypeScript sources,
// in one run on one machine. Each round starts both, in alternating order: the compiled server
// (`node packages/server/bin/parley-server.mjs`, what `npm start` and `parley-server` run) and
// the sources through tsx (`node --import tsx packages/server/src/main.ts`, what `npm start` ran
// before the build). Measured: time from spawn to the "listening" log line, and resident memory
// (VmRSS) 2 s after it, idle. Prints the medians as a Markdown table. Build first (`npm run build`).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const root = new URL('../..', import.meta.url).pathname;
const runs = Number(process.argv[2] ?? 5);
if (!existsSync(`${root}packages/server/dist/main.js`)) {
  console.error('bench:start: run `npm run build` first');
  process.exit(1);
}
const TARGETS = {
  compiled: ['packages/server/bin/parley-server.mjs'],
  'tsx (sources)': ['--import', 'tsx', 'packages/server/src/main.ts'],
};

const rssMiB = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) / 1024;
};

function once(args) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const env = { ...process.env, PARLEY_HOST: '127.0.0.1', PARLEY_PORT: '0', PARLEY_STUN_PORT: '0' };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => reject(new Error('no listening line in 60 s')), 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.includes('"msg":"listening"')) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      setTimeout(() => {
        const rss = rssMiB(child.pid);
        clearTimeout(timer);
        child.once('exit', () => resolve({ ms, rss }));
        child.kill('SIGTERM');
      }, 2000);
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const results = Object.fromEntries(Object.keys(TARGETS).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  const order = i % 2 === 0 ? Object.keys(TARGETS) : Object.keys(TARGETS).reverse();
  for (const name of order) results[name].push(await once(TARGETS[name]));
}
console.log(`| server start (${runs} runs, median) | time to listening | RSS 2 s after |`);
console.log('| --- | ---: | ---: |');
for (const [name, rs] of Object.entries(results)) {
  const ms = median(rs.map((r) => r.ms));
  const rss = median(rs.map((r) => r.rss));
  console.log(`| ${name} | ${ms.toFixed(0)} ms | ${rss.toFixed(1)} MiB |`);
}
