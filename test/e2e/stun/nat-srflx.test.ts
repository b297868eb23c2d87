// @needs chromium, iptables
/**
 * A browser behind a NAT learns its public address from Parley's built-in STUN server. Three
 * network namespaces: the browser's (192.168.77.2, a home network), a router that masquerades
 * (iptables MASQUERADE out of 198.51.100.1) and the server's (198.51.100.2), where Parley runs
 * with its defaults (STUN on UDP 3478). Chromium, started inside the browser's namespace, takes
 * the ICE servers from GET /ice and must gather a server-reflexive candidate with the router's
 * public address. Needs root (namespaces); skipped otherwise.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { CHROMIUM_PATH, launchChromium } from '../../helpers/browser.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;
const tag = (process.pid % 100_000).toString(36);
const NS = { client: `pc${tag}`, router: `pr${tag}`, server: `ps${tag}` };
const SERVER_IP = '198.51.100.2';
const ROUTER_PUBLIC_IP = '198.51.100.1';
const HTTP_PORT = 8080;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
const inNs = (ns: string, cmd: string, ...args: string[]) =>
  execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: 'pipe' });

function canUseNamespaces(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    ip('netns', 'list');
    return true;
  } catch {
    return false;
  }
}

function buildNetwork(): void {
  for (const ns of Object.values(NS)) ip('netns', 'add', ns);
  ip('link', 'add', `c${tag}`, 'type', 'veth', 'peer', 'name', `rc${tag}`);
  ip('link', 'add', `rs${tag}`, 'type', 'veth', 'peer', 'name', `s${tag}`);
  ip('link', 'set', `c${tag}`, 'netns', NS.client);
  ip('link', 'set', `rc${tag}`, 'netns', NS.router);
  ip('link', 'set', `rs${tag}`, 'netns', NS.router);
  ip('link', 'set', `s${tag}`, 'netns', NS.server);
  const up = (ns: string, dev: string, addr: string) => {
    ip('-n', ns, 'addr', 'add', addr, 'dev', dev);
    ip('-n', ns, 'link', 'set', dev, 'up');
  };
  up(NS.client, `c${tag}`, '192.168.77.2/24');
  up(NS.router, `rc${tag}`, '192.168.77.1/24');
  up(NS.router, `rs${tag}`, `${ROUTER_PUBLIC_IP}/24`);
  up(NS.server, `s${tag}`, `${SERVER_IP}/24`);
  for (const ns of Object.values(NS)) ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('-n', NS.client, 'route', 'add', 'default', 'via', '192.168.77.1');
  ip('-n', NS.server, 'route', 'add', 'default', 'via', ROUTER_PUBLIC_IP);
  // Forwarding and NAT inside the router's namespace only; the host's settings are untouched.
  inNs(NS.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  inNs(NS.router, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', `rs${tag}`, '-j', 'MASQUERADE');
}

function removeNetwork(): void {
  for (const ns of Object.values(NS)) {
    try {
      ip('netns', 'delete', ns); // takes its veth ends (and so the pairs) with it
    } catch {
      // Not created.
    }
  }
}

describe('STUN › a browser behind a NAT', { skip: !canUseNamespaces() && 'needs root and ip netns' }, () => {
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  let dir = '';

  before(async () => {
    buildNetwork();
    server = spawn(
      'ip',
      ['netns', 'exec', NS.server, process.execPath, '--import', 'tsx', 'packages/server/src/main.ts'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          PARLEY_HOST: SERVER_IP,
          PARLEY_PORT: String(HTTP_PORT),
          PARLEY_LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    server.stdout!.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 30_000);
      server!.stdout!.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('"msg":"listening"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    assert.match(out, /"msg":"stun listening"/);
    // Chromium inside the client's namespace: Playwright talks to it over its pipes.
    dir = mkdtempSync(join(tmpdir(), 'parley-nat-'));
    const wrapper = join(dir, 'chromium');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${NS.client} ${CHROMIUM_PATH} "$@"\n`);
    chmodSync(wrapper, 0o755);
    browser = await launchChromium([], { executablePath: wrapper });
  });

  after(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
    removeNetwork();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gathers a server-reflexive candidate with the router’s public address from Parley’s STUN', async () => {
    const page = await browser!.newPage();
    await page.goto(`http://${SERVER_IP}:${HTTP_PORT}/healthz`);
    const result = await page.evaluate(async () => {
      const { iceServers } = (await (await fetch('/ice')).json()) as { iceServers: RTCIceServer[] };
      const pc = new RTCPeerConnection({ iceServers });
      const candidates: string[] = [];
      pc.onicecandidate = (e) => {
        if (e.candidate) candidates.push(e.candidate.candidate);
      };
      pc.createDataChannel('probe');
      await pc.setLocalDescription();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 10_000);
        pc.onicegatheringstatechange = () => {
          if (pc.iceGatheringState === 'complete') {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      pc.close();
      return { iceServers, candidates };
    });
    assert.deepEqual(
      result.iceServers,
      [{ urls: [`stun:${SERVER_IP}:3478`] }],
      'the built-in STUN, by default',
    );
    const srflx = result.candidates.filter((c) => / typ srflx /.test(c));
    assert.equal(srflx.length > 0, true, `no srflx candidate among ${JSON.stringify(result.candidates)}`);
    assert.ok(
      srflx.every((c) => c.split(' ')[4] === ROUTER_PUBLIC_IP),
      `srflx address should be the router's public one: ${JSON.stringify(srflx)}`,
    );
    // From the page: the test process itself is outside the namespaces.
    const health = await page.evaluate(
      async () => ((await (await fetch('/healthz')).json()) as { stun?: string }).stun,
    );
    assert.equal(health, 'ok');
  });
});
