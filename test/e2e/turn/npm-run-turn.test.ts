// @needs chromium, coturn
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { mintTurnCredentials } from '../../../packages/server/src/turn/credentials.ts';
import {
  launchChromium,
  pollPage,
  removeDir,
  type StaticServer,
  serveStatic,
  writePage,
} from '../../helpers/browser.ts';
import { readReceiverStats, startRelayCall } from '../../helpers/coturn.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '0.0.0.0', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  output: string;
  exit: Promise<number | null>;
}

/** Runs `npm run turn` (the script itself, with tsx) and resolves once it printed the exports. */
async function runTurnScript(dir: string, secret: string): Promise<Started> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeTcpPort();
    const relayMin = 20_000 + Math.floor(Math.random() * 11_000);
    const env = { ...process.env };
    delete env.PARLEY_TURN_SECRET;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'scripts/turn.ts'),
        '--port',
        String(port),
        '--relay-ports',
        `${relayMin}-${relayMin + 20}`,
        '--dir',
        dir,
        '--secret',
        secret,
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const started: Started = {
      child,
      output: '',
      exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    };
    child.stdout!.on('data', (d: Buffer) => {
      started.output += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      started.output += d.toString();
    });
    const ready = await Promise.race([
      (async () => {
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline && !started.output.includes('Ctrl-C stops coturn')) {
          await new Promise((r) => setTimeout(r, 50));
        }
        return started.output.includes('Ctrl-C stops coturn');
      })(),
      started.exit.then(() => false),
    ]);
    if (ready) return started;
    child.kill('SIGTERM');
    await started.exit;
    if (!/in use/.test(started.output)) throw new Error(`npm run turn failed:\n${started.output}`);
  }
  throw new Error('npm run turn: no free port after 3 attempts');
}

// `npm run turn` end to end: the printed variables are exactly what a relay-only call needs,
// and Ctrl-C stops coturn.
describe('npm run turn (scripts/turn.ts)', () => {
  let dir: string;
  let site: StaticServer;
  let browser: Browser;
  let turn: Started | undefined;
  const secret = 'npm-run-turn-e2e-secret';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-npm-turn-'));
    writePage(dir, 'index.html', '<!doctype html><title>npm run turn</title>');
    [site, browser] = await Promise.all([serveStatic(dir), launchChromium()]);
    turn = await runTurnScript(join(dir, 'state'), secret);
  });
  after(async () => {
    if (turn && turn.child.exitCode === null) {
      turn.child.kill('SIGTERM');
      await turn.exit;
    }
    await browser?.close();
    await site?.close();
    if (dir) removeDir(dir);
  });

  it('prints the exports, keeps the secret out of the command line, and relays a call', async () => {
    const out = turn!.output;
    const urls = /export PARLEY_TURN_URLS='([^']+)'/.exec(out)?.[1];
    assert.equal(/export PARLEY_TURN_SECRET='([^']+)'/.exec(out)?.[1], secret);
    assert.ok(urls, out);
    const conf = join(dir, 'state', 'turnserver.conf');
    assert.equal(statSync(conf).mode & 0o777, 0o600);
    assert.match(readFileSync(conf, 'utf8'), /^static-auth-secret=npm-run-turn-e2e-secret$/m);
    const coturnPid = Number(/pid (\d+)/.exec(out)?.[1]);
    assert.ok(!readFileSync(`/proc/${coturnPid}/cmdline`, 'utf8').includes(secret), 'secret visible in ps');

    const page = await browser.newPage();
    try {
      await page.goto(`${site.url}/index.html`);
      const udp = urls.split(',').find((u) => u.endsWith('transport=udp'))!;
      const { username, credential } = mintTurnCredentials(secret, 'dev', 300);
      await page.evaluate(startRelayCall, { urls: udp, username, credential });
      const stats = await pollPage(page, readReceiverStats, { what: 'frames decoded through npm run turn' });
      assert.equal(stats?.localType, 'relay');
    } finally {
      await page.close();
    }
  });

  it('stops coturn on Ctrl-C (SIGINT) and exits 0', async () => {
    const coturnPid = Number(/pid (\d+)/.exec(turn!.output)?.[1]);
    turn!.child.kill('SIGINT');
    assert.equal(await turn!.exit, 0);
    assert.throws(() => process.kill(coturnPid, 0), { code: 'ESRCH' });
  });
});
