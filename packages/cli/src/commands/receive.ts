/**
 * `parley receive`: stay online under a name (and optionally in a room), answer data-only calls,
 * and save offered files to disk after asking (or with `--yes`). Files stream to a temporary
 * name and are renamed only after their SHA-256 matched (files/file-sink.ts).
 * Ends on Ctrl-C, after `--count` files, or with exit 4 when `--timeout` passes without an offer.
 */
import { mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Call, IncomingTransfer, PeerLink } from '@parley/client';
import type { ParsedCommand } from '../args.ts';
import type { CommandContext } from '../context.ts';
import { CliError } from '../exit-codes.ts';
import { DiskFileSink } from '../files/file-sink.ts';
import { formatBytes } from '../output/format.ts';
import { connectNode } from '../session/node-client.ts';
import { reportTransfer } from '../session/transfer-events.ts';
import { aborted, peerTimeout, within } from '../session/wait.ts';

type ReceiveCommand = Extract<ParsedCommand, { command: 'receive' }>;

/** After the last wanted file, how long the senders get to hang up before we do. */
export const SENDER_CLOSE_GRACE_MS = 5000;

export async function runReceive(cmd: ReceiveCommand, ctx: CommandContext): Promise<void> {
  const dir = resolve(cmd.dir);
  await mkdir(dir, { recursive: true }).catch(() => {});
  const dirStat = await stat(dir).catch(() => null);
  if (!dirStat?.isDirectory()) throw new CliError('usage', 'BAD_DIR', `--dir: ${cmd.dir} is not a directory`);

  const interactive = !cmd.yes && ctx.io.stdin.isTTY === true && !ctx.common.json;
  const node = await connectNode(ctx.common, { stderr: ctx.io.stderr, env: ctx.io.env });
  const name = node.client.name;
  const calls = new Set<Call>();
  let prompts: Promise<unknown> = Promise.resolve();
  let completed = 0;
  let markOffered!: () => void;
  const firstOffer = new Promise<void>((r) => {
    markOffered = r;
  });
  let settle!: (error?: CliError) => void;
  const finished = new Promise<void>((resolveDone, reject) => {
    settle = (error) => (error ? reject(error) : resolveDone());
  });

  const decide = async (link: PeerLink, incoming: IncomingTransfer): Promise<boolean> => {
    if (cmd.from !== undefined && link.name !== cmd.from) return false;
    if (cmd.yes) return true;
    if (!interactive) return false;
    // One question at a time, even when several offers arrive together.
    const answer = prompts.then(async () => {
      const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr });
      try {
        const text = await rl.question(
          `Accept ${incoming.name} (${formatBytes(incoming.size)}) from ${link.name}? [y/N] `,
          { signal: ctx.signal },
        );
        return /^y(es)?$/i.test(text.trim());
      } finally {
        rl.close();
      }
    });
    prompts = answer.catch(() => false);
    return answer;
  };

  const onOffer = async (link: PeerLink, incoming: IncomingTransfer) => {
    markOffered();
    const accepted = await decide(link, incoming).catch(() => false);
    ctx.reporter.emit({
      type: 'offer',
      id: incoming.id,
      from: link.name,
      name: incoming.name,
      size: incoming.size,
      accepted,
    });
    if (!accepted) {
      incoming.reject(
        cmd.from !== undefined && link.name !== cmd.from ? 'not accepted from you' : 'declined',
      );
      return;
    }
    const sink = new DiskFileSink(dir, incoming.name, incoming.id, { overwrite: cmd.overwrite });
    incoming.accept(sink);
    const outcome = await reportTransfer(incoming, {
      reporter: ctx.reporter,
      peer: link.name,
      name: incoming.name,
      direction: 'receive',
      path: () => sink.path,
    });
    if (outcome.error) {
      // With --count the caller waits for specific files: a failure ends the run (exit 5).
      if (cmd.count !== undefined) settle(outcome.error);
      return;
    }
    completed++;
    if (cmd.count !== undefined && completed >= cmd.count) settle();
  };

  const watchLink = (link: PeerLink) => {
    link.files.on('offer', (incoming) => {
      onOffer(link, incoming).catch((err: unknown) =>
        settle(
          err instanceof CliError ? err : new CliError('internal', 'INTERNAL', String(err), { cause: err }),
        ),
      );
    });
  };
  node.onLink(watchLink);
  for (const link of node.links.values()) watchLink(link);

  node.client.on('incoming', (call) => {
    if (cmd.from !== undefined && call.remote !== cmd.from) {
      void call.decline().catch(() => {});
      return;
    }
    calls.add(call);
    call.on('ended', () => calls.delete(call));
    // A data-only answer: files (and chat) flow over data channels; we send no media. Answering
    // at once is safe: the caller's SDK keeps frames that arrive before it has registered the
    // call (see `#early` in packages/client/src/client.ts).
    void call.accept({ media: false }).catch(() => {});
  });
  node.client.on('state', (state, reason) => {
    if (state === 'failed' || state === 'closed') {
      settle(new CliError('signaling', 'CONNECTION_CLOSED', `lost the server: ${reason ?? state}`));
    }
  });

  try {
    if (cmd.room !== undefined) {
      await node.client.join(cmd.room, { media: false, ...(cmd.password ? { password: cmd.password } : {}) });
    }
    const where = cmd.room !== undefined ? ` and in room ${cmd.room}` : '';
    ctx.reporter.emit({
      type: 'status',
      event: 'ready',
      message: `waiting for files as ${name}${where} (saving to ${dir}); send with: parley send FILE --to ${name}`,
      name,
      dir,
    });
    const waits: Promise<unknown>[] = [finished, aborted(ctx.signal)];
    if (cmd.timeoutMs !== undefined) {
      const timeoutMs = cmd.timeoutMs;
      waits.push(
        within(firstOffer, timeoutMs, () => peerTimeout('no file was offered', timeoutMs), ctx.signal).then(
          () => new Promise<never>(() => {}),
        ),
      );
    }
    await Promise.race(waits);
    // Done: let the senders end the conversation. A sender completes a transfer when it reads
    // our `file.received`; hanging up first could cut that message off and fail its side.
    const deadline = performance.now() + SENDER_CLOSE_GRACE_MS;
    while ((calls.size > 0 || node.links.size > 0) && performance.now() < deadline && !ctx.signal.aborted) {
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    for (const link of node.links.values()) for (const t of link.files.active) t.cancel('receiver stopped');
    for (const call of calls) await call.hangup().catch(() => {});
    node.close();
  }
}
