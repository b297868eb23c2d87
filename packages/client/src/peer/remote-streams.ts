/**
 * The remote streams of a {@link PeerSession}, by stream id, as its tracks arrive: a track
 * delivered without a stream (engines that do not carry stream ids) gets a stream of its own,
 * and a stream the peer empties (it stopped sharing its screen) is forgotten. Imports the
 * engine helpers of ./rtc-compat.ts only.
 */
import { newMediaStream } from './rtc-compat.ts';

/** Remote streams by id; tells its owner when the peer removes a track. */
export class RemoteStreams {
  readonly #streams = new Map<string, MediaStream>();
  readonly #onRemoved: (track: MediaStreamTrack, stream: MediaStream) => void;

  /** `onRemoved` runs when the peer removes a track from one of the streams. */
  constructor(onRemoved: (track: MediaStreamTrack, stream: MediaStream) => void) {
    this.#onRemoved = onRemoved;
  }

  /** The streams received so far. */
  get all(): MediaStream[] {
    return [...this.#streams.values()];
  }

  /** Files the track of a `track` event under its stream; returns the stream. */
  add(ev: RTCTrackEvent): MediaStream {
    const track = ev.track;
    // Engines that do not carry stream ids still deliver the track: give it a stream of its own.
    let stream = ev.streams[0];
    if (!stream) {
      const key = `track:${track.id}`;
      stream = this.#streams.get(key) ?? newMediaStream(track);
      this.#streams.set(key, stream);
    }
    if (!this.#streams.has(stream.id)) {
      this.#streams.set(stream.id, stream);
      const s = stream;
      s.addEventListener?.('removetrack', (e: MediaStreamTrackEvent) => {
        this.#onRemoved(e.track, s);
        if (s.getTracks().length === 0) this.#streams.delete(s.id);
      });
    }
    return stream;
  }
}
