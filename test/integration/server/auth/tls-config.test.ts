// @needs openssl
/**
 * PARLEY_TLS_CERT/PARLEY_TLS_KEY: the server serves HTTPS and WSS itself, and a certificate that
 * does not fit its key stops it at startup with one line naming the files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer, loadConfig } from '@parley/server';
import { WebSocket } from 'ws';
import {
  makeSelfSignedCertificate,
  type SelfSignedCertificate,
} from '../../../../packages/server/src/tls/self-signed.ts';
import { startServer, stopAllServers } from '../../../helpers/server.ts';

describe('PARLEY_TLS_CERT / PARLEY_TLS_KEY', () => {
  let dir: string;
  let cert: SelfSignedCertificate;
  let other: SelfSignedCertificate;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
    cert = makeSelfSignedCertificate({ dir: join(dir, 'a'), hosts: ['localhost', '127.0.0.1'] });
    other = makeSelfSignedCertificate({ dir: join(dir, 'b'), hosts: ['localhost'] });
  });
  after(async () => {
    await stopAllServers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /healthz over https and signaling over wss, verified against the certificate', async () => {
    const server = await startServer({ PARLEY_TLS_CERT: cert.certFile, PARLEY_TLS_KEY: cert.keyFile });
    assert.match(server.url, /^https:\/\//);
    assert.match(server.wsUrl, /^wss:\/\//);
    const body = await new Promise<string>((resolve, reject) => {
      get(`${server.url}/healthz`, { ca: cert.cert }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    assert.equal((JSON.parse(body) as { status: string }).status, 'ok');

    const ws = new WebSocket(server.wsUrl, { ca: cert.cert });
    try {
      const welcome = await new Promise<{ type: string; name: string }>((resolve, reject) => {
        ws.once('error', reject);
        ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', versions: ['1'], name: 'tls-alice' })));
        ws.once('message', (d) => resolve(JSON.parse(d.toString()) as { type: string; name: string }));
      });
      assert.equal(welcome.type, 'welcome');
      assert.equal(welcome.name, 'tls-alice');
    } finally {
      ws.terminate();
    }
  });

  it('a key that does not belong to the certificate fails at startup, naming both files', async () => {
    const config = loadConfig({
      PARLEY_HOST: '127.0.0.1',
      PARLEY_PORT: '0',
      PARLEY_LOG_LEVEL: 'silent',
      PARLEY_TLS_CERT: cert.certFile,
      PARLEY_TLS_KEY: other.keyFile,
    });
    await assert.rejects(createServer(config), (err: Error) => {
      assert.match(err.message, /does not belong to the certificate/);
      assert.ok(err.message.includes(other.keyFile) && err.message.includes(cert.certFile));
      return true;
    });
  });
});
