// Progress of long steps (package installs, first backups) while they run.
//   On a terminal: one status line at the bottom, redrawn every second with the elapsed
//   time of each running step; other output is written above it.
//   Elsewhere (CI logs, pipes): nothing animated — a line every 30 s per running step,
//   "still running … 60 s".

export interface ProgressOptions {
  out: NodeJS.WritableStream;
  /** Redraw a status line in place (stderr is a terminal). */
  tty: boolean;
  /** Terminal width; the status line is cut to fit so it never wraps. */
  columns?: number;
  /** Between two "still running" lines when not on a terminal (default 30 s). */
  quietIntervalMs?: number;
  dim?: (s: string) => string;
  now?: () => number;
}

interface Running {
  label: string;
  since: number;
  timer?: NodeJS.Timeout;
}

const CLEAR = '\r\x1b[2K';

export class Progress {
  private readonly running = new Map<string, Running>();
  private ticker?: NodeJS.Timeout;
  private drawn = false;
  private readonly now: () => number;
  private readonly dim: (s: string) => string;

  constructor(private readonly o: ProgressOptions) {
    this.now = o.now ?? Date.now;
    this.dim = o.dim ?? ((s) => s);
  }

  /** A long step started on `key` (a host). */
  start(key: string, label: string): void {
    this.stop(key);
    const r: Running = { label, since: this.now() };
    this.running.set(key, r);
    if (this.o.tty) {
      if (!this.ticker) {
        this.ticker = setInterval(() => this.draw(), 1000);
        this.ticker.unref();
      }
      this.draw();
    } else {
      r.timer = setInterval(() => this.o.out.write(`${this.dim(`${key}: still running: ${label} … ${this.elapsed(r)} s`)}\n`), this.o.quietIntervalMs ?? 30_000);
      r.timer.unref();
    }
  }

  stop(key: string): void {
    const r = this.running.get(key);
    if (!r) return;
    if (r.timer) clearInterval(r.timer);
    this.running.delete(key);
    if (this.o.tty) {
      if (this.running.size === 0) {
        if (this.ticker) clearInterval(this.ticker);
        this.ticker = undefined;
        this.clear();
      } else {
        this.draw();
      }
    }
  }

  stopAll(): void {
    for (const key of [...this.running.keys()]) this.stop(key);
  }

  /** Write a line of ordinary output, keeping the status line (if any) below it. */
  line(text: string): void {
    this.clear();
    this.o.out.write(`${text}\n`);
    if (this.o.tty && this.running.size > 0) this.draw();
  }

  private elapsed(r: Running): number {
    return Math.floor((this.now() - r.since) / 1000);
  }

  private clear(): void {
    if (!this.drawn) return;
    this.o.out.write(CLEAR);
    this.drawn = false;
  }

  private draw(): void {
    const parts = [...this.running].map(([key, r]) => `${key}: ${r.label} … ${this.elapsed(r)} s`);
    let text = `⏳ ${parts.join(' | ')}`;
    const width = Math.max(20, (this.o.columns ?? 80) - 1);
    if ([...text].length > width) text = `${[...text].slice(0, width - 1).join('')}…`;
    this.o.out.write(`${CLEAR}${this.dim(text)}`);
    this.drawn = true;
  }
}
