// @needs chromium
/**
 * The packages as someone outside the repository gets them: build, `npm pack` each package,
 * install the tarballs into an empty project with dev dependencies left out (offline, from the
 * local npm cache: offline-install.ts), and there
 * - run `parley --version` and `parley-server --version`, and start `parley-server` from the
 *   installed package (no tsx or TypeScript in that tree);
 * - type-check a small TypeScript app against @parley/client's published types (and see a type
 *   error caught), bundle it for the browser with esbuild, and place a call between two Chromium
 *   pages with it, proven by frames decoded (getStats);
 * - send a file from one installed `parley` to another.
 * Then `npm start` in the repository: the server it runs has no TypeScript loader.
 * Slow (a full build, then an install): one file, run in the e2e suite.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newMediaContext, removeDir, tracePage } from '../../helpers/browser.ts';
import { installOffline, type Packed } from './offline-install.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;
const PACKAGES = ['protocol', 'client', 'server', 'cli'];
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'packages/server/package.json'), 'utf8')) as { version: string }
).version;

/** The environment of a child: no loader or flags inherited from the test runner. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

/** A child whose stdout is JSON lines; `line(pred)` resolves with the first that matches. */
function jsonChild(cmd: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      lines.push({ text: l });
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const line = (pred: (l: Record<string, unknown>) => boolean, what: string, timeoutMs = 30_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = lines.find(pred);
        if (found) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${what}: not seen in ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { child, lines, line, exited, stderr: () => stderr };
}

const APP = `import { type Call, connect } from '@parley/client';

const client = await connect(\`\${location.origin.replace(/^http/, 'ws')}/ws\`, { name: location.hash.slice(1) });
let current: Call | undefined;
client.on('incoming', (call) => {
  current = call;
  void call.accept();
});
async function framesDecoded(): Promise<number> {
  const pc = current?.peer?.pc;
  if (!pc) return 0;
  let frames = 0;
  (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
  });
  return frames;
}
async function dial(to: string): Promise<void> {
  current = await client.call(to);
}
Object.assign(window, { app: { dial, framesDecoded } });
`;

describe('packaging › the packed packages installed without dev dependencies', () => {
  let dir: string;
  let server: ReturnType<typeof jsonChild>;
  let serverUrl: string;
  let browser: Browser | undefined;
  const children: ChildProcess[] = [];

  before(
    async () => {
      execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
      dir = mkdtempSync(join(tmpdir(), 'parley-installed-'));
      mkdirSync(join(dir, 'tarballs'));
      execFileSync(
        'npm',
        [
          'pack',
          '--pack-destination',
          join(dir, 'tarballs'),
          '--loglevel=error',
          ...PACKAGES.flatMap((p) => ['-w', `@parley/${p}`]),
        ],
        { cwd: ROOT, stdio: 'pipe' },
      );
      const packed: Packed[] = PACKAGES.map((p) => ({
        name: `@parley/${p}`,
        tarball: `tarballs/parley-${p}-${VERSION}.tgz`,
        folder: `packages/${p}`,
      }));
      installOffline(dir, ROOT, packed);

      // The app: written, type-checked and bundled in the test below; served by the installed server.
      mkdirSync(join(dir, 'app'));
      mkdirSync(join(dir, 'web'));
      writeFileSync(join(dir, 'app', 'app.ts'), APP);
      writeFileSync(
        join(dir, 'web', 'index.html'),
        '<!doctype html><meta charset="utf-8"><title>app</title><script type="module" src="/app.js"></script>',
      );
      server = jsonChild(process.execPath, [join(dir, 'node_modules/@parley/server/bin/parley-server.mjs')], {
        cwd: dir,
        env: cleanEnv({
          PARLEY_HOST: '127.0.0.1',
          PARLEY_PORT: '0',
          PARLEY_STUN_PORT: '0',
          PARLEY_LOG_LEVEL: 'info',
          PARLEY_WEB_DIR: join(dir, 'web'),
        }),
      });
      children.push(server.child);
      const listening = await server.line((l) => l.msg === 'listening', 'parley-server listening');
      serverUrl = String(listening.url);
    },
    { timeout: 600_000 },
  );
  after(async () => {
    await browser?.close();
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (dir) removeDir(dir);
  });

  it('installs no dev dependency; both commands print the packed version; /healthz reports it', async () => {
    const installed = readdirSync(join(dir, 'node_modules'));
    for (const dev of ['tsx', 'typescript', 'esbuild', 'vite']) assert.ok(!installed.includes(dev), dev);
    const bin = (name: string) =>
      execFileSync(join(dir, 'node_modules/.bin', name), ['--version'], { env: cleanEnv() }).toString();
    assert.match(bin('parley'), new RegExp(`^parley ${VERSION.replaceAll('.', '\\.')} `));
    assert.match(bin('parley-server'), new RegExp(`^parley-server ${VERSION.replaceAll('.', '\\.')} `));
    const health = (await (await fetch(`${serverUrl}/healthz`)).json()) as {
      status: string;
      version: string;
    };
    assert.deepEqual([health.status, health.version], ['ok', VERSION]);
    // The server runs the package's compiled files: its web app is packed in.
    assert.ok(existsSync(join(dir, 'node_modules/@parley/server/web/index.html')));
    assert.ok(!existsSync(join(dir, 'node_modules/@parley/server/src')));
  });

  it("a TypeScript app type-checks against @parley/client's types, which catch a misuse", () => {
    // One tsc run over the app and a misuse of the API: the app has no error, the misuse has one.
    writeFileSync(
      join(dir, 'app', 'misuse.ts'),
      "import { connect } from '@parley/client';\nconst n: number = (await connect('ws://x/ws', { name: 'a' })).state;\nexport { n };\n",
    );
    writeFileSync(
      join(dir, 'app', 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          types: [],
          strict: true,
          // The packages' own .d.ts files are not re-checked (zod's are large); the app's use of
          // them is, and the misuse below proves the types resolved.
          skipLibCheck: true,
          noEmit: true,
        },
        files: ['app.ts', 'misuse.ts'],
      }),
    );
    let out = '';
    try {
      execFileSync(
        process.execPath,
        [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'app')],
        {
          stdio: 'pipe',
        },
      );
    } catch (err) {
      out = String((err as { stdout?: Buffer }).stdout);
    }
    const errors = out.split('\n').filter((l) => /error TS\d+/.test(l));
    assert.equal(errors.length, 1, out);
    assert.match(errors[0]!, /misuse\.ts\(2,7\): error TS2322/);
  });

  it('bundled for the browser, the app places a call between two Chromium pages (frames decoded)', async () => {
    const result = await build({
      entryPoints: [join(dir, 'app', 'app.ts')],
      absWorkingDir: join(dir, 'app'),
      bundle: true,
      format: 'esm',
      target: 'es2022',
      outfile: join(dir, 'web', 'app.js'),
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(
      inputs.some((f) => f.includes('node_modules/@parley/client/dist/')),
      'the bundle takes the packed build',
    );
    assert.ok(!inputs.some((f) => f.endsWith('.ts') && !f.endsWith('app.ts')), inputs.join(', '));

    browser = await launchChromium();
    const context = await newMediaContext(browser, serverUrl);
    const pages: Page[] = [];
    for (const name of ['ada', 'bob']) {
      const p = await context.newPage();
      tracePage(p, name);
      await p.goto(`${serverUrl}/#${name}`);
      await p.waitForFunction(() => 'app' in window, undefined, { timeout: 20_000 });
      pages.push(p);
    }
    const [a, b] = pages as [Page, Page];
    await a.evaluate(() =>
      (window as unknown as { app: { dial(n: string): Promise<void> } }).app.dial('bob'),
    );
    for (const p of [a, b]) {
      await p.waitForFunction(
        async () =>
          (await (window as unknown as { app: { framesDecoded(): Promise<number> } }).app.framesDecoded()) >
          5,
        undefined,
        { timeout: 30_000, polling: 500 },
      );
    }
    await context.close();
  });

  it('one installed parley sends a file to another', async () => {
    const out = join(dir, 'received');
    const file = join(dir, 'note.txt');
    writeFileSync(file, `hello from an installed parley ${VERSION}\n`);
    const parley = (args: string[]) => {
      const c = jsonChild(
        process.execPath,
        [join(dir, 'node_modules/@parley/cli/bin/parley.mjs'), ...args, '--server', serverUrl, '--json'],
        { cwd: dir, env: cleanEnv() },
      );
      children.push(c.child);
      return c;
    };
    const receiver = parley(['receive', '--name', 'rx', '--dir', out, '--yes', '--count', '1']);
    await receiver.line((e) => e.type === 'status' && e.event === 'ready', 'receiver ready');
    const sender = parley(['send', file, '--to', 'rx', '--verbose']);
    const exit = async (c: typeof sender, what: string) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`${what} still running`), 60_000);
      });
      try {
        return await Promise.race([c.exited, late]);
      } finally {
        clearTimeout(timer);
      }
    };
    const diagnose = () =>
      JSON.stringify({ sender: sender.lines, stderr: sender.stderr(), receiver: receiver.lines });
    assert.equal(await exit(sender, 'sender'), 0, diagnose());
    assert.equal(await exit(receiver, 'receiver'), 0, diagnose());
    assert.equal(readFileSync(join(out, 'note.txt'), 'utf8'), readFileSync(file, 'utf8'));
  });

  it('npm start runs the compiled server with plain node: no TypeScript loader', async () => {
    const start = jsonChild(process.execPath, ['scripts/start.mjs'], {
      cwd: ROOT,
      env: cleanEnv({
        PARLEY_HOST: '127.0.0.1',
        PARLEY_PORT: '0',
        PARLEY_STUN_PORT: '0',
        PARLEY_LOG_LEVEL: 'info',
      }),
    });
    children.push(start.child);
    await start.line((l) => l.msg === 'listening', 'npm start listening', 60_000);
    const ps = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(start.child.pid)])
      .toString()
      .trim();
    const [pid, ...args] = ps.split(/\s+/);
    assert.deepEqual(args, [process.execPath, 'packages/server/bin/parley-server.mjs']);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.ok(
      !environ.some((v) => v.startsWith('NODE_OPTIONS=') && /tsx|loader|import/.test(v)),
      'NODE_OPTIONS',
    );
    process.kill(Number(pid), 'SIGTERM');
    assert.equal(await start.exited, 0);
  });
});
