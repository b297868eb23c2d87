/**
 * A small live plot of two series over the last minute (bitrate and round-trip time), drawn on a
 * canvas. Each series has its own scale, labelled at its top-left / top-right corner, so both
 * stay readable whatever their magnitude. The canvas is decorative for screen readers: the same
 * numbers are in the metrics above it.
 */
import { h } from '../ui/dom.ts';

/** One plotted series. */
export interface SeriesSpec {
  label: string;
  color: string;
  /** Formats the scale's top value. */
  format: (value: number) => string;
}

interface Point {
  t: number;
  values: (number | undefined)[];
}

/** A two-series plot over a sliding time window. */
export class LivePlot {
  readonly el: HTMLElement;
  readonly #canvas: HTMLCanvasElement;
  readonly #series: SeriesSpec[];
  readonly #windowMs: number;
  #points: Point[] = [];

  constructor(series: SeriesSpec[], windowMs = 60_000) {
    this.#series = series;
    this.#windowMs = windowMs;
    this.#canvas = h('canvas', { 'aria-hidden': 'true', width: 320, height: 90 });
    this.el = h(
      'div',
      { class: 'plot' },
      this.#canvas,
      h(
        'div',
        { class: 'plot-legend', 'aria-hidden': 'true' },
        series.map((s) => h('span', { style: `--c:${s.color}` }, s.label)),
        h('span', { style: 'margin-left:auto;--c:transparent' }, 'last minute'),
      ),
    );
  }

  /** Adds a sample (one value per series; undefined = unknown) and redraws. */
  push(values: (number | undefined)[], t = performance.now()): void {
    this.#points.push({ t, values });
    const cutoff = t - this.#windowMs;
    while (this.#points.length > 2 && this.#points[0]!.t < cutoff) this.#points.shift();
    this.draw(t);
  }

  /** Draws the current window. */
  draw(now = performance.now()): void {
    const canvas = this.#canvas;
    const dpr = window.devicePixelRatio || 1;
    const cssW = canvas.clientWidth || 320;
    const cssH = canvas.clientHeight || 90;
    if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(cssH * dpr);
    }
    const g = canvas.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cssW, cssH);
    const top = 18;
    const bottom = cssH - 6;
    // Grid lines.
    g.strokeStyle = 'rgba(255,255,255,0.06)';
    g.lineWidth = 1;
    for (let i = 0; i <= 3; i++) {
      const y = Math.round(top + ((bottom - top) * i) / 3) + 0.5;
      g.beginPath();
      g.moveTo(0, y);
      g.lineTo(cssW, y);
      g.stroke();
    }
    const x = (t: number) => cssW - ((now - t) / this.#windowMs) * cssW;
    g.font = '11px ui-sans-serif, system-ui, sans-serif';
    this.#series.forEach((spec, si) => {
      const values = this.#points
        .map((p) => p.values[si])
        .filter((v): v is number => v !== undefined && Number.isFinite(v));
      const max = niceMax(Math.max(0, ...values));
      g.fillStyle = spec.color;
      g.textAlign = si === 0 ? 'left' : 'right';
      g.fillText(values.length ? spec.format(max) : '—', si === 0 ? 6 : cssW - 6, 12);
      if (values.length < 2) return;
      g.strokeStyle = spec.color;
      g.lineWidth = 1.75;
      g.lineJoin = 'round';
      g.beginPath();
      let started = false;
      for (const p of this.#points) {
        const v = p.values[si];
        if (v === undefined || !Number.isFinite(v)) {
          started = false;
          continue;
        }
        const px = x(p.t);
        const py = bottom - (max > 0 ? (v / max) * (bottom - top) : 0);
        if (started) g.lineTo(px, py);
        else g.moveTo(px, py);
        started = true;
      }
      g.stroke();
    });
  }
}

/** Rounds a maximum up to 1, 2 or 5 times a power of ten, so scales read well. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}
