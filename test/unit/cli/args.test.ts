import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCommandLine, serverUrls } from '../../../packages/cli/src/args.ts';
import { run } from '../../../packages/cli/src/cli.ts';
import { fakeIo } from './io.ts';

describe('parseCommandLine', () => {
  test('send: files, --to, defaults (server, timeout) and PARLEY_SERVER', () => {
    const p = parseCommandLine(['send', 'a.txt', 'b.bin', '--to', 'alice'], {});
    assert.equal(p.command, 'send');
    if (p.command !== 'send') return;
    assert.deepEqual(p.files, ['a.txt', 'b.bin']);
    assert.equal(p.to, 'alice');
    assert.equal(p.common.serverUrl, 'http://localhost:8080');
    assert.equal(p.common.wsUrl, 'ws://localhost:8080/ws');
    assert.equal(p.timeoutMs, 120_000);
    const fromEnv = parseCommandLine(['send', 'x', '-r', 'team'], {
      PARLEY_SERVER: 'https://p.example/base',
    });
    assert.equal(fromEnv.command === 'send' && fromEnv.common.wsUrl, 'wss://p.example/base/ws');
  });

  test('receive, chat and check options', () => {
    const r = parseCommandLine(
      ['receive', '-d', '/tmp/x', '-y', '--count', '3', '--timeout', '1.5', '--json'],
      {},
    );
    assert.ok(r.command === 'receive' && r.yes && r.count === 3 && r.timeoutMs === 1500 && r.common.json);
    const c = parseCommandLine(['chat', '--room', 'ops', '--name', 'ci-bot', '--password', 'pw'], {});
    assert.ok(c.command === 'chat' && c.room === 'ops' && c.common.name === 'ci-bot' && c.password === 'pw');
    const k = parseCommandLine(['check', '--server', 'ws://h:9/ws'], {});
    assert.ok(k.command === 'check' && k.common.serverUrl === 'http://h:9' && k.timeoutMs === 10_000);
  });

  test('help forms', () => {
    assert.deepEqual(parseCommandLine([], {}), { command: 'help', topic: undefined });
    assert.deepEqual(parseCommandLine(['help', 'send'], {}), { command: 'help', topic: 'send' });
    assert.deepEqual(parseCommandLine(['chat', '--help'], {}), { command: 'help', topic: 'chat' });
    assert.deepEqual(parseCommandLine(['--version'], {}), { command: 'version' });
  });

  const bad: Array<[string[], RegExp]> = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['--to', 'x'], /the command comes first/],
    [['send', '--to', 'alice'], /at least one FILE/],
    [['send', 'f'], /exactly one of --to NAME or --room ROOM/],
    [['send', 'f', '--to', 'a', '--room', 'r'], /exactly one/],
    [['send', 'f', '--to', 'no spaces'], /not a valid name/],
    [['send', 'f', '--to', 'a', '--password', 'x'], /--password needs --room/],
    [['send', 'f', '--to', 'a', '--timeout', '0'], /not a number of seconds/],
    [['receive', '--count', '-1'], /--count/],
    [['receive', 'extra'], /unexpected argument "extra"/],
    [['receive', '--bogus'], /Unknown option '--bogus'/],
    [['chat'], /chat needs --room/],
    [['check', '--server', 'ftp://x'], /http\(s\):\/\/ or ws\(s\):\/\//],
    [['check', '--name', 'x'.repeat(33)], /not a valid name/],
  ];
  for (const [argv, message] of bad) {
    test(`usage error: parley ${argv.join(' ')}`, () => {
      assert.throws(
        () => parseCommandLine(argv, {}),
        (err: Error & { kind?: string }) => {
          assert.equal(err.kind, 'usage');
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});

describe('serverUrls', () => {
  test('accepts bare hosts, http(s) and ws(s) forms', () => {
    assert.deepEqual(serverUrls('localhost:8080'), {
      serverUrl: 'http://localhost:8080',
      wsUrl: 'ws://localhost:8080/ws',
    });
    assert.deepEqual(serverUrls('https://h/p/'), { serverUrl: 'https://h/p', wsUrl: 'wss://h/p/ws' });
    assert.deepEqual(serverUrls('wss://h/ws'), { serverUrl: 'https://h', wsUrl: 'wss://h/ws' });
  });
});

describe('run (usage and help)', () => {
  test('a usage error exits 2 and prints the message and the command help on stderr', async () => {
    const io = fakeIo();
    const code = await run(['send', 'file.txt'], io);
    assert.equal(code, 2);
    assert.match(io.err(), /^parley: give exactly one of --to NAME or --room ROOM/);
    assert.match(io.err(), /Usage: parley send FILE\.\.\./);
    assert.equal(io.out(), '');
  });

  test('with --json a usage error is one JSON error line on stdout', async () => {
    const io = fakeIo();
    const code = await run(['chat', '--json'], io);
    assert.equal(code, 2);
    const line = JSON.parse(io.out().trim()) as Record<string, unknown>;
    assert.equal(line.type, 'error');
    assert.equal(line.kind, 'usage');
    assert.equal(line.exitCode, 2);
    assert.equal(typeof line.ts, 'number');
  });

  test('help goes to stdout with exit 0; every command has a page listing the exit codes', async () => {
    for (const topic of ['send', 'receive', 'chat', 'check']) {
      const io = fakeIo();
      assert.equal(await run([topic, '--help'], io), 0);
      assert.match(io.out(), new RegExp(`Usage: parley ${topic}`));
      assert.match(io.out(), /Exit codes:/);
    }
    const io = fakeIo();
    assert.equal(await run([], io), 0);
    assert.match(io.out(), /Commands:/);
  });

  test('an unreachable server exits 3 with a reason', async () => {
    const io = fakeIo();
    const code = await run(['check', '--server', 'http://127.0.0.1:1', '--json', '--timeout', '3'], io);
    assert.equal(code, 3);
    const lines = io
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.at(-1)?.type, 'error');
    assert.equal(lines.at(-1)?.kind, 'signaling');
    assert.match(String(lines.at(-1)?.message), /connection refused/);
  });
});
