/**
 * A progress line for long loops: label, bar, count, rate and ETA. On a TTY the line is redrawn in
 * place (carriage return, at most ~10 times a second); otherwise (logs, CI) a line is printed at
 * every 10% step or at most every 30 s, so log files stay short.
 */
export interface ProgressOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Force TTY / plain mode (default: the stream's isTTY). */
  tty?: boolean;
  barWidth?: number;
  now?: () => number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mmss = `${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

export class Progress {
  private done = 0;
  private readonly start: number;
  private lastDraw = -Infinity;
  private lastDecile = -1;
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly tty: boolean;
  private readonly now: () => number;
  private finished = false;

  constructor(private readonly label: string, private readonly total: number, private readonly opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? Boolean(this.stream.isTTY);
    this.now = opts.now ?? (() => performance.now());
    this.start = this.now();
  }

  /** Count `n` more items done; `note` (e.g. the item's name) is shown at the end of the line. */
  tick(n = 1, note = ''): void {
    this.done = Math.min(this.total, this.done + n);
    const t = this.now();
    if (this.tty) {
      if (t - this.lastDraw >= 100 || this.done === this.total) { this.stream.write(`\r${this.line(note)}\x1b[K`); this.lastDraw = t; }
      return;
    }
    const decile = this.total > 0 ? Math.floor((10 * this.done) / this.total) : 10;
    if (decile > this.lastDecile || t - this.lastDraw >= 30_000) {
      this.stream.write(`${this.line(note)}\n`);
      this.lastDecile = decile; this.lastDraw = t;
    }
  }

  /** Final line (once): the total time. */
  finish(summary = ''): void {
    if (this.finished) return;
    this.finished = true;
    const secs = (this.now() - this.start) / 1000;
    const text = `${this.label}: ${this.done}/${this.total} in ${formatDuration(secs)}${summary ? ` - ${summary}` : ''}`;
    this.stream.write(this.tty ? `\r${text}\x1b[K\n` : `${text}\n`);
  }

  /** The current status text (without control characters). */
  line(note = ''): string {
    const secs = (this.now() - this.start) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    const width = this.opts.barWidth ?? 24;
    const filled = this.total > 0 ? Math.round((width * this.done) / this.total) : width;
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const pct = this.total > 0 ? Math.floor((100 * this.done) / this.total) : 100;
    let text = `${this.label} ${bar} ${this.done}/${this.total} ${String(pct).padStart(3)}% ${rate.toFixed(rate < 10 ? 2 : 1)}/s ETA ${formatDuration(eta)}`;
    if (note) text += ` ${note}`;
    const cols = this.stream.columns;
    return cols && text.length > cols - 1 ? text.slice(0, cols - 1) : text;
  }
}
