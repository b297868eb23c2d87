/**
 * `parley send FILE... --to NAME | --room ROOM`.
 *
 * To a name: a data-only call (`call.invite` with `data = {parley: 'files', count, bytes}`, so a
 * receiving app can tell a file delivery from a video call and say how much is coming), then,
 * once answered and connected, the files one after another over the SDK's file-transfer
 * sub-protocol — the same the web app speaks. The names travel only there, in each file's offer
 * on the peer-to-peer data channel: invite data is bounded (1 KiB, LIMITS.callInviteDataMaxBytes)
 * and relayed by the server, so it carries no list, however many files and however long their
 * names. To a room: join it, wait for the first member, then send to every member present.
 * Exit codes: 4 not found / no answer / declined, 5 a transfer failed, 6 no peer-to-peer path.
 */
import type { Call, FileSource, PeerLink, PeerSession } from '@parley/client';
import type { ParsedCommand } from '../args.ts';
import type { CommandContext } from '../context.ts';
import { CliError } from '../exit-codes.ts';
import { openFileSource } from '../files/file-source.ts';
import { windowedSource } from '../files/windowed-source.ts';
import { connectNode, type NodeClient } from '../session/node-client.ts';
import { reportTransfer } from '../session/transfer-events.ts';
import { peerTimeout, within } from '../session/wait.ts';

type SendCommand = Extract<ParsedCommand, { command: 'send' }>;

/**
 * What an invite for a file delivery carries in `call.invite.data`: how many files and bytes, a
 * few dozen bytes whatever the files. The list (names, sizes, hashes) follows on the data channel.
 */
export interface FilesInviteData {
  parley: 'files';
  count: number;
  bytes: number;
}

/** The invite data for delivering `files`. */
export function filesInviteData(files: ReadonlyArray<{ size: number }>): FilesInviteData {
  return { parley: 'files', count: files.length, bytes: files.reduce((n, f) => n + f.size, 0) };
}

export async function runSend(cmd: SendCommand, ctx: CommandContext): Promise<void> {
  const sources: Array<FileSource & { path: string }> = [];
  try {
    for (const path of cmd.files) sources.push(await openFileSource(path));
    const node = await connectNode(ctx.common, { stderr: ctx.io.stderr, env: ctx.io.env });
    ctx.reporter.emit({
      type: 'status',
      event: 'connected',
      message: `connected to ${ctx.common.serverUrl} as ${node.client.name}`,
      name: node.client.name,
    });
    try {
      if (cmd.to !== undefined) await sendToName(cmd, ctx, node, cmd.to, sources);
      else await sendToRoom(cmd, ctx, node, cmd.room!, sources);
    } finally {
      node.close();
    }
  } finally {
    for (const s of sources) await s.close?.();
  }
}

async function sendToName(
  cmd: SendCommand,
  ctx: CommandContext,
  node: NodeClient,
  to: string,
  sources: Array<FileSource & { path: string }>,
): Promise<void> {
  const data = filesInviteData(sources);
  let call: Call;
  try {
    call = await node.client.call(to, { media: false, data: data as unknown as Record<string, never> });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'PEER_NOT_FOUND') {
      throw new CliError('peer', 'PEER_NOT_FOUND', `${to} is not online on ${ctx.common.serverUrl}`, {
        cause: err,
      });
    }
    throw err;
  }
  try {
    ctx.reporter.emit({
      type: 'status',
      event: 'ringing',
      message: `waiting for ${to} to answer…`,
      peer: to,
    });
    await within(
      new Promise<void>((resolve, reject) => {
        if (call.state === 'ended') reject(callEndedError(call, to));
        call.on('accepted', () => resolve());
        call.on('ended', () => reject(callEndedError(call, to)));
      }),
      cmd.timeoutMs,
      () => peerTimeout(`${to} did not answer`, cmd.timeoutMs),
      ctx.signal,
    );
    const peer = call.peer ?? (await new Promise<PeerSession>((resolve) => call.once('peer', resolve)));
    const link = node.links.get(peer);
    if (!link) throw new CliError('internal', 'INTERNAL', 'no peer link for the call');
    await sendFilesTo(link, sources, cmd, ctx);
  } finally {
    if (call.state !== 'ended') await call.hangup().catch(() => {});
  }
}

