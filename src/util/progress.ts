/**
 * A progress line for long loops: label, bar, count, rate and ETA. On a TTY the line is redrawn in
 * place (carriage return, at most ~10 times a second); otherwise (logs, CI) a line is printed at
 * every 10% step or at most every 30 s, so log files stay short.
 *
 * Log lines while a bar is shown: `progress.log(msg)` (or `logLine(msg)`, which finds the bar)
 * clears the bar's line, prints the message and draws the bar again below it. On a terminal the
 * bar also does this for console.log/info/warn/error while it is shown, so code that prints
 * with console never glues its lines to the bar.
 */
export interface ProgressOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Force TTY / plain mode (default: the stream's isTTY). */
  tty?: boolean;
  barWidth?: number;
  now?: () => number;
  /** Route console output around the bar while it is shown (default: on a TTY, when the bar is on stderr or stdout). */
  guardConsole?: boolean;
}

type ConsoleMethod = 'log' | 'info' | 'warn' | 'error' | 'debug';
const CONSOLE_METHODS: readonly ConsoleMethod[] = ['log', 'info', 'warn', 'error', 'debug'];

/** The bar shown on a terminal now (the last one drawn and not finished). */
let shown: Progress | undefined;
let consoleRestore: (() => void) | undefined;

function guardConsole(): void {
  if (consoleRestore) return;
  const originals = CONSOLE_METHODS.map((m) => console[m]);
  const wrappers = CONSOLE_METHODS.map((m, i) => {
    const original = originals[i]!;
    const wrapper = (...args: unknown[]): void => {
      const bar = shown;
      bar?.clearLine();
      original.apply(console, args);
      bar?.redraw();
    };
    console[m] = wrapper;
    return wrapper;
  });
  consoleRestore = () => {
    // whoever replaced a method meanwhile keeps it
    CONSOLE_METHODS.forEach((m, i) => { if (console[m] === wrappers[i]) console[m] = originals[i]!; });
    consoleRestore = undefined;
  };
}

/**
 * Takes down the bar shown on a terminal without a final line (a command that failed mid-way): its
 * line is cleared and console output is no longer routed around it.
 */
export function abandonProgress(): void {
  shown?.abandon();
}

/** Prints one line above the bar shown on a terminal, if any; else like console.log. */
export function logLine(message: string): void {
  if (shown) shown.log(message);
  else console.log(message);
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
  private lastNote = '';
  /** The bar's line is on the screen (drawn, not cleared). */
  private visible = false;

  constructor(private readonly label: string, private readonly total: number, private readonly opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? Boolean(this.stream.isTTY);
    this.now = opts.now ?? (() => performance.now());
    this.start = this.now();
  }

  /** Prints `message` (to `out`, default console.log) as its own line; on a TTY the bar is cleared first and drawn again after it. */
  log(message: string, out?: NodeJS.WritableStream): void {
    const wasVisible = this.visible;
    this.clearLine();
    if (out) out.write(`${message}\n`);
    else console.log(message);
    if (wasVisible) this.redraw();
  }

  /** Removes the bar's line from a terminal (no effect otherwise). */
  clearLine(): void {
    if (!this.tty || !this.visible) return;
    this.stream.write('\r\x1b[K');
    this.visible = false;
  }

  /** Draws the bar again after clearLine (no effect when finished or not on a terminal). */
  redraw(): void {
    if (!this.tty || this.finished || this.visible) return;
    this.draw();
  }

  private draw(): void {
    this.stream.write(`\r${this.line(this.lastNote)}\x1b[K`);
    this.visible = true;
    if (shown !== this) {
      shown = this;
      const guard = this.opts.guardConsole ?? (this.stream === process.stderr || this.stream === process.stdout);
      if (guard) guardConsole();
    }
  }

  /** Count `n` more items done; `note` (e.g. the item's name) is shown at the end of the line. */
  tick(n = 1, note = ''): void {
    this.done = Math.min(this.total, this.done + n);
    const t = this.now();
    if (this.tty) {
      this.lastNote = note;
      if (t - this.lastDraw >= 100 || this.done === this.total) { this.draw(); this.lastDraw = t; }
      return;
    }
    const decile = this.total > 0 ? Math.floor((10 * this.done) / this.total) : 10;
    if (decile > this.lastDecile || t - this.lastDraw >= 30_000) {
      this.stream.write(`${this.line(note)}\n`);
      this.lastDecile = decile; this.lastDraw = t;
    }
  }

  /** Clears the bar's line and stops it, without a final line. */
  abandon(): void {
    this.clearLine();
    this.finished = true;
    this.release();
  }

  private release(): void {
    if (shown !== this) return;
    shown = undefined;
    consoleRestore?.();
  }

  /** Final line (once): the total time. */
  finish(summary = ''): void {
    if (this.finished) return;
    this.finished = true;
    const secs = (this.now() - this.start) / 1000;
    const text = `${this.label}: ${this.done}/${this.total} in ${formatDuration(secs)}${summary ? ` - ${summary}` : ''}`;
    this.stream.write(this.tty ? `\r${text}\x1b[K\n` : `${text}\n`);
    this.visible = false;
    this.release();
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
