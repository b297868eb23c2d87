#!/usr/bin/env node
// The `parley` command. Installed from npm it runs the compiled CLI (dist/). In a clone it runs the
// TypeScript sources (src/) through tsx's ESM loader, registered in-process with the repository's
// tsconfig.json, whose `paths` point the @parley/* imports at the other packages' sources too: so
// the tests and a developer's `npx parley` need no build. A clone installed without dev
// dependencies (no tsx) runs the build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const sources = new URL('../src/cli.ts', import.meta.url);
const tsconfig = fileURLToPath(new URL('../../../tsconfig.json', import.meta.url));
const tsx =
  existsSync(sources) && existsSync(tsconfig)
    ? await import('tsx/esm/api').catch(() => undefined)
    : undefined;
tsx?.register({ tsconfig });
const fromSources = tsx !== undefined;
const { run } = await import(fromSources ? sources.href : '../dist/cli.js');
const code = await run(process.argv.slice(2));
// Exit explicitly once output is flushed: libdatachannel's native threads can keep the event loop
// alive for seconds after the last peer connection closed.
const flushed = (stream) =>
  new Promise((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', resolve)));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
