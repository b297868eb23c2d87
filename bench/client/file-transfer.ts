/**
 * File-transfer benchmark (not a test): two Chromium pages of one context, connected directly.
 * Alternates, round by round, (1) the raw maximum of one data channel sending 256 KiB messages
 * with two-watermark backpressure and (2) a full Parley file transfer (Blob read in slices,
 * SHA-256 on both ends, acks, progress) of the same size, plus chunk-size variants, so machine
 * noise hits every variant alike. Also measures our SHA-256 in Node and in the page.
 * Prints one JSON object. `runFileTransferBench` is also used by bench/client/run.ts.
 *
 *   npx tsx bench/client/file-transfer.ts [--size-mib 100] [--rounds 3] [--chunks 16,64,128,256]
 *     [--hash-wasm path/to/hash-wasm/dist/sha256.umd.min.js] [--hash-variants wasm,none]
 *     [--profile DIR]
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FILE_TRANSFER_DEFAULTS } from '../../packages/client/src/features/file-transfer.ts';
import { Sha256 } from '../../packages/client/src/features/sha256.ts';
import { connect, openPair, pollWith, startRig } from '../../test/e2e/sdk/file-transfer-pages.ts';

const MiB = 1024 * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function shaNode(): number {
  const buf = new Uint8Array(64 * MiB);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    const h = new Sha256();
    for (let o = 0; o < buf.length; o += 256 * 1024) h.update(buf.subarray(o, o + 256 * 1024));
    h.hex();
    runs.push(buf.length / 1e6 / ((performance.now() - t) / 1000));
  }
  return median(runs);
}

/** Options of {@link runFileTransferBench}. */
export interface FileTransferBenchOptions {
  sizeMiB: number;
  rounds: number;
  /** Chunk sizes of the Parley transfers, in KiB. */
  chunkKiBs: number[];
  /**
   * hash-wasm's `dist/sha256.umd.min.js`, to measure it in the page next to ours and WebCrypto
   * (issue 17's evaluation; hash-wasm is not a dependency: `npm pack hash-wasm` and point here).
   */
  hashWasmPath?: string;
  /**
   * Extra SDK transfers per round at the default chunk size, with another hash plugged in on
   * both pages through `fileTransfer.createHash`: `wasm` (hash-wasm; needs `hashWasmPath`) and
   * `none` (hashes nothing: what the SDK would reach if hashing were free). Diagnostics only.
   */
  hashVariants?: Array<'wasm' | 'none'>;
  /** Write a V8 CPU profile of both pages during the last round's default transfer into this directory. */
  profileDir?: string;
}

/**
 * Page code for {@link FileTransferBenchOptions.hashVariants}. hash-wasm's hashers are created
 * asynchronously, `createHash` is synchronous: a pool is filled before each transfer. A snapshot
 * (`clone`) keeps hash-wasm's saved state and takes a pooled hasher only if used (a resume; the
 * bench has none).
 */
const HASH_VARIANTS_PAGE = `
window.__benchHash = {
  pool: [],
  async fill(n) { while (this.pool.length < n) this.pool.push(await hashwasm.createSHA256()); },
  take() { const x = this.pool.pop(); if (!x) throw new Error('bench hash pool empty'); return x; },
  wasm() {
    const self = this;
    const wrap = (h) => ({
      update(b) { h.update(b); return this; },
      clone() {
        const saved = h.save();
        let c = null;
        const got = () => { if (!c) { const x = self.take(); x.load(saved); c = wrap(x); } return c; };
        return { update(b) { got().update(b); return this; }, clone() { return got().clone(); }, hex() { return got().hex(); } };
      },
      hex() { return h.digest('hex'); },
    });
    const x = this.take();
    x.init();
    return wrap(x);
  },
  none() { const o = { update() { return o; }, clone() { return o; }, hex() { return '0'.repeat(64); } }; return o; },
};`;

