import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { browserWakeSource, type WakeReason } from '../../../packages/client/src/signaling/wake-signals.ts';

class Target extends EventTarget {
  visibilityState = 'hidden';
}

function fire(target: EventTarget, type: string, extra: Record<string, unknown> = {}): void {
  target.dispatchEvent(Object.assign(new Event(type), extra));
}

describe('browserWakeSource', () => {
  it('reports visible, resume, persisted pageshow and online; ignores the rest', () => {
    const win = new Target();
    const doc = new Target();
    const seen: WakeReason[] = [];
    const off = browserWakeSource(win, doc)((r) => seen.push(r));
    fire(doc, 'visibilitychange'); // still hidden
    doc.visibilityState = 'visible';
    fire(doc, 'visibilitychange');
    fire(doc, 'resume');
    fire(win, 'pageshow', { persisted: false }); // a first load, not a restore
    fire(win, 'pageshow', { persisted: true });
    fire(win, 'online');
    fire(win, 'offline');
    assert.deepEqual(seen, ['visible', 'resume', 'pageshow', 'online']);
    off();
    fire(win, 'online');
    assert.equal(seen.length, 4, 'nothing after unsubscribing');
  });

  it('does nothing outside a browser', () => {
    const off = browserWakeSource(undefined, undefined)(() => assert.fail('no events in Node'));
    off();
  });
});
