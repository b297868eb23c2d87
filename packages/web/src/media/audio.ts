/**
 * Sound in the page: one shared AudioContext, audio level meters (AnalyserNode) for local and
 * remote streams, and the ring tones, synthesised with oscillators so the app ships no audio files.
 *
 * Browsers start an AudioContext suspended until the person interacts with the page; the app calls
 * {@link unlockAudio} from its first click (choosing a name), so a later incoming call can ring.
 */

let context: AudioContext | null = null;

/** The shared AudioContext, created on first use. */
export function audioContext(): AudioContext {
  context ??= new AudioContext({ latencyHint: 'interactive' });
  return context;
}

/** Resumes the AudioContext; call from a user gesture. */
export function unlockAudio(): void {
  const ctx = audioContext();
  if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
}

/** Reads the loudness of a stream's audio, 0..1, as often as it is asked. */
export interface LevelMeter {
  /** Current level, 0 (silence) to 1 (loud), with a fast attack and slow release. */
  read(): number;
  close(): void;
}

/**
 * Measures the audio level of `stream` with an AnalyserNode (RMS of the time-domain signal).
 * The node graph ends at the analyser: nothing is played back.
 */
export function createLevelMeter(stream: MediaStream): LevelMeter | null {
  if (stream.getAudioTracks().length === 0) return null;
  const ctx = audioContext();
  let source: MediaStreamAudioSourceNode;
  try {
    source = ctx.createMediaStreamSource(stream);
  } catch {
    return null;
  }
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  analyser.smoothingTimeConstant = 0.3;
  source.connect(analyser);
  const buffer = new Float32Array(analyser.fftSize);
  let level = 0;
  return {
    read() {
      analyser.getFloatTimeDomainData(buffer);
      let sum = 0;
      for (const v of buffer) sum += v * v;
      const rms = Math.sqrt(sum / buffer.length);
      // Map roughly -60 dBFS..-10 dBFS onto 0..1, which matches how loud speech feels.
      const db = 20 * Math.log10(rms || 1e-8);
      const target = Math.min(1, Math.max(0, (db + 60) / 50));
      level = target > level ? target : level * 0.85 + target * 0.15;
      return level;
    },
    close() {
      source.disconnect();
      analyser.disconnect();
    },
  };
}

/** A repeating tone pattern that can be stopped. */
export interface Tone {
  stop(): void;
}

function pattern(notes: { freqs: number[]; ms: number }[], periodMs: number, volume: number): Tone {
  const ctx = audioContext();
  if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
  const out = ctx.createGain();
  out.gain.value = volume;
  out.connect(ctx.destination);
  let stopped = false;
  const play = () => {
    if (stopped) return;
    let t = ctx.currentTime + 0.02;
    for (const note of notes) {
      for (const freq of note.freqs) {
        const osc = ctx.createOscillator();
        const env = ctx.createGain();
        osc.type = 'sine';
        osc.frequency.value = freq;
        env.gain.setValueAtTime(0, t);
        env.gain.linearRampToValueAtTime(1 / note.freqs.length, t + 0.02);
        env.gain.setValueAtTime(1 / note.freqs.length, t + note.ms / 1000 - 0.04);
        env.gain.linearRampToValueAtTime(0, t + note.ms / 1000);
        osc.connect(env).connect(out);
        osc.start(t);
        osc.stop(t + note.ms / 1000 + 0.01);
      }
      t += note.ms / 1000 + 0.06;
    }
  };
  play();
  const timer = setInterval(play, periodMs);
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      out.gain.setTargetAtTime(0, ctx.currentTime, 0.02);
      setTimeout(() => out.disconnect(), 200);
    },
  };
}

/** The ring of an incoming call: two soft chords, every 2.4 s. */
export function playRingtone(): Tone {
  return pattern(
    [
      { freqs: [659.25, 830.61], ms: 380 },
      { freqs: [587.33, 739.99], ms: 380 },
    ],
    2400,
    0.18,
  );
}

/** What the caller hears while the other side rings: one low tone every 3 s. */
export function playRingback(): Tone {
  return pattern([{ freqs: [440, 480], ms: 1200 }], 3000, 0.08);
}

/** A short two-note chime (someone joined, a message arrived). */
export function chime(up = true): void {
  const tone = pattern(
    up
      ? [
          { freqs: [784], ms: 110 },
          { freqs: [1046.5], ms: 160 },
        ]
      : [
          { freqs: [784], ms: 110 },
          { freqs: [587.33], ms: 160 },
        ],
    60_000,
    0.06,
  );
  setTimeout(() => tone.stop(), 600);
}
