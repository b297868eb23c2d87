// @needs openssl
/**
 * `npm start -- --https` (main.ts): a self-signed certificate for localhost and the LAN
 * addresses (cached in `.parley/tls/`), HTTPS and WSS, and the addresses to open printed as
 * plain lines (LAN first) beside the JSON log. Unknown flags exit 2 with a usage line.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import type { X509Certificate } from 'node:crypto';
import { get } from 'node:https';
import { after, describe, it } from 'node:test';
import { lanIPv4Addresses } from '../../../../packages/server/src/tls/self-signed.ts';

const ROOT = new URL('../../../..', import.meta.url).pathname;
const MAIN = 'packages/server/src/main.ts';

function run(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, PARLEY_LOG_LEVEL: 'info', PARLEY_PORT: '0', PARLEY_STUN_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects output until `done(stdout, stderr)` is true, or fails after `timeoutMs`. */
function outputUntil(child: ChildProcess, done: (out: string, err: string) => boolean, timeoutMs = 30_000) {
  return new Promise<{ out: string; err: string }>((resolve, reject) => {
    let out = '';
    let err = '';
    const check = () => {
      if (done(out, err)) {
        clearTimeout(t);
        resolve({ out, err });
      }
    };
    const t = setTimeout(() => reject(new Error(`timed out; stdout: ${out}\nstderr: ${err}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      check();
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      check();
    });
    child.once('exit', () => {
      clearTimeout(t);
      resolve({ out, err });
    });
  });
}

describe('npm start -- --https', () => {
  const children: ChildProcess[] = [];
  after(async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await exited;
      }
    }
  });

  it('serves HTTPS with a certificate for localhost and the LAN, and prints the URLs to open, LAN first', async () => {
    const child = run(['--https'], { PARLEY_HOST: '0.0.0.0', PARLEY_DRAIN_MS: '100' });
    children.push(child);
    const { out, err } = await outputUntil(
      child,
      (o, e) => e.includes('browsers ask once') && o.includes('"msg":"listening"'),
    );
    const listening = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; url?: string; ws?: string; port?: number })
      .find((l) => l.msg === 'listening');
    assert.ok(listening, out);
    assert.match(listening.url ?? '', /^https:\/\//);
    assert.match(listening.ws ?? '', /^wss:\/\//);
    const port = listening.port!;
    const urls = err
      .split('\n')
      .filter((l) => l.startsWith('parley: open '))
      .map((l) => l.slice('parley: open '.length));
    const lan = lanIPv4Addresses();
    const expected = [...lan.map((a) => `https://${a}:${port}/`), `https://localhost:${port}/`];
    assert.deepEqual(urls.slice(0, expected.length), expected, err);

    // The certificate served covers localhost and every LAN address.
    const cert = await new Promise<X509Certificate>((resolve, reject) => {
      const req = get(`https://127.0.0.1:${port}/healthz`, { rejectUnauthorized: false }, (res) => {
        const peer = res.socket as unknown as { getPeerX509Certificate(): X509Certificate };
        resolve(peer.getPeerX509Certificate());
        res.resume();
      });
      req.on('error', reject);
    });
    for (const host of ['localhost', ...lan]) assert.equal(cert.checkHost(host) ?? cert.checkIP(host), host);
  });

  it('exits 2 with a usage line on an unknown flag', async () => {
    const child = run(['--htps'], {});
    children.push(child);
    const { err } = await outputUntil(child, () => false);
    assert.equal(child.exitCode, 2);
    assert.match(err, /usage: npm start/);
  });
});
