/**
 * Connects the SDK from Node: `ws` as the WebSocket, the node-datachannel adapter as the
 * RTCPeerConnection, no session storage (each run is a new session), SDK logs to stderr with
 * `--verbose`, and the SDK's {@link PeerLink} on every peer session (no stats polling, no
 * unreachable timer: the commands report on their own).
 */
import {
  connect,
  type LoggerOptions,
  type ParleyClient,
  PeerLink,
  type PeerSession,
  type RTCPeerConnectionConstructor,
  type WebSocketConstructor,
} from '@parley/client';
import { WebSocket } from 'ws';
import type { CommonOptions } from '../args.ts';
import { CliError } from '../exit-codes.ts';
import { nodeSha256 } from '../files/node-hash.ts';
import { generateName } from '../names.ts';
import { NodeRTCPeerConnection } from '../webrtc/index.ts';
import { enableNativeLog, isNativeLogLevel } from '../webrtc/native-log.ts';

export interface NodeClient {
  readonly client: ParleyClient;
  /** The features of each live peer session. */
  readonly links: Map<PeerSession, PeerLink>;
  /** Subscribes to new peer links; returns an unsubscribe function. */
  onLink(listener: (link: PeerLink) => void): () => void;
  close(): void;
}

/** Connects and logs in; rejects with a `signaling` CliError saying why it could not. */
export async function connectNode(
  common: CommonOptions,
  options: { stderr: NodeJS.WritableStream; env?: NodeJS.ProcessEnv; namePrefix?: string },
): Promise<NodeClient> {
  const nativeLevel = options.env?.PARLEY_NATIVE_LOG;
  if (isNativeLogLevel(nativeLevel)) enableNativeLog(nativeLevel, (line) => options.stderr.write(line));
  else if (common.verbose) enableNativeLog('Warning', (line) => options.stderr.write(line));
  const links = new Map<PeerSession, PeerLink>();
  const listeners = new Set<(link: PeerLink) => void>();
  const RTCPeerConnection = NodeRTCPeerConnection.withOptions({
    ...(common.bind ? { bindAddress: common.bind } : {}),
    onSkippedIceServer: (url, reason) => {
      if (common.verbose) options.stderr.write(`parley: ICE server ${url} not used: ${reason}\n`);
    },
  });
  // --verbose logs the SDK at `debug`; PARLEY_LOG=trace adds SDP and candidates (never at info).
  const sdkLevel = options.env?.PARLEY_LOG === 'trace' ? 'trace' : common.verbose ? 'debug' : undefined;
  const logger: LoggerOptions | undefined = sdkLevel
    ? {
        level: sdkLevel,
        sink: (level, name, message, context) =>
          options.stderr.write(
            `[${level}] ${name}: ${message}${context ? ` ${JSON.stringify(context)}` : ''}\n`,
          ),
      }
    : undefined;
  const name = common.name ?? generateName(options.namePrefix);
  let client: ParleyClient;
  try {
    client = await connect(common.wsUrl, {
      name,
      ...(common.token ? { token: common.token } : {}),
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      RTCPeerConnection: RTCPeerConnection as unknown as RTCPeerConnectionConstructor,
      storage: null,
      ...(logger ? { logger } : {}),
      // Native SHA-256: the SDK's JavaScript one limited CLI-to-CLI throughput (issue 17).
      fileTransfer: { createHash: nodeSha256 },
      features: [
        (peer) => {
          const link = new PeerLink(peer, { startStats: false, unreachableAfterMs: null });
          links.set(peer, link);
          peer.on('state', (state) => {
            if (state === 'closed') links.delete(peer);
          });
          for (const l of listeners) l(link);
        },
      ],
    });
  } catch (err) {
    throw toSignalingError(err, common.wsUrl);
  }
  return {
    client,
    links,
    onLink(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      for (const link of links.values()) link.close();
      client.close();
    },
  };
}

/** Turns a failed connect into a CliError with a message that says what to do. */
export function toSignalingError(err: unknown, wsUrl: string): CliError {
  const code = (err as { code?: unknown })?.code;
  const reason = (err as { reason?: unknown })?.reason;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'NAME_TAKEN') {
    return new CliError(
      'signaling',
      'NAME_TAKEN',
      `the name is taken on ${wsUrl}: pick another with --name`,
      {
        cause: err,
      },
    );
  }
  if (code === 'UNAUTHORIZED' || reason === 'UNAUTHORIZED') {
    return new CliError('signaling', 'UNAUTHORIZED', `${wsUrl} refused us: ${message} (check --token)`, {
      cause: err,
    });
  }
  const tag =
    typeof code === 'string' ? code : typeof reason === 'string' ? reason.toUpperCase() : 'CONNECTION_FAILED';
  return new CliError('signaling', tag, `cannot connect to ${wsUrl}: ${message}`, { cause: err });
}
