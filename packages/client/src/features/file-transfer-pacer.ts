/**
 * Two-watermark backpressure on an RTCDataChannel's `bufferedAmount`.
 *
 * The sender writes while `bufferedAmount` is under the high watermark, then waits until it falls
 * to the low watermark before writing again. The gap between the two keeps the SCTP queue
 * non-empty while JavaScript refills it (no idle link), and the high mark bounds memory: Chromium
 * closes a channel whose queue passes 16 MiB, so the high mark must stay well below that.
 *
 * Waking up relies on the `bufferedamountlow` event (`bufferedAmountLowThreshold` = low mark) with
 * a polling fallback: some stacks never fire the event (Node's `@roamhq/wrtc`, see
 * TESTING-WEBRTC.md), and an event lost to a race must not stall a transfer forever.
 */

/** The part of RTCDataChannel the pacer needs (so Node stacks and fakes fit). */
export interface PacedChannel {
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  readonly readyState: RTCDataChannelState;
  addEventListener(type: 'bufferedamountlow' | 'close', listener: () => void): void;
  removeEventListener(type: 'bufferedamountlow' | 'close', listener: () => void): void;
}

/** Watermarks and polling period. */
export interface Watermarks {
  /** Stop writing at or above this many buffered bytes. */
  highBytes: number;
  /** Resume writing at or below this many buffered bytes. */
  lowBytes: number;
  /** Polling period of the fallback, in milliseconds. */
  pollMs: number;
}

/** True when the sender may write another chunk now. */
export function canWrite(channel: Pick<PacedChannel, 'bufferedAmount'>, marks: Watermarks): boolean {
  return channel.bufferedAmount < marks.highBytes;
}

/**
 * Resolves `true` once the channel's buffer has drained to `marks.lowBytes`, or `false` as soon as
 * the channel is no longer open or `signal` aborts. Never rejects.
 */
export function waitForDrain(
  channel: PacedChannel,
  marks: Watermarks,
  signal?: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (drained: boolean) => {
      channel.removeEventListener('bufferedamountlow', check);
      channel.removeEventListener('close', check);
      signal?.removeEventListener('abort', check);
      resolve(drained);
    };
    function check() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      if (signal?.aborted || channel.readyState !== 'open') return finish(false);
      if (channel.bufferedAmount <= marks.lowBytes) return finish(true);
      timer = setTimeout(check, marks.pollMs);
    }
    channel.bufferedAmountLowThreshold = marks.lowBytes;
    channel.addEventListener('bufferedamountlow', check);
    channel.addEventListener('close', check);
    signal?.addEventListener('abort', check);
    check();
  });
}
