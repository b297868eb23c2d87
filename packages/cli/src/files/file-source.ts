/**
 * A file on disk as the SDK's `FileSource`: reads at offsets through one `FileHandle`, so a
 * transfer holds only the block being sent in memory, whatever the file's size.
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FileSource } from '@parley/client';
import { CliError } from '../exit-codes.ts';

/** Opens `path` for sending. Rejects with a usage error when it is missing, a directory or unreadable. */
export async function openFileSource(path: string): Promise<FileSource & { path: string }> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new CliError('usage', 'FILE_UNREADABLE', `cannot read ${path}: ${why}`, { cause: err });
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new CliError('usage', 'FILE_UNREADABLE', `cannot send ${path}: not a regular file`);
  }
  let closed = false;
  return {
    path,
    name: basename(path),
    size: stat.size,
    type: '',
    lastModified: Math.floor(stat.mtimeMs),
    async read(offset: number, length: number): Promise<Uint8Array> {
      const buffer = new Uint8Array(Math.max(0, Math.min(length, stat.size - offset)));
      let filled = 0;
      // A read may return fewer bytes than asked; loop until the slice is full or the file ends.
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return filled === buffer.length ? buffer : buffer.subarray(0, filled);
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}
