/**
 * Receiver-paced reading for outgoing files. The SDK's sender paces itself on its own channel
 * buffer only; libdatachannel then delivers everything that arrives to the receiving process at
 * once, and a receiver whose JavaScript is slower than the network (hashing, disk, a busy host)
 * queues the difference in memory — measured: 670–760 MiB peak RSS receiving a 500 MiB file on
 * a loaded host. Making each read wait until the receiver has confirmed (`file.ack`) all but
 * `windowBytes` of what precedes it bounds what is in flight, whoever the receiver is.
 */
import type { FileSource } from '@parley/client';

/** Bytes the sender may be ahead of the receiver's confirmed offset. */
export const DEFAULT_WINDOW_BYTES = 16 * 1024 * 1024;
/** How often a waiting read looks at the confirmed offset again. */
const POLL_MS = 5;

/**
 * Wraps `source` so that `read(offset, …)` resolves only once `confirmed() >= offset -
 * windowBytes`. `confirmed` reads the transfer's confirmed bytes; `signal` ends waiting.
 */
export function windowedSource(
  source: FileSource,
  confirmed: () => number,
  options: { windowBytes?: number; signal?: AbortSignal } = {},
): FileSource {
  const windowBytes = options.windowBytes ?? DEFAULT_WINDOW_BYTES;
  return {
    name: source.name,
    size: source.size,
    type: source.type,
    ...(source.lastModified === undefined ? {} : { lastModified: source.lastModified }),
    async read(offset: number, length: number): Promise<Uint8Array> {
      while (offset - confirmed() > windowBytes) {
        if (options.signal?.aborted) throw options.signal.reason;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      return source.read(offset, length);
    },
  };
}
