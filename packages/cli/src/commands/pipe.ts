/**
 * `parley pipe --to NAME | --from NAME | --room ROOM`: stdin and stdout over an app data channel
 * (the SDK's `call.channel()` / `room.channel()`, reliable and ordered), so scripts and bots can
 * speak to browser apps that open the same label.
 *
 * `--to` calls NAME (no media); `--from` waits for NAME's call; `--room` joins ROOM and speaks to
 * every member. Bytes: stdin is sent in binary messages of up to 16 KiB; binary messages that
 * arrive are written to stdout as they are, strings as UTF-8, JSON values as a line of JSON.
 * With `--lines`, each stdin line is sent as one string message and each string that arrives is
 * written as a line. With `--json`, every message that arrives is a JSON line on stdout:
 * `{ type: 'message', from, kind: 'string' | 'json' | 'binary', data }` (binary as base64).
 * At the end of stdin the command sends the JSON value `{"pipe":"eof"}` and waits (bounded)
 * until every peer answers `{"pipe":"eof-ack","to":NAME}`, so closing never cuts off bytes still
 * in flight. A `--to`/`--from` pipe runs both ways: it exits (0) once its own eof was
 * acknowledged and the peer's eof arrived; a `--room` pipe once its own eof was acknowledged. The
 * call ending first also ends it. These two values are the pipe's own and are never printed.
 */
import { createInterface } from 'node:readline';
import type { AppChannel, AppChannelData, Call } from '@parley/client';
import type { ParsedCommand } from '../args.ts';
import type { CommandContext } from '../context.ts';
import { CliError } from '../exit-codes.ts';
import { connectNode } from '../session/node-client.ts';
import { aborted } from '../session/wait.ts';

type PipeCommand = Extract<ParsedCommand, { command: 'pipe' }>;

/** Largest binary message made from stdin. */
export const PIPE_CHUNK_BYTES = 16 * 1024;
/** How long to wait for the peer's side of the channel, and for the buffer to drain at the end. */
export const PIPE_OPEN_TIMEOUT_MS = 30_000;

export async function runPipe(cmd: PipeCommand, ctx: CommandContext): Promise<void> {
  const node = await connectNode(ctx.common, { stderr: ctx.io.stderr, env: ctx.io.env });
  let call: Call | undefined;
  try {
    const lostServer = new Promise<never>((_, reject) => {
      node.client.on('state', (state, reason) => {
        if (state === 'failed' || state === 'closed')
          reject(new CliError('signaling', 'CONNECTION_CLOSED', `lost the server: ${reason ?? state}`));
      });
    });
    let channel: AppChannel;
    let ended: Promise<void>;
    if (cmd.room !== undefined) {
      const room = await node.client.join(cmd.room, {
        media: false,
        ...(cmd.password ? { password: cmd.password } : {}),
      });
      channel = room.channel(cmd.label);
      ended = new Promise((resolve) => room.on('state', (s) => s === 'left' && resolve()));
    } else {
      if (cmd.from !== undefined)
        ctx.reporter.emit({
          type: 'status',
          event: 'waiting',
          message: `waiting for a call from ${cmd.from}`,
        });
      call =
        cmd.to !== undefined
          ? await node.client.call(cmd.to, { media: false })
          : await waitForCall(node.client, cmd.from as string, ctx.signal);
      if (cmd.from !== undefined) await call.accept({ media: false });
      channel = call.channel(cmd.label);
      const theCall = call;
      ended = new Promise((resolve) => theCall.on('ended', () => resolve()));
    }
    const acked = new Set<string>();
    let peerDone: () => void = () => {};
    const peerEnded = new Promise<void>((resolve) => {
      peerDone = resolve;
    });
    channel.on('message', (data, from) => {
      const control = pipeControl(data);
      if (control?.pipe === 'eof') {
        void channel.send({ pipe: 'eof-ack', to: from });
        if (cmd.room === undefined) peerDone();
      } else if (control?.pipe === 'eof-ack') {
        if (control.to === node.client.name) acked.add(from);
      } else write(ctx, cmd, data, from);
    });
    channel.on('open', (peer) =>
      ctx.reporter.emit({
        type: 'status',
        event: 'open',
        message: `channel "${cmd.label}" open with ${peer}`,
      }),
    );
    const input = pump(ctx, cmd, channel);
    // A call's pipe runs both ways: done when our input was acknowledged and the peer said eof.
    const sent = input.then(() => finish(channel, acked, ended));
    const done = cmd.room === undefined ? Promise.all([sent, peerEnded]) : sent;
    await Promise.race([done, aborted(ctx.signal), lostServer, ended]);
    await drain(channel);
    if (call && call.state !== 'ended') await call.hangup().catch(() => {});
  } finally {
    node.close();
  }
}

