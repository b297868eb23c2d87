/**
 * The running SHA-256 of a file transfer, on `node:crypto` (OpenSSL, SHA extensions where the CPU
 * has them) instead of the SDK's JavaScript one: the CLI hands it to the SDK as
 * `fileTransfer.createHash`. Several times faster, so hashing no longer limits a transfer
 * between two CLIs (docs/BENCHMARKS.md, issue 17). May import node:crypto and the SDK's types.
 */
import { createHash, type Hash } from 'node:crypto';
import type { FileHash } from '@parley/client';

class NodeSha256 implements FileHash {
  readonly #hash: Hash;
  constructor(hash: Hash = createHash('sha256')) {
    this.#hash = hash;
  }
  update(bytes: Uint8Array): this {
    this.#hash.update(bytes);
    return this;
  }
  /** `Hash.copy()` duplicates the OpenSSL state: a snapshot at a chunk boundary, for resumes. */
  clone(): NodeSha256 {
    return new NodeSha256(this.#hash.copy());
  }
  hex(): string {
    return this.#hash.digest('hex');
  }
}

/** A new native SHA-256 for one transfer. */
export function nodeSha256(): FileHash {
  return new NodeSha256();
}
