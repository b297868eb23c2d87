/**
 * Background blur done by the browser itself: the camera track's `backgroundBlur` constraint
 * (Media Capture "platform effects"), which Chromium offers where the system's camera pipeline
 * can blur (ChromeOS, Windows Studio Effects, macOS) — no cloud service and no model shipped by
 * Parley. Where `track.getCapabilities()` lists no `backgroundBlur: true`, the app offers no
 * blur at all rather than a switch that does nothing.
 *
 * May import: nothing (DOM types only).
 */

/** What the capability and setting look like (not yet in TypeScript's DOM types). */
type BlurCapabilities = MediaTrackCapabilities & { backgroundBlur?: boolean[] };
type BlurSettings = MediaTrackSettings & { backgroundBlur?: boolean };

/** Whether the browser can blur the background of this camera track. */
export function canBlurBackground(track: MediaStreamTrack | null | undefined): boolean {
  if (track?.kind !== 'video' || typeof track.getCapabilities !== 'function') return false;
  const caps = track.getCapabilities() as BlurCapabilities;
  return Array.isArray(caps.backgroundBlur) && caps.backgroundBlur.includes(true);
}

/** Whether the track's background is blurred now. */
export function isBackgroundBlurred(track: MediaStreamTrack | null | undefined): boolean {
  return (track?.getSettings() as BlurSettings | undefined)?.backgroundBlur === true;
}

/**
 * Turns the blur on or off, keeping the track's other constraints (device, size). Resolves
 * whether the track now is as asked (false when the browser refused).
 */
export async function setBackgroundBlur(track: MediaStreamTrack, on: boolean): Promise<boolean> {
  if (!canBlurBackground(track)) return !on;
  try {
    await track.applyConstraints({ ...track.getConstraints(), backgroundBlur: on } as MediaTrackConstraints);
  } catch {
    // Chromium refuses to mix this "image capture" constraint with size or device ones
    // (OverconstrainedError): the blur alone leaves the others as they are.
    try {
      await track.applyConstraints({ backgroundBlur: on } as MediaTrackConstraints);
    } catch {
      return isBackgroundBlurred(track) === on;
    }
  }
  return isBackgroundBlurred(track) === on;
}
