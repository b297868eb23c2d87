/**
 * The E2EE CPU benchmark's control worker: takes the same encoded-transform path as the real
 * E2EE worker (every frame handed to this worker and back) but passes frames on unchanged, so
 * the benchmark can tell the cost of the transform plumbing from the cost of the cipher. It
 * ignores the page's key messages. Never shipped; imports nothing.
 */
interface Transformer {
  readable: ReadableStream;
  writable: WritableStream;
}
const scope = globalThis as unknown as {
  addEventListener(type: string, fn: (ev: MessageEvent & { transformer?: Transformer }) => void): void;
};
function pass(readable: ReadableStream, writable: WritableStream): void {
  readable.pipeTo(writable).catch(() => {});
}
scope.addEventListener('message', (ev) => {
  const msg = ev.data as { type?: string; readable?: ReadableStream; writable?: WritableStream };
  if (msg.type === 'streams' && msg.readable && msg.writable) pass(msg.readable, msg.writable);
});
scope.addEventListener('rtctransform', (ev) => {
  if (ev.transformer) pass(ev.transformer.readable, ev.transformer.writable);
});
