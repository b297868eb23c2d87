/**
 * Background blur by the browser (packages/web/src/media/background-blur.ts): offered only where
 * the camera track lists `backgroundBlur: true` among its capabilities; switching keeps the
 * track's other constraints and reports a refusal instead of pretending.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canBlurBackground,
  isBackgroundBlurred,
  setBackgroundBlur,
} from '../../../packages/web/src/media/background-blur.ts';

/** A camera track as much as the module reads of one. */
function fakeTrack(options: { caps?: boolean[]; refuse?: boolean; noMixing?: boolean; kind?: string } = {}) {
  const state = { constraints: { deviceId: 'cam-1', width: 1280 } as Record<string, unknown>, blur: false };
  const track = {
    kind: options.kind ?? 'video',
    getCapabilities: () => (options.caps ? { backgroundBlur: options.caps } : {}),
    getConstraints: () => state.constraints,
    getSettings: () => (options.caps ? { backgroundBlur: state.blur } : {}),
    applyConstraints: async (c: Record<string, unknown>) => {
      if (options.refuse) throw new Error('OverconstrainedError');
      if (options.noMixing && Object.keys(c).length > 1)
        throw new Error('OverconstrainedError: Mixing ImageCapture');
      state.constraints = { ...state.constraints, ...c };
      state.blur = c.backgroundBlur === true;
    },
  };
  return { track: track as unknown as MediaStreamTrack, state };
}

describe('web › background blur', () => {
  it('is offered only where the capability includes true', () => {
    assert.equal(canBlurBackground(fakeTrack({ caps: [false, true] }).track), true);
    assert.equal(canBlurBackground(fakeTrack({ caps: [false] }).track), false);
    assert.equal(canBlurBackground(fakeTrack().track), false, 'no capability (Firefox, Linux)');
    assert.equal(canBlurBackground(fakeTrack({ caps: [true], kind: 'audio' }).track), false);
    assert.equal(canBlurBackground(null), false);
  });

  it('switches on and off, keeping the device and size constraints', async () => {
    const { track, state } = fakeTrack({ caps: [false, true] });
    assert.equal(await setBackgroundBlur(track, true), true);
    assert.equal(isBackgroundBlurred(track), true);
    assert.deepEqual(state.constraints, { deviceId: 'cam-1', width: 1280, backgroundBlur: true });
    assert.equal(await setBackgroundBlur(track, false), true);
    assert.equal(isBackgroundBlurred(track), false);
  });

  it('says so when the browser refuses, and never claims blur it cannot do', async () => {
    assert.equal(
      await setBackgroundBlur(fakeTrack({ caps: [false, true], refuse: true }).track, true),
      false,
    );
    assert.equal(await setBackgroundBlur(fakeTrack().track, true), false);
    assert.equal(await setBackgroundBlur(fakeTrack().track, false), true);
  });

  it('where Chromium refuses to mix the blur with size constraints, asks for the blur alone', async () => {
    const { track, state } = fakeTrack({ caps: [false, true], noMixing: true });
    assert.equal(await setBackgroundBlur(track, true), true);
    assert.deepEqual(state.constraints, { deviceId: 'cam-1', width: 1280, backgroundBlur: true });
    assert.equal(await setBackgroundBlur(track, false), true);
    assert.equal(isBackgroundBlurred(track), false);
  });
});
