/**
 * `parley check`: is the server reachable and does it let us in; do its STUN servers answer;
 * does its TURN relay carry data (two local peers, relay-only ICE). Each step is reported as a
 * `check` event; the first failure decides the exit code (3 signaling, 6 STUN/TURN).
 */

import type { ParsedCommand } from '../args.ts';
import type { CommandContext } from '../context.ts';
import { CliError } from '../exit-codes.ts';
import { generateName } from '../names.ts';
import { probeSignaling } from '../net/signaling-probe.ts';
import { stunBinding } from '../net/stun.ts';
import { parseIceUrl, toNativeIceServers } from '../webrtc/ice-servers.ts';
import { LoopbackError, runLoopback } from '../webrtc/loopback.ts';

type CheckCommand = Extract<ParsedCommand, { command: 'check' }>;

export async function runCheck(cmd: CheckCommand, ctx: CommandContext): Promise<void> {
  const { reporter, common } = ctx;
  const report = (check: string, ok: boolean, detail: string, startedMs: number, skipped = false) =>
    reporter.emit({
      type: 'check',
      check,
      ok,
      ...(skipped ? { skipped: true } : {}),
      detail,
      durationMs: performance.now() - startedMs,
    });
  const abortIfInterrupted = () => {
    if (ctx.signal.aborted) throw ctx.signal.reason;
  };

  // 1. Signaling.
  let t = performance.now();
  let iceServers: RTCIceServer[];
  try {
    const { welcome, loginMs } = await probeSignaling({
      wsUrl: common.wsUrl,
      name: common.name ?? generateName('check'),
      token: common.token,
      timeoutMs: cmd.timeoutMs,
    });
    iceServers = welcome.iceServers as RTCIceServer[];
    report(
      'signaling',
      true,
      `${common.wsUrl}: logged in as ${welcome.name} in ${Math.round(loginMs)} ms`,
      t,
    );
  } catch (err) {
    report('signaling', false, (err as Error).message, t);
    throw err;
  }
  abortIfInterrupted();

  // 2. STUN: every stun: URL, and the TURN servers' addresses too (they answer Binding as well).
  const stunTargets = new Map<string, { host: string; port: number; turn: boolean }>();
  for (const server of iceServers) {
    for (const url of typeof server.urls === 'string' ? [server.urls] : server.urls) {
      const parsed = parseIceUrl(url);
      if (!parsed || parsed.scheme === 'stuns' || parsed.scheme === 'turns' || parsed.transport === 'tcp')
        continue;
      stunTargets.set(`${parsed.host}:${parsed.port}`, {
        host: parsed.host,
        port: parsed.port,
        turn: parsed.scheme === 'turn',
      });
    }
  }
  const stunFailures: string[] = [];
  const stunOnly = [...stunTargets.values()].filter((s) => !s.turn);
  t = performance.now();
  if (stunTargets.size === 0) {
    report('stun', true, 'the server hands out no STUN or TURN servers (LAN only)', t, true);
  }
  for (const target of stunTargets.values()) {
    t = performance.now();
    const label = `${target.host}:${target.port}`;
    try {
      const r = await stunBinding(target.host, target.port, Math.min(cmd.timeoutMs, 5000));
      report(
        'stun',
        true,
        `${label} answered in ${Math.round(r.rttMs)} ms; we are ${r.address}:${r.port}`,
        t,
      );
    } catch (err) {
      stunFailures.push(label);
      report('stun', false, (err as Error).message, t);
    }
    abortIfInterrupted();
  }

  // 3. TURN: a relay-only loopback per usable TURN URL.
  const turnServers = iceServers.filter((s) =>
    (typeof s.urls === 'string' ? [s.urls] : s.urls).some((u) => /^turns?:/i.test(u)),
  );
  const turnFailures: string[] = [];
  if (turnServers.length === 0) {
    report(
      'turn',
      true,
      'the server hands out no TURN servers: peers behind strict NATs cannot connect',
      performance.now(),
      true,
    );
  }
  for (const server of turnServers) {
    for (const url of typeof server.urls === 'string' ? [server.urls] : server.urls) {
      if (!/^turns?:/i.test(url)) continue;
      t = performance.now();
      const one: RTCIceServer = { ...server, urls: url };
      const { skipped } = toNativeIceServers([one]);
      if (skipped.length > 0) {
        report('turn', true, `${url}: not tested (${skipped[0]!.reason})`, t, true);
        continue;
      }
      try {
        const r = await runLoopback(
          { iceServers: [one], iceTransportPolicy: 'relay' },
          cmd.timeoutMs,
          common.bind ? { bindAddress: common.bind } : {},
        );
        report(
          'turn',
          true,
          `${url}: relayed data between two local peers in ${Math.round(r.connectMs)} ms`,
          t,
        );
      } catch (err) {
        turnFailures.push(url);
        report('turn', false, `${url}: ${await explainTurnFailure(err, url, stunFailures)}`, t);
      }
      abortIfInterrupted();
    }
  }

  if (turnFailures.length > 0) {
    throw new CliError('connectivity', 'TURN_FAILED', `TURN relay failed: ${turnFailures.join(', ')}`);
  }
  if (stunFailures.length > 0) {
    const what = stunOnly.length > 0 ? 'STUN' : 'STUN/TURN';
    throw new CliError(
      'connectivity',
      'ICE_FAILED',
      `${what} server unreachable: ${stunFailures.join(', ')}`,
    );
  }
}

/**
 * A loopback that gathered no relay candidate failed at the TURN server: if the server answers
 * STUN, it is up and the allocation was refused (almost always credentials: a server secret that
 * does not match the TURN server's); if not, it is unreachable.
 */
async function explainTurnFailure(
  err: unknown,
  url: string,
  stunFailures: readonly string[],
): Promise<string> {
  if (!(err instanceof LoopbackError)) return (err as Error).message;
  if (err.candidateTypes.includes('relay')) {
    return `${err.message}: relay allocated but no data went through (does the TURN server refuse to relay to these peers?)`;
  }
  const parsed = parseIceUrl(url);
  const label = parsed ? `${parsed.host}:${parsed.port}` : url;
  if (stunFailures.includes(label)) return `${err.message}: the TURN server is unreachable`;
  return `${err.message}: the TURN server answers but granted no relay — wrong credentials (does PARLEY_TURN_SECRET match the TURN server's static-auth-secret?)`;
}
