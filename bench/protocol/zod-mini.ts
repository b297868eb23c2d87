/**
 * Decoding speed in Node of the protocol's schemas on zod/mini (what they use) against the same
 * schemas on zod classic (zod-classic.ts). Times decodeClient (the server's path) and decodeServer
 * (the SDK's) over typical frames, valid and not (decode-cases.ts), and prints JSON: µs per 1,000
 * frames, median of the rounds, alternating: zod classic, zod/mini interpreted (the browser) and
 * zod/mini compiled with `useCompiledSchemas()` (the server). zod-mini-browser.ts does the same in
 * Chromium.
 *
 *   npm run -s bench:zod-mini [-- rounds]
 */
import { decodeClient, decodeServer, useCompiledSchemas } from '@parley/protocol';
import { compare, N } from './decode-cases.ts';
import { classicProtocolEntry } from './zod-classic.ts';

const classic: typeof import('@parley/protocol') = await import(classicProtocolEntry());
const rounds = Number(process.argv[2] ?? 7);

// Interpreted zod/mini (the browser) first, then compiled (the server: useCompiledSchemas is process-wide).
const interpreted = compare(classic, { decodeClient, decodeServer }, rounds);
useCompiledSchemas();
const compiled = compare(classic, { decodeClient, decodeServer }, rounds);

const result = Object.fromEntries(
  Object.entries(interpreted).map(([name, r]) => [
    name,
    {
      classicUs: Math.round((r.a + compiled[name]!.a) / 2),
      miniUs: r.b,
      miniCompiledUs: compiled[name]!.b,
    },
  ]),
);
console.log(
  JSON.stringify(
    { unit: 'µs per 1,000 frames (median)', rounds, framesPerRound: N, node: process.version, result },
    null,
    2,
  ),
);
