#!/usr/bin/env -S npx tsx
/**
 * `npm run token -- --name alice [--rooms standup,team-*] [--ttl 3600] [--record]` prints an access token
 * for `hello.token`, signed with PARLEY_AUTH_SECRET (HS256) or, with `--key private.pem`, with
 * an ES256 private key. `--generate-keys DIR` writes a new ES256 key pair (private.pem,
 * public.pem) for PARLEY_AUTH_PUBLIC_KEY. Only the token goes to stdout, so
 * `TOKEN=$(npm run -s token -- --name alice)` works. Put it in an invitation link's fragment,
 * `https://parley.example.com/#/room/standup?token=$TOKEN`, never in the query string (proxies log
 * that, and the web app refuses it). A `--ttl` over a day draws a warning: servers refuse tokens
 * living longer than PARLEY_AUTH_MAX_TOKEN_AGE_S (default 86400).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_TOKEN_AGE_S, signAccessToken } from '@parley/server/tools';

const USAGE = `usage: npm run token -- --name NAME [--rooms a,b,team-*] [--ttl SECONDS] [--record]
                         [--key PRIVATE_KEY.pem] [--issuer ISS] [--audience AUD]
       npm run token -- --generate-keys DIR
Signs with PARLEY_AUTH_SECRET (HS256) unless --key is given (ES256).`;

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n${USAGE}\n`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      name: { type: 'string' },
      rooms: { type: 'string' },
      record: { type: 'boolean' },
      ttl: { type: 'string', default: '3600' },
      key: { type: 'string' },
      issuer: { type: 'string' },
      audience: { type: 'string' },
      'generate-keys': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }));
} catch (err) {
  fail((err as Error).message);
}

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const keyDir = values['generate-keys'];
if (typeof keyDir === 'string') {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  mkdirSync(keyDir, { recursive: true });
  writeFileSync(join(keyDir, 'private.pem'), privateKey, { mode: 0o600 });
  writeFileSync(join(keyDir, 'public.pem'), publicKey);
  process.stderr.write(
    `token: wrote ${join(keyDir, 'private.pem')} (keep it where tokens are issued) and ` +
      `${join(keyDir, 'public.pem')} (give it to the server as PARLEY_AUTH_PUBLIC_KEY)\n`,
  );
  process.exit(0);
}

const name = values.name;
if (typeof name !== 'string') fail('--name is required');
const ttlS = Number(values.ttl);
// Servers refuse tokens that live longer than PARLEY_AUTH_MAX_TOKEN_AGE_S (default a day).
if (ttlS > DEFAULT_MAX_TOKEN_AGE_S) {
  process.stderr.write(
    `token: warning: --ttl ${ttlS} is longer than ${DEFAULT_MAX_TOKEN_AGE_S} s; servers refuse it ` +
      'unless PARLEY_AUTH_MAX_TOKEN_AGE_S is raised to at least that\n',
  );
}
const rooms =
  typeof values.rooms === 'string'
    ? values.rooms
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean)
    : undefined;
const keyFile = typeof values.key === 'string' ? values.key : undefined;
const secret = keyFile ? undefined : process.env.PARLEY_AUTH_SECRET;
if (!keyFile && !secret) fail('set PARLEY_AUTH_SECRET (HS256) or pass --key PRIVATE_KEY.pem (ES256)');

try {
  const token = await signAccessToken({
    name,
    ttlS,
    ...(rooms ? { rooms } : {}),
    ...(values.record === true ? { record: true } : {}),
    ...(secret ? { secret } : { privateKeyPem: readFileSync(keyFile!, 'utf8') }),
    ...(typeof values.issuer === 'string' ? { issuer: values.issuer } : {}),
    ...(typeof values.audience === 'string' ? { audience: values.audience } : {}),
  });
  process.stdout.write(`${token}\n`);
} catch (err) {
  fail((err as Error).message);
}
