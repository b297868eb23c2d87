/**
 * Which simulcast layer of each member's camera an {@link SfuSession} receives, or whether it is
 * paused: it follows the app's view of the camera, the active speaker and the subscriber link's
 * health (the decisions are pure, in `layer-choice.ts`). Changes go out as `sfu.configure`,
 * debounced, only when they change something, in the subscriber connection's queue; a change
 * the stats do not show in time is said again.
 *
 * Imports: protocol (types), layer-choice (decisions), stats (report type). No emitter of its
 * own: the session passes in what to call on a change ({@link SfuLayersHost}).
 */
import type { ClientMessage, ServerMessage, SfuStream } from '@parley/protocol';
import type { StatsReportLike } from '../features/stats.ts';
import {
  chooseFeedLayer,
  type FeedLayer,
  initialLinkCap,
  judgeLinkHealth,
  judgeSwitch,
  type LinkCapState,
  layerChange,
  nextLinkCap,
  type PendingSwitch,
  type Substream,
  type VideoView,
} from './layer-choice.ts';

/** What the layer control needs from its session. */
export interface SfuLayersHost {
  room: string;
  request(msg: ClientMessage): Promise<ServerMessage>;
  /** mid → stream of the current subscriber offer. */
  streams(): ReadonlyMap<string, SfuStream>;
  /** Runs `fn` in the subscriber connection's queue (rejects once the session closed). */
  enqueue(name: string, fn: () => Promise<void>): Promise<void>;
  /** A configure failed (not final: the next change tries again). */
  onError(error: Error): void;
  /** The link's layer cap changed. */
  onLinkCap(cap: Substream): void;
  /** Device pixels per CSS pixel; default `globalThis.devicePixelRatio` or 1. */
  devicePixelRatio?: number;
  /** Wait before `sfu.configure` goes out. */
  debounceMs: number;
}

/** The layer control of one SFU session's subscriber connection. */
export class SfuLayers {
  readonly #host: SfuLayersHost;
  readonly #views = new Map<string, VideoView>();
  #speaker: string | undefined;
  #cap: LinkCapState = initialLinkCap(Date.now());
  #healthPrev: StatsReportLike | null = null;
  #healthPrevMs = 0;
  /** What the SFU was last told per feed (absent: nothing yet for this subscription). */
  readonly #sent = new Map<string, FeedLayer>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Each camera's received frame height and frames decoded, from the last stats report. */
  readonly #cameraIn = new Map<string, { frameHeight: number; framesDecoded: number }>();
  /** Layer changes sent and not yet seen in the stats, by feed. */
  readonly #pending = new Map<string, PendingSwitch>();
  /** Feeds whose layer waits for their first decoded frame (see `#apply`). */
  readonly #awaitingFrames = new Set<string>();
  #closed = false;

  constructor(host: SfuLayersHost) {
    this.#host = host;
  }

  /** The highest layer the subscriber link gets now (2 unless it struggled). */
  get cap(): Substream {
    return this.#cap.cap;
  }

  /** What the SFU was last told for `name`'s video. */
  sentTo(name: string): FeedLayer | undefined {
    return this.#sent.get(name);
  }

