/**
 * Pure formatting for the terminal: sizes, rates, durations and the progress line. Binary units
 * (KiB, MiB) because file sizes on disk are shown that way by `ls -h` and friends.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `1536` → `"1.5 KiB"`; three significant digits, whole bytes below 1 KiB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const text = value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
  return `${text} ${UNITS[unit]}`;
}

/** Bytes per second as `"12.3 MiB/s"`; `"-- B/s"` while unknown. */
export function formatRate(bytesPerSec: number): string {
  if (!Number.isFinite(bytesPerSec) || bytesPerSec <= 0) return '-- B/s';
  return `${formatBytes(bytesPerSec)}/s`;
}

/** Milliseconds as `m:ss` or `h:mm:ss`; `"--:--"` when unknown. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '--:--';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Whole percent, floored so 100% only shows when every byte is done. */
export function formatPercent(bytes: number, total: number): string {
  if (total <= 0) return '100%';
  const pct = Math.floor((Math.min(bytes, total) / total) * 100);
  return `${pct}%`;
}

/** An ASCII bar `[=====>    ]` of `width` characters including the brackets. */
export function formatBar(fraction: number, width: number): string {
  const inner = Math.max(1, width - 2);
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.floor(f * inner);
  if (filled >= inner) return `[${'='.repeat(inner)}]`;
  return `[${'='.repeat(filled)}>${' '.repeat(inner - filled - 1)}]`;
}

/** What one progress line shows. */
export interface ProgressView {
  /** Label, usually the file name. */
  label: string;
  bytes: number;
  total: number;
  rateBytesPerSec: number;
  /** Time left in milliseconds; null when unknown. */
  etaMs: number | null;
}

/**
 * One progress line fitted to `columns`:
 * `report.pdf  [=======>      ]  42%  12.3 MiB/s  0:12 left`. The bar shrinks first, then the
 * label is shortened with an ellipsis in the middle (so the extension stays visible).
 */
export function formatProgressLine(view: ProgressView, columns: number): string {
  const pct = formatPercent(view.bytes, view.total).padStart(4);
  const rate = formatRate(view.rateBytesPerSec).padStart(12);
  const eta = view.bytes >= view.total ? '   done' : `${formatDuration(view.etaMs)} left`.padStart(10);
  const tail = `  ${pct}  ${rate}  ${eta}`;
  const room = Math.max(10, columns - 1) - tail.length;
  const barWidth = Math.min(32, Math.max(0, room - 12));
  const labelWidth = Math.max(4, room - (barWidth > 0 ? barWidth + 2 : 0));
  const label = shorten(view.label, labelWidth).padEnd(labelWidth);
  const bar = barWidth >= 5 ? `  ${formatBar(view.total > 0 ? view.bytes / view.total : 1, barWidth)}` : '';
  return `${label}${bar}${tail}`.slice(0, Math.max(10, columns - 1)).trimEnd();
}

/** Shortens `text` to `width` characters with `…` in the middle. */
export function shorten(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return '…';
  const keepEnd = Math.floor((width - 1) / 2);
  const keepStart = width - 1 - keepEnd;
  return `${chars.slice(0, keepStart).join('')}…${chars.slice(chars.length - keepEnd).join('')}`;
}

/** A plain (non-TTY) progress line for logs: `report.pdf 42% 12.3 MiB of 29.1 MiB, 12.3 MiB/s, 0:12 left`. */
export function formatPlainProgress(view: ProgressView): string {
  const left = view.bytes >= view.total ? 'done' : `${formatDuration(view.etaMs)} left`;
  return (
    `${view.label} ${formatPercent(view.bytes, view.total)} ` +
    `${formatBytes(view.bytes)} of ${formatBytes(view.total)}, ${formatRate(view.rateBytesPerSec)}, ${left}`
  );
}