/** Resolves with the first incoming call from `from` (others are declined). */
function waitForCall(
  client: Awaited<ReturnType<typeof connectNode>>['client'],
  from: string,
  signal: AbortSignal,
): Promise<Call> {
  return Promise.race([
    new Promise<Call>((resolve) => {
      client.on('incoming', (call) => {
        if (call.remote === from) resolve(call);
        else void call.decline();
      });
    }),
    aborted(signal),
  ]);
}

/** Sends stdin over `channel` (awaiting each send: a slow peer slows stdin down). */
async function pump(ctx: CommandContext, cmd: PipeCommand, channel: AppChannel): Promise<void> {
  // What is sent before the peer's side opens waits in the channel, bounded by its buffer cap.
  if (cmd.lines) {
    const lines = createInterface({ input: ctx.io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) await sendWaiting(channel, line);
    return;
  }
  for await (const chunk of ctx.io.stdin as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let at = 0; at < bytes.length; at += PIPE_CHUNK_BYTES) {
      const part = bytes.subarray(at, Math.min(bytes.length, at + PIPE_CHUNK_BYTES));
      await sendWaiting(
        channel,
        new Uint8Array(part.buffer, part.byteOffset, part.byteLength) as Uint8Array<ArrayBuffer>,
      );
    }
  }
}

/** Sends, waiting for room in the buffer first when it is full. */
async function sendWaiting(channel: AppChannel, data: string | Uint8Array<ArrayBuffer>): Promise<void> {
  while (channel.bufferedAmount > channel.highWaterMarkBytes) await channel.next('drain');
  await channel.send(data);
}

/** Says eof and waits (bounded) for every peer's ack, or for the call to end. */
async function finish(channel: AppChannel, acked: Set<string>, ended: Promise<void>): Promise<void> {
  await drain(channel);
  if (channel.state !== 'open') return;
  await channel.send({ pipe: 'eof' });
  const deadline = performance.now() + PIPE_OPEN_TIMEOUT_MS;
  let over = false;
  void ended.then(() => {
    over = true;
  });
  while (!over && channel.state === 'open' && performance.now() < deadline) {
    if (channel.peers.length > 0 && channel.peers.every((p) => acked.has(p))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The pipe's own messages (`{"pipe":"eof"}` and its ack), or null. */
function pipeControl(data: AppChannelData): { pipe: string; to?: unknown } | null {
  if (data === null || typeof data !== 'object' || data instanceof ArrayBuffer || Array.isArray(data))
    return null;
  const pipe = (data as { pipe?: unknown }).pipe;
  return pipe === 'eof' || pipe === 'eof-ack' ? (data as { pipe: string; to?: unknown }) : null;
}

/** Waits (bounded) for the peer's side to open and the buffer to empty. */
async function drain(channel: AppChannel): Promise<void> {
  const deadline = performance.now() + PIPE_OPEN_TIMEOUT_MS;
  while (
    channel.state === 'open' &&
    (channel.peers.length === 0 || channel.bufferedAmount > 0) &&
    performance.now() < deadline
  ) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

function write(ctx: CommandContext, cmd: PipeCommand, data: AppChannelData, from: string): void {
  if (ctx.common.json) {
    const kind = data instanceof ArrayBuffer ? 'binary' : typeof data === 'string' ? 'string' : 'json';
    const value = data instanceof ArrayBuffer ? Buffer.from(data).toString('base64') : data;
    ctx.io.stdout.write(`${JSON.stringify({ type: 'message', from, kind, data: value })}\n`);
  } else if (data instanceof ArrayBuffer) ctx.io.stdout.write(new Uint8Array(data));
  else if (typeof data === 'string') ctx.io.stdout.write(cmd.lines ? `${data}\n` : data);
  else ctx.io.stdout.write(`${JSON.stringify(data)}\n`);
}
