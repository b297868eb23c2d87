/**
 * One signaling round trip for `parley check`: open the WebSocket, say `hello`, wait for
 * `welcome`, say `bye`. Done with `ws` and the protocol codec directly (not the SDK), so the
 * check reports exactly which step failed: DNS/TCP, the HTTP upgrade, or the server's answer.
 */
import { decodeServer, encode, PROTOCOL_VERSIONS, type ServerMessageOf } from '@parley/protocol';
import { WebSocket } from 'ws';
import { CliError } from '../exit-codes.ts';

export interface ProbeOptions {
  wsUrl: string;
  name: string;
  token?: string | undefined;
  timeoutMs: number;
}

export interface ProbeResult {
  welcome: ServerMessageOf<'welcome'>;
  /** Milliseconds from opening the socket to `welcome`. */
  loginMs: number;
}

/** Resolves with the server's `welcome`, or rejects with a `signaling` CliError saying why. */
export function probeSignaling(options: ProbeOptions): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise<ProbeResult>((resolve, reject) => {
    const ws = new WebSocket(options.wsUrl, { handshakeTimeout: options.timeoutMs });
    let settled = false;
    const finish = (result: ProbeResult | CliError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (result instanceof CliError) {
        ws.terminate();
        reject(result);
      } else {
        ws.send(encode({ type: 'bye' }), () => ws.close(1000));
        resolve(result);
      }
    };
    const timer = setTimeout(
      () =>
        finish(
          new CliError(
            'signaling',
            'TIMEOUT',
            `no welcome from ${options.wsUrl} within ${options.timeoutMs} ms`,
          ),
        ),
      options.timeoutMs,
    );
    ws.on('unexpected-response', (_req, res) => {
      const code = res.statusCode === 401 || res.statusCode === 403 ? 'UNAUTHORIZED' : 'CONNECTION_FAILED';
      finish(
        new CliError('signaling', code, `${options.wsUrl} refused the connection: HTTP ${res.statusCode}`),
      );
    });
    ws.on('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ECONNREFUSED'
          ? 'connection refused'
          : err.code === 'ENOTFOUND'
            ? 'unknown host'
            : err.message;
      finish(
        new CliError('signaling', 'CONNECTION_FAILED', `cannot reach ${options.wsUrl}: ${why}`, {
          cause: err,
        }),
      );
    });
    ws.on('open', () => {
      ws.send(
        encode({
          type: 'hello',
          versions: [...PROTOCOL_VERSIONS],
          name: options.name,
          ...(options.token ? { token: options.token } : {}),
        }),
      );
    });
    ws.on('message', (raw: Buffer) => {
      const decoded = decodeServer(raw.toString('utf8'));
      if (!decoded.ok) {
        finish(
          new CliError(
            'signaling',
            'CONNECTION_FAILED',
            `the server sent an invalid frame: ${decoded.message}`,
          ),
        );
        return;
      }
      const msg = decoded.msg;
      if (msg.type === 'welcome') finish({ welcome: msg, loginMs: performance.now() - started });
      else if (msg.type === 'error')
        finish(new CliError('signaling', msg.code, `the server refused us: ${msg.code}: ${msg.message}`));
    });
    ws.on('close', (code, reason) => {
      finish(
        new CliError(
          'signaling',
          reason.toString() || 'CONNECTION_CLOSED',
          `the server closed the connection (${code}${reason.length ? ` ${reason.toString()}` : ''})`,
        ),
      );
    });
  });
}