/** SHA-256 candidates in the page, MB/s (median of 3 over 64 MiB in 256 KiB slices). */
async function hashCandidates(page: import('playwright-core').Page, hashWasmPath?: string) {
  if (hashWasmPath) await page.addScriptTag({ path: hashWasmPath });
  // tsx compiles with keepNames: the local helpers below call a `__name` the page lacks.
  await page.evaluate('window.__name = (f) => f');
  return page.evaluate(async () => {
    const buf = new Uint8Array(64 * 1024 * 1024);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
    const slice = 256 * 1024;
    const med = async (run: () => Promise<void> | void) => {
      const xs: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t = performance.now();
        await run();
        xs.push(buf.length / 1e6 / ((performance.now() - t) / 1000));
      }
      xs.sort((a, b) => a - b);
      return Number(xs[1]!.toFixed(1));
    };
    const w = window as unknown as {
      parley: { Sha256: typeof Sha256 };
      hashwasm?: {
        createSHA256(): Promise<{ init(): unknown; update(b: Uint8Array): unknown; digest(): string }>;
      };
    };
    const out: Record<string, number | string> = {};
    out.sdkJavaScript = await med(() => {
      const h = new w.parley.Sha256();
      for (let o = 0; o < buf.length; o += slice) h.update(buf.subarray(o, o + slice));
      h.hex();
    });
    if (w.hashwasm) {
      const hasher = await w.hashwasm.createSHA256();
      out.hashWasm = await med(() => {
        hasher.init();
        for (let o = 0; o < buf.length; o += slice) hasher.update(buf.subarray(o, o + slice));
        hasher.digest();
      });
    } else out.hashWasm = 'not measured (no --hash-wasm path)';
    // Native, but not incremental: the whole message at once (the ceiling), or one digest per chunk
    // (what a hash list on the wire would cost).
    out.webCryptoWhole = await med(async () => {
      await crypto.subtle.digest('SHA-256', buf);
    });
    out.webCryptoPerChunk = await med(async () => {
      for (let o = 0; o < buf.length; o += slice)
        await crypto.subtle.digest('SHA-256', buf.subarray(o, o + slice));
    });
    return out;
  });
}

/**
 * Raw data channel vs Parley file transfer, alternating round by round in one browser; returns
 * the result document (medians in MiB/s and file/raw percentages).
 */
