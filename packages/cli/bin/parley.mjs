#!/usr/bin/env node
// The `parley` command. Parley's Node code runs from TypeScript sources (no build step), so this
// launcher registers tsx's ESM loader in-process, then hands over to src/cli.ts.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli.ts');
const code = await run(process.argv.slice(2));
// Exit explicitly once output is flushed: libdatachannel's native threads can keep the event loop
// alive for seconds after the last peer connection closed.
const flushed = (stream) =>
  new Promise((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', resolve)));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
