/**
 * Simulcast encodings of the camera in SFU rooms: the browser encodes the camera up to three
 * times (a quarter, half and full size) and the SFU forwards each subscriber the one that fits
 * (see `layer-choice.ts`). Pure, so unit tests check the layouts.
 *
 * Layer count follows the camera's size, as Chromium's own limit does (1280x720 gives three
 * layers, 640x360 two, 320x180 one): asking for more than the encoder makes only disables the
 * extra ones, and a layer under ~160 px is not worth its bits. Encodings are listed highest
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
 * The camera's layers for a `width`×`height` track, highest first: 3 when its short side is at least 540 px,
 * 2 from 270 px, else 1 (returned as an empty list: send without simulcast).
 */
export function simulcastLayers(width: number | undefined, height: number | undefined): SimulcastLayer[] {
  if (!width || !height || width <= 0 || height <= 0) return [];
  const short = Math.min(width, height);
  const count = short >= 540 ? 3 : short >= 270 ? 2 : 1;
  if (count === 1) return [];
  const rids = ['h', 'm', 'l'].slice(0, count);
  return rids.map((rid, i) => {
    const scale = 2 ** i;
    const pixels = (width / scale) * (height / scale);
    return {
      rid,
      scaleResolutionDownBy: scale,
      maxBitrate: Math.round(Math.min(MAX_LAYER_BPS, Math.max(MIN_LAYER_BPS, pixels * BITS_PER_PIXEL))),
    };
  });
}
