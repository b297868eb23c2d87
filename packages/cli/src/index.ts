/**
 * `@parley/cli`: the `parley` command (`run`) and the Node WebRTC stack it runs the SDK on, for
 * bots and services that want a Node peer without the command line.
 *
 * @example A Node peer that joins a room and answers chat:
 * ```ts
 * import { connectNode } from '@parley/cli';
 * const node = await connectNode({ wsUrl: 'ws://localhost:8080/ws', name: 'echo-bot', ... }, { stderr: process.stderr });
 * const room = await node.client.join('lobby', { media: false });
 * node.onLink((link) => link.chat.on('chat', (m) => link.chat.sendText(`echo: ${m.text}`)));
 * ```
 */

export { PeerLink } from '@parley/client';
export { DEFAULT_SERVER, parseCommandLine, serverUrls } from './args.ts';
export { run } from './cli.ts';
export type { CliIo, CommandContext } from './context.ts';
export { CliError, EXIT, type ExitCode, exitCodeFor } from './exit-codes.ts';
export type { CliEvent, Reporter } from './output/events.ts';
export { connectNode, type NodeClient } from './session/node-client.ts';
export * from './webrtc/index.ts';
export { LoopbackError, runLoopback } from './webrtc/loopback.ts';