  /** A configure sent by the app directly (`SfuSession.configure`): remember what the SFU was told. */
  configured(name: string, change: { substream?: Substream; paused?: boolean }): void {
    const prev = this.#sent.get(name) ?? { substream: 2, paused: false };
    this.#sent.set(name, {
      substream: change.substream ?? prev.substream,
      paused: change.paused ?? prev.paused,
    });
  }

  /** How the app shows `name`'s camera (CSS pixels, or `hidden`). */
  setView(name: string, view: VideoView | undefined): void {
    if (view === undefined) this.#views.delete(name);
    else this.#views.set(name, view);
    this.schedule();
  }

  /** The active speaker gets one layer more. */
  setSpeaker(name: string | undefined): void {
    if (this.#speaker === name) return;
    this.#speaker = name;
    this.schedule();
  }

  /** A subscriber stats report: watches layer switches, judges the link about once a second. */
  onStats(report: StatsReportLike, nowMs: number): void {
    if (this.#closed) return;
    this.#watchSwitches(report, nowMs);
    if (!this.#healthPrev) {
      this.#healthPrev = report;
      this.#healthPrevMs = nowMs;
      return;
    }
    if (nowMs - this.#healthPrevMs < 900) return;
    const judged = judgeLinkHealth(this.#healthPrev, report);
    this.#healthPrev = report;
    this.#healthPrevMs = nowMs;
    const before = this.#cap.cap;
    this.#cap = nextLinkCap(this.#cap, judged.health, nowMs);
    if (this.#cap.cap !== before) {
      this.#host.onLinkCap(this.#cap.cap);
      this.schedule();
    }
  }

  /**
   * The subscription changed from the feeds `before` to `now`: feeds new to it start from the
   * SFU's defaults (tell it our choice again); feeds no longer in it are forgotten.
   */
  subscriptionChanged(before: ReadonlySet<string>, now: ReadonlySet<string>): void {
    for (const name of new Set([
      ...this.#sent.keys(),
      ...this.#cameraIn.keys(),
      ...this.#pending.keys(),
      ...this.#awaitingFrames,
    ])) {
      if (now.has(name) && before.has(name)) continue;
      this.#sent.delete(name);
      this.#pending.delete(name);
      this.#cameraIn.delete(name);
      this.#awaitingFrames.delete(name);
    }
  }

  /** A fresh subscriber connection: the SFU was told nothing for it yet. */
  reset(): void {
    this.#sent.clear();
  }

  /** Sends the layers that changed, after the debounce. */
  schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // Rejects only once the session closed: nothing is left to configure then.
      this.#host.enqueue('configure layers', () => this.#apply()).catch(() => {});
    }, this.#host.debounceMs);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  /** Sends `sfu.configure` for every received camera whose wanted layer differs from the last sent. */
  async #apply(): Promise<void> {
    const dpr =
      this.#host.devicePixelRatio ?? (globalThis as { devicePixelRatio?: number }).devicePixelRatio ?? 1;
    const cameras = new Set<string>();
    for (const s of this.#host.streams().values())
      if (s.kind === 'video' && s.source !== 'screen') cameras.add(s.feed);
    for (const name of cameras) {
      const wanted = chooseFeedLayer({
        view: this.#views.get(name),
        devicePixelRatio: dpr,
        speaking: this.#speaker === name,
        cap: this.#cap.cap,
      });
      // A pause stops the camera only: the member is still heard, its screen share still shown.
      const prev = this.#sent.get(name);
      const change = layerChange(wanted, prev);
      if (!change) continue;
      // A layer switch is only seen, and so checked, once frames flow: until then the feed
      // keeps the SFU's default (its top layer). A pause needs no frames.
      const flowing = (this.#cameraIn.get(name)?.framesDecoded ?? 0) > 0;
      if (!wanted.paused && !flowing) {
        this.#awaitingFrames.add(name);
        continue;
      }
      try {
        await this.#host.request({ type: 'sfu.configure', room: this.#host.room, feed: name, ...change });
        this.#sent.set(name, wanted);
        this.#expectSwitch(name, prev, wanted);
      } catch (err) {
        this.#host.onError(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  /**
   * Remembers a change that should show in the stats (a resume, another layer). Before our
   * first word the SFU forwards its default, the top layer.
   */
  #expectSwitch(name: string, sent: FeedLayer | undefined, wanted: FeedLayer): void {
    this.#pending.delete(name);
    const prev = sent ?? { substream: 2, paused: false };
    if (wanted.paused) return;
    const kind = prev.paused
      ? 'resume'
      : wanted.substream > prev.substream
        ? 'up'
        : wanted.substream < prev.substream
          ? 'down'
          : undefined;
    if (!kind) return;
    const now = this.#cameraIn.get(name) ?? { frameHeight: 0, framesDecoded: 0 };
    this.#pending.set(name, {
      kind,
      baseHeight: now.frameHeight,
      baseFrames: now.framesDecoded,
      sinceMs: Date.now(),
      nudges: 0,
    });
  }

  /**
   * Reads each camera's received frames from a subscriber report and says a stalled layer change
   * again (see `PendingSwitch` in layer-choice.ts): through another layer and back, so the SFU
   * sees a change and asks the publisher for a keyframe once more.
   */
  #watchSwitches(report: StatsReportLike, nowMs: number): void {
    const streams = this.#host.streams();
    for (const v of report.values()) {
      const s = v as {
        type?: string;
        kind?: string;
        mid?: string;
        frameHeight?: number;
        framesDecoded?: number;
      };
      if (s.type !== 'inbound-rtp' || s.kind !== 'video' || s.mid === undefined) continue;
      const info = streams.get(s.mid);
      if (!info || info.source === 'screen') continue;
      this.#cameraIn.set(info.feed, { frameHeight: s.frameHeight ?? 0, framesDecoded: s.framesDecoded ?? 0 });
      if ((s.framesDecoded ?? 0) > 0 && this.#awaitingFrames.delete(info.feed)) this.schedule();
    }
    for (const [name, p] of this.#pending) {
      const now = this.#cameraIn.get(name);
      const wanted = this.#sent.get(name);
      if (!now || !wanted || wanted.paused) {
        this.#pending.delete(name);
        continue;
      }
      const verdict = judgeSwitch(p, now, nowMs);
      if (verdict === 'wait') continue;
      if (verdict !== 'nudge') {
        this.#pending.delete(name);
        continue;
      }
      p.nudges++;
      p.sinceMs = nowMs;
      const via = (wanted.substream === 0 ? 1 : wanted.substream - 1) as Substream;
      this.#host
        .enqueue('nudge layer', async () => {
          if (this.#sent.get(name) !== wanted) return;
          const configure = (substream: Substream) =>
            this.#host.request({ type: 'sfu.configure', room: this.#host.room, feed: name, substream });
          await configure(via);
          await configure(wanted.substream);
        })
        .catch((err: unknown) => {
          if (!this.#closed) this.#host.onError(err instanceof Error ? err : new Error(String(err)));
        });
    }
  }
}
