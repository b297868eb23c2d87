/**
 * Messages between the page (e2ee-session.ts) and the E2EE worker (frame-worker.ts), and the
 * options each encoded transform carries. Types only, shared by both ends.
 *
 * May import nothing.
 */

/** What a transform does: encrypt our frames, or decrypt a remote sender's. */
export type TransformOp = 'encrypt' | 'decrypt';

/** Options of one transform (RTCRtpScriptTransform options, or sent with encoded streams). */
export interface TransformOptions {
  /** Unique per transform in this page. */
  id: number;
  op: TransformOp;
  kind: 'audio' | 'video';
  /** Who sends these frames: us (encrypt) or the remote member (decrypt). */
  sender: string;
}

/** Page → worker. */
export type ToWorker =
  | { type: 'self'; name: string }
  | { type: 'epoch'; epoch: number; material: Uint8Array }
  | { type: 'send-epoch'; epoch: number }
  | ({ type: 'streams'; readable: ReadableStream; writable: WritableStream } & TransformOptions)
  | { type: 'close'; id: number };

/** How a receiving transform is doing: `decrypting` after a good frame, `failing` after many bad ones. */
export type ReceiveState = 'decrypting' | 'failing';

/** Worker → page. */
export type FromWorker =
  | {
      type: 'receive-state';
      id: number;
      sender: string;
      kind: 'audio' | 'video';
      state: ReceiveState;
      decrypted: number;
      failed: number;
      reason?: string;
    }
  | { type: 'error'; message: string };