export async function runFileTransferBench({
  sizeMiB,
  rounds,
  chunkKiBs,
  hashWasmPath,
  hashVariants = [],
  profileDir,
}: FileTransferBenchOptions): Promise<Record<string, unknown>> {
  const size = sizeMiB * MiB;
  const rig = await startRig();
  const result: Record<string, unknown> = {
    sizeMiB: size / MiB,
    rounds,
    defaults: FILE_TRANSFER_DEFAULTS,
    sha256NodeMBps: Number(shaNode().toFixed(1)),
  };
  try {
    const pair = await openPair(rig);
    await connect(pair);
    await pair.b.evaluate(() => window.h.listenRaw());
    result.sha256ChromiumMBps = await hashCandidates(pair.a, hashWasmPath);
    if (hashVariants.length > 0) {
      if (hashVariants.includes('wasm') && !hashWasmPath)
        throw new Error('--hash-variants wasm needs --hash-wasm');
      if (hashWasmPath) await pair.b.addScriptTag({ path: hashWasmPath });
      for (const p of [pair.a, pair.b]) await p.evaluate(HASH_VARIANTS_PAGE);
    }
    const high = FILE_TRANSFER_DEFAULTS.highWaterBytes;
    const low = FILE_TRANSFER_DEFAULTS.lowWaterBytes;
    const samples: Record<string, number[]> = { raw256: [] };
    for (const c of chunkKiBs) samples[`file${c}`] = [];
    for (const v of hashVariants) samples[`file-${v}`] = [];
    let seed = 1;
    const load1: number[] = [];
    for (let r = 0; r < rounds; r++) {
      load1.push(Number(loadavg()[0]!.toFixed(2)));
      // Raw baseline.
      await pair.b.evaluate(() => {
        window.h.rawReceived = { bytes: 0, endAt: 0 };
      });
      const startAt = await pair.a.evaluate(
        ([n, h, l]) => window.h.rawSend(n!, 256 * 1024, h!, l!),
        [size, high, low],
      );
      const endAt = await pollWith(
        pair.b,
        (n) => window.h.rawReceived.bytes >= n && window.h.rawReceived.endAt,
        size,
        {
          timeoutMs: 120_000,
          intervalMs: 50,
        },
      );
      samples.raw256!.push(size / MiB / ((Number(endAt) - startAt) / 1000));
      // File transfers, one per chunk size (the SDK's own hash), then one per hash variant.
      const runs: Array<{ key: string; chunk: number; hash: string }> = [
        ...chunkKiBs.map((c) => ({ key: `file${c}`, chunk: c, hash: 'default' })),
        ...hashVariants.map((v) => ({
          key: `file-${v}`,
          chunk: FILE_TRANSFER_DEFAULTS.chunkBytes / 1024,
          hash: v,
        })),
      ];
      for (const run of runs) {
        for (const p of [pair.a, pair.b]) {
          await p.evaluate(
            async ([bytes, hash]) => {
              const o = (window.h.files as unknown as { options: Record<string, unknown> }).options;
              o.chunkBytes = bytes;
              const w = window as unknown as {
                __benchHash?: Record<string, unknown> & { fill(n: number): Promise<void> };
                __defaultHash?: unknown;
              };
              w.__defaultHash ??= o.createHash;
              if (hash === 'default') o.createHash = w.__defaultHash;
              else {
                if (hash === 'wasm') await w.__benchHash!.fill(2);
                o.createHash = () => (w.__benchHash![hash as string] as () => unknown).call(w.__benchHash);
              }
            },
            [run.chunk * 1024, run.hash] as const,
          );
        }
        const profiling = profileDir && r === rounds - 1 && run.key === runs[0]!.key;
        const cdp = profiling
          ? await Promise.all([pair.a, pair.b].map((p) => p.context().newCDPSession(p)))
          : [];
        for (const c of cdp) {
          await c.send('Profiler.enable');
          await c.send('Profiler.start');
        }
        const id = await pair.a.evaluate(([n, s]) => window.h.sendGenerated(n!, s!), [size, seed++]);
        await pollWith(pair.b, (k) => window.h.records[k]?.result, `receive:${id}`, {
          timeoutMs: 120_000,
          intervalMs: 50,
        });
        for (const [i, c] of cdp.entries()) {
          const { profile } = await c.send('Profiler.stop');
          await writeFile(
            join(profileDir!, `${i === 0 ? 'sender' : 'receiver'}.cpuprofile`),
            JSON.stringify(profile),
          );
          await c.detach();
        }
        const rec = await pair.b.evaluate((k) => window.h.records[k]!, `receive:${id}`);
        const sent = await pair.a.evaluate((k) => window.h.records[k]!, `send:${id}`);
        if (rec.result?.state !== 'completed')
          throw new Error(`transfer ${id} (${run.key}) ended ${JSON.stringify(rec.result)}`);
        samples[run.key]!.push(size / MiB / ((rec.endAt - sent.startAt) / 1000));
      }
    }
    const med: Record<string, number> = {};
    for (const [k, v] of Object.entries(samples)) med[k] = Number(median(v).toFixed(1));
    result.samplesMiBps = Object.fromEntries(
      Object.entries(samples).map(([k, v]) => [k, v.map((x) => Number(x.toFixed(1)))]),
    );
    result.medianMiBps = med;
    // Each round's own ratio (raw and file measured back to back), as the issue asks.
    const fileKeys = Object.keys(samples).filter((k) => k !== 'raw256');
    result.rounds = samples.raw256!.map((raw, r) => ({
      load1: load1[r],
      raw256: Number(raw.toFixed(1)),
      ...Object.fromEntries(fileKeys.map((k) => [k, Number(samples[k]![r]!.toFixed(1))])),
      ...Object.fromEntries(
        fileKeys.map((k) => [`${k}VsRawPct`, Number(((samples[k]![r]! / raw) * 100).toFixed(1))]),
      ),
    }));
    result.fileVsRawPct = Object.fromEntries(
      fileKeys.map((k) => [k, Number(((med[k]! / med.raw256!) * 100).toFixed(1))]),
    );
    await pair.close();
  } finally {
    await rig.close();
  }
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      'size-mib': { type: 'string', default: '100' },
      rounds: { type: 'string', default: '3' },
      chunks: { type: 'string', default: '16,64,128,256' },
      'hash-wasm': { type: 'string' },
      'hash-variants': { type: 'string' },
      profile: { type: 'string' },
    },
  });
  const result = await runFileTransferBench({
    sizeMiB: Number(values['size-mib']),
    rounds: Number(values.rounds),
    chunkKiBs: (values.chunks as string).split(',').map(Number),
    ...(values['hash-wasm'] ? { hashWasmPath: values['hash-wasm'] } : {}),
    ...(values.profile ? { profileDir: values.profile } : {}),
    ...(values['hash-variants']
      ? { hashVariants: values['hash-variants'].split(',') as Array<'wasm' | 'none'> }
      : {}),
  });
  console.log(JSON.stringify(result, null, 2));
}