async function sendToRoom(
  cmd: SendCommand,
  ctx: CommandContext,
  node: NodeClient,
  roomName: string,
  sources: Array<FileSource & { path: string }>,
): Promise<void> {
  const room = await node.client
    .join(roomName, { media: false, ...(cmd.password ? { password: cmd.password } : {}) })
    .catch((err) => {
      const code = (err as { code?: unknown }).code;
      if (code === 'FORBIDDEN' || code === 'ROOM_FULL') {
        throw new CliError('peer', code, `cannot join ${roomName}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      throw err;
    });
  try {
    if (room.peers.size === 0) {
      ctx.reporter.emit({
        type: 'status',
        event: 'waiting',
        message: `joined ${roomName}; waiting for someone to send to…`,
        room: roomName,
      });
      await within(
        new Promise<void>((resolve) => room.once('peer-joined', () => resolve())),
        cmd.timeoutMs,
        () => peerTimeout(`nobody joined ${roomName}`, cmd.timeoutMs),
        ctx.signal,
      );
    }
    const links = [...room.peers.values()]
      .map((peer) => node.links.get(peer))
      .filter((l): l is PeerLink => l !== undefined);
    const results = await Promise.allSettled(links.map((link) => sendFilesTo(link, sources, cmd, ctx)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  } finally {
    await room.leave().catch(() => {});
  }
}

/** Waits for the connection, then sends each file in turn; throws the first failure at the end. */
async function sendFilesTo(
  link: PeerLink,
  sources: Array<FileSource & { path: string }>,
  cmd: SendCommand,
  ctx: CommandContext,
): Promise<void> {
  await waitConnected(link.peer, cmd.timeoutMs, ctx.signal);
  ctx.reporter.emit({
    type: 'status',
    event: 'peer-connected',
    message: `connected to ${link.name}, peer to peer`,
    peer: link.name,
  });
  const failed: CliError[] = [];
  for (const source of sources) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    // Paced by the receiver's confirmations (files/windowed-source.ts). The wrapper also keeps
    // the SDK from closing our source when the transfer ends: several peers may share it.
    let confirmed = () => 0;
    const paced = windowedSource(source, () => confirmed(), { signal: ctx.signal });
    const transfer = link.files.send(paced);
    confirmed = () => transfer.confirmedBytes;
    const onAbort = () => transfer.cancel('interrupted');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const outcome = await reportTransfer(transfer, {
      reporter: ctx.reporter,
      peer: link.name,
      name: source.name,
      direction: 'send',
    });
    ctx.signal.removeEventListener('abort', onAbort);
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (outcome.error) failed.push(outcome.error);
  }
  // Each failure was reported as it happened; the exit code follows the first one.
  const first = failed[0];
  if (first) {
    throw new CliError(
      first.kind,
      first.code,
      `${failed.length} of ${sources.length} file${sources.length === 1 ? '' : 's'} not delivered to ${link.name}`,
    );
  }
}

/** Resolves once `peer` is connected; a `failed` session is a connectivity error (exit 6). */
export function waitConnected(peer: PeerSession, timeoutMs: number, signal: AbortSignal): Promise<void> {
  if (peer.state === 'connected') return Promise.resolve();
  return within(
    new Promise<void>((resolve, reject) => {
      const off = peer.on('state', (state, reason) => {
        if (state === 'connected') {
          off();
          resolve();
        } else if (state === 'failed' || state === 'closed') {
          off();
          reject(
            new CliError(
              state === 'failed' ? 'connectivity' : 'peer',
              state === 'failed' ? 'ICE_FAILED' : 'PEER_GONE',
              state === 'failed'
                ? `no peer-to-peer connection with ${peer.remoteName}${reason ? ` (${reason})` : ''}: check "parley check" and the TURN setup`
                : `${peer.remoteName} went away before the transfer`,
            ),
          );
        }
      });
    }),
    timeoutMs,
    () =>
      new CliError(
        'connectivity',
        'ICE_FAILED',
        `no peer-to-peer connection with ${peer.remoteName} within ${Math.round(timeoutMs / 1000)} s`,
      ),
    signal,
  );
}

function callEndedError(call: Call, to: string): CliError {
  const reason = call.endReason;
  if (reason === 'declined' || reason === 'busy' || reason === 'no_answer') {
    const what = reason === 'declined' ? 'declined' : reason === 'busy' ? 'is busy' : 'did not answer';
    return new CliError('peer', reason.toUpperCase(), `${to} ${what}`);
  }
  if (reason === 'failed')
    return new CliError('connectivity', 'ICE_FAILED', `the connection with ${to} failed`);
  return new CliError('peer', 'CALL_ENDED', `the call with ${to} ended (${reason ?? 'unknown'})`);
}
