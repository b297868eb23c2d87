/**
 * Simulcast encodings of the camera in SFU rooms: the browser encodes the camera up to three
 * times (a quarter, half and full size) and the SFU forwards each subscriber the one that fits
 * (see `layer-choice.ts`). Pure, so unit tests check the layouts.
 *
 * Three layers for a camera whose short side is at least 540 px (1280x720: 1280, 640 and 320
 * px wide), else none (one plain encoding). Chromium caps the layer count by resolution
 * (640x480 or 640x360 get two, 320x180 one) and drops the lowest layers over the cap; Janus
 * maps rids to substreams by position in a list of three (`h` → 2, `m` → 1, `l` → 0), so a
 * two-layer camera has no substream 0, and a subscriber asking for it stays stuck on whatever
 * layer it had (seen in test/e2e/sfu/sfu-media.test.ts). Below 540 px the camera therefore goes
 * out in one layer: small views get it whole, and a hidden one is still paused. Encodings are listed highest
 * first (rids `h`, `m`, `l`): Janus's VideoRoom reads the SDP's simulcast list in that order
 * (its substream 0 is the last rid), as its own janus.js sends it; listed lowest first, Janus's
 * substream 0 forwarded the full-size layer (seen in test/e2e/sfu/sfu-media.test.ts).
 */

/** One layer of the camera: its rid, how much smaller than the camera, and its bitrate cap. */
export interface SimulcastLayer {
  rid: string;
  scaleResolutionDownBy: number;
  maxBitrate: number;
}

/** Bits per second per pixel of a layer (1280x720 → about 1.5 Mbit/s, 320x180 → 100 kbit/s). */
const BITS_PER_PIXEL = 1.6;
const MIN_LAYER_BPS = 100_000;
const MAX_LAYER_BPS = 2_500_000;

/**
 * The camera's layers for a `width`×`height` track, highest first: three when its short side is
 * at least 540 px, else an empty list (send one plain encoding).
 */
export function simulcastLayers(width: number | undefined, height: number | undefined): SimulcastLayer[] {
  if (!width || !height || width <= 0 || height <= 0) return [];
  if (Math.min(width, height) < 540) return [];
  return ['h', 'm', 'l'].map((rid, i) => {
    const scale = 2 ** i;
    const pixels = (width / scale) * (height / scale);
    return {
      rid,
      scaleResolutionDownBy: scale,
      maxBitrate: Math.round(Math.min(MAX_LAYER_BPS, Math.max(MIN_LAYER_BPS, pixels * BITS_PER_PIXEL))),
    };
  });
}
