/**
 * `parley chat --room ROOM`: the room's chat over each member's peer-to-peer chat channel (the
 * SDK's ChatChannel, as in the web app), fanned out with ChatRoom.
 *
 * On a terminal: a prompt; incoming messages are printed above it; `/quit` or Ctrl-D leaves.
 * Otherwise (a bot): every stdin line is sent; at the end of stdin the command waits for the
 * members' channels to open and drain, then leaves with exit 0. Incoming messages go to stdout
 * (`name: text`, or JSON lines with --json) either way.
 */
import { createInterface, type Interface } from 'node:readline';
import { ChatRoom } from '@parley/client';
import { CHAT_LIMITS } from '@parley/protocol';
import type { ParsedCommand } from '../args.ts';
import type { CommandContext } from '../context.ts';
import { CliError } from '../exit-codes.ts';
import { connectNode } from '../session/node-client.ts';
import { aborted } from '../session/wait.ts';

type ChatCommand = Extract<ParsedCommand, { command: 'chat' }>;

/** How long, at the end of stdin, to wait for members' chat channels to open and drain. */
export const CHAT_FLUSH_TIMEOUT_MS = 15_000;

/** Splits a line into chat texts no longer than the protocol allows (by UTF-16 length). */
export function splitChatText(line: string, max: number = CHAT_LIMITS.textMaxChars): string[] {
  const out: string[] = [];
  for (let i = 0; i < line.length; i += max) out.push(line.slice(i, i + max));
  return out;
}

export async function runChat(cmd: ChatCommand, ctx: CommandContext): Promise<void> {
  const node = await connectNode(ctx.common, { stderr: ctx.io.stderr, env: ctx.io.env });
  const chat = new ChatRoom();
  const interactive = ctx.io.stdin.isTTY === true && !ctx.common.json;
  let rl: Interface | undefined;
  // On a terminal, incoming text must not land in the middle of what is being typed.
  const print = (event: Parameters<typeof ctx.reporter.emit>[0]) => {
    if (!rl) {
      ctx.reporter.emit(event);
      return;
    }
    ctx.io.stdout.write('\r\x1b[2K');
    ctx.reporter.emit(event);
    rl.prompt(true);
  };
  chat.on('chat', (from, msg) => print({ type: 'message', room: cmd.room, from, text: msg.text }));

  try {
    const room = await node.client
      .join(cmd.room, { media: false, ...(cmd.password ? { password: cmd.password } : {}) })
      .catch((err) => {
        const code = (err as { code?: unknown }).code;
        if (code === 'FORBIDDEN' || code === 'ROOM_FULL') {
          throw new CliError('peer', code, `cannot join ${cmd.room}: ${(err as Error).message}`, {
            cause: err,
          });
        }
        throw err;
      });
    const addPeer = (peerName: string) => {
      const peer = room.peers.get(peerName);
      const link = peer ? node.links.get(peer) : undefined;
      if (link) chat.add(peerName, link.chat);
    };
    for (const peerName of room.peers.keys()) addPeer(peerName);
    room.on('peer-joined', (peer) => {
      addPeer(peer.remoteName);
      print({ type: 'peer', room: cmd.room, name: peer.remoteName, present: true });
    });
    room.on('peer-left', (peerName) => {
      chat.remove(peerName);
      print({ type: 'peer', room: cmd.room, name: peerName, present: false });
    });
    const others = [...room.peers.keys()];
    ctx.reporter.emit({
      type: 'status',
      event: 'joined',
      message: `joined ${cmd.room} as ${node.client.name}${others.length ? ` with ${others.join(', ')}` : ' (nobody else here yet)'}`,
      room: cmd.room,
      peers: others,
    });

    const lines = createInterface({
      input: ctx.io.stdin,
      ...(interactive ? { output: ctx.io.stdout, prompt: '> ', terminal: true } : {}),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    if (interactive) {
      rl = lines;
      rl.prompt();
    }
    const inputEnded = new Promise<void>((resolve) => {
      lines.on('line', (line) => {
        const text = line.replace(/\s+$/, '');
        if (interactive && text === '/quit') {
          lines.close();
          return;
        }
        for (const part of text ? splitChatText(text) : []) chat.sendText(part);
        if (interactive) rl?.prompt();
      });
      lines.on('close', () => resolve());
    });
    const lostServer = new Promise<never>((_, reject) => {
      node.client.on('state', (state, reason) => {
        if (state === 'failed' || state === 'closed') {
          reject(new CliError('signaling', 'CONNECTION_CLOSED', `lost the server: ${reason ?? state}`));
        }
      });
    });
    try {
      await Promise.race([inputEnded, aborted(ctx.signal), lostServer]);
    } finally {
      rl = undefined;
      lines.close();
    }
    if (interactive) ctx.io.stdout.write('\n');
    await flush(node.links.values());
    await room.leave().catch(() => {});
  } finally {
    chat.clear();
    node.close();
  }
}

/** Waits for chat channels still connecting to open, then for every channel to drain. */
async function flush(
  links: Iterable<{ chat: { state: string }; peer: { pc: RTCPeerConnection } }>,
): Promise<void> {
  const deadline = performance.now() + CHAT_FLUSH_TIMEOUT_MS;
  const all = [...links];
  while (all.some((l) => l.chat.state === 'connecting') && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.all(
    all.map((l) => {
      const pc = l.peer.pc as unknown as { drain?: (ms: number) => Promise<boolean> };
      return pc.drain?.(Math.max(0, deadline - performance.now()));
    }),
  );
}
