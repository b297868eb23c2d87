/**
 * A room's active speaker: the room's connections are polled (`getStats()`, every
 * {@link STATS_INTERVAL_MS}) for received audio levels, and the loudest member, with the
 * hysteresis of {@link ActiveSpeakerDetector}, is the active speaker. In SFU mode the same report
 * also tells the SFU session how the subscriber link fares.
 *
 * Imports: active-speaker (levels, detector), stats (report type), log, peer and sfu (types).
 */
import { ActiveSpeakerDetector, audioLevelsFromStats } from './features/active-speaker.ts';
import type { StatsReportLike } from './features/stats.ts';
import type { Logger } from './log.ts';
import type { PeerSession } from './peer/peer-session.ts';
import type { SfuSession } from './sfu/sfu-session.ts';

/** How often the room reads `getStats()` for audio levels (and the SFU link's health). */
export const STATS_INTERVAL_MS = 300;

/** What the poll reads from its room. */
export interface SpeakerPollHost {
  room: string;
  log: Logger;
  /** The room's SFU session in SFU mode, else undefined (then the peer sessions are read). */
  sfu(): SfuSession | undefined;
  peers(): Iterable<PeerSession>;
  /** Whether the room was left (polling stops counting then). */
  left(): boolean;
  /** The active speaker changed. */
  onChange(name: string | undefined): void;
}

/** Polls a room's received audio levels and keeps its active speaker. */
export class SpeakerPoll {
  readonly #host: SpeakerPollHost;
  readonly #speakers = new ActiveSpeakerDetector();
  #active: string | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #polling = false;
  /** Last stats report per connection (peer session or the SFU subscriber), for interval levels. */
  #lastReports = new WeakMap<RTCPeerConnection, StatsReportLike>();

  constructor(host: SpeakerPollHost) {
    this.#host = host;
  }

  /** The member speaking loudest now, or undefined. */
  get active(): string | undefined {
    return this.#active;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.#poll(), STATS_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Media moved (mesh ↔ SFU): levels start afresh, nobody speaks yet. */
  reset(): void {
    this.#speakers.reset();
    this.#set(undefined);
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#host.left()) return;
    this.#polling = true;
    try {
      const levels = new Map<string, number>();
      const sfu = this.#host.sfu();
      if (sfu) {
        const pc = sfu.subscriber;
        if (pc) {
          const report = await pc.getStats();
          sfu.onSubscriberStats(report);
          for (const [name, level] of audioLevelsFromStats(this.#lastReports.get(pc) ?? null, report, (s) =>
            sfu.memberOf(s),
          ))
            levels.set(name, level);
          this.#lastReports.set(pc, report);
        }
      } else {
        for (const peer of this.#host.peers()) {
          const pc = peer.pc;
          // Node peers (the CLI's adapter) may have no getStats: no levels from them.
          if (pc.connectionState !== 'connected' || typeof pc.getStats !== 'function') continue;
          const report = await pc.getStats();
          const level = audioLevelsFromStats(
            this.#lastReports.get(pc) ?? null,
            report,
            () => peer.remoteName,
          );
          this.#lastReports.set(pc, report);
          const l = level.get(peer.remoteName);
          if (l !== undefined) levels.set(peer.remoteName, l);
        }
      }
      if (this.#host.left() || sfu !== this.#host.sfu()) return;
      this.#set(this.#speakers.update(levels, Date.now()));
    } catch (error) {
      this.#host.log.debug('stats poll failed', { room: this.#host.room, error: String(error) });
    } finally {
      this.#polling = false;
    }
  }

  #set(name: string | undefined): void {
    if (name === this.#active) return;
    this.#active = name;
    this.#host.onChange(name);
  }
}
