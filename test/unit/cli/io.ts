/** In-memory process streams for running `parley` in-process in unit tests. */
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../../packages/cli/src/context.ts';

export interface FakeIo extends CliIo {
  out(): string;
  err(): string;
  controller: AbortController;
}

export function fakeIo(env: NodeJS.ProcessEnv = {}): FakeIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const controller = new AbortController();
  return {
    stdin: new PassThrough(),
    stdout,
    stderr,
    env,
    signal: controller.signal,
    controller,
    out: () => out,
    err: () => err,
  };
}
