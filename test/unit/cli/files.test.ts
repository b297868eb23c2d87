import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DiskFileSink, numberedName, safeFileName } from '../../../packages/cli/src/files/file-sink.ts';
import { openFileSource } from '../../../packages/cli/src/files/file-source.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'parley-cli-files-'));
  dirs.push(d);
  return d;
};

describe('safeFileName', () => {
  test('keeps only a plain name', () => {
    assert.equal(safeFileName('../../etc/passwd'), 'passwd');
    assert.equal(safeFileName('C:\\Users\\x\\evil.exe'), 'evil.exe');
    assert.equal(safeFileName('.bashrc'), 'bashrc');
    assert.equal(safeFileName('a\u0000b\u001fc.txt'), 'abc.txt');
    assert.equal(safeFileName('..'), 'file');
    assert.equal(safeFileName(''), 'file');
    assert.ok(Buffer.byteLength(safeFileName('é'.repeat(300))) <= 200);
  });
  test('numbered names keep the extension', () => {
    assert.equal(numberedName('report.pdf', 1), 'report (1).pdf');
    assert.equal(numberedName('README', 2), 'README (2)');
  });
});

describe('DiskFileSink', () => {
  test('writes at offsets to a hidden part file and renames only on finish, without overwriting', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'data.bin'), 'existing');
    const sink = new DiskFileSink(dir, 'data.bin', 'abcdef0123456789');
    await sink.write(new TextEncoder().encode('hello '), 0);
    await sink.write(new TextEncoder().encode('world'), 6);
    assert.deepEqual((await readdir(dir)).sort(), ['.data.bin.abcdef012345.parley-part', 'data.bin']);
    await sink.finish();
    assert.equal(sink.path, join(dir, 'data (1).bin'));
    assert.equal(await readFile(sink.path!, 'utf8'), 'hello world');
    assert.equal(await readFile(join(dir, 'data.bin'), 'utf8'), 'existing');
  });

  test('abort removes the part file; an empty file can finish', async () => {
    const dir = await tempDir();
    const sink = new DiskFileSink(dir, 'x', '1');
    await sink.write(new Uint8Array([1]), 0);
    await sink.abort();
    assert.deepEqual(await readdir(dir), []);
    const empty = new DiskFileSink(dir, 'empty', '2', { overwrite: true });
    await empty.finish();
    assert.equal((await readFile(join(dir, 'empty'))).length, 0);
  });
});

describe('openFileSource', () => {
  test('reads slices at offsets and refuses directories and missing files', async () => {
    const dir = await tempDir();
    const path = join(dir, 'f.txt');
    await writeFile(path, '0123456789');
    const source = await openFileSource(path);
    assert.equal(source.size, 10);
    assert.equal(source.name, 'f.txt');
    assert.equal(new TextDecoder().decode(await source.read(3, 4)), '3456');
    assert.equal(new TextDecoder().decode(await source.read(8, 100)), '89');
    await source.close?.();
    await assert.rejects(openFileSource(dir), /not a regular file/);
    await assert.rejects(openFileSource(join(dir, 'nope')), /no such file/);
  });
});
