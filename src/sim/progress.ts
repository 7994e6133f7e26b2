/**
 * A progress line on stderr: redrawn in place on a terminal, a plain line every 10 s otherwise.
 */
import type { Snapshot } from "./metrics.js";

export interface ProgressSource {
  snapshot(): Snapshot & { phase: string; progress: number | undefined };
}

export class ProgressBar {
  readonly #timer: NodeJS.Timeout;
  readonly #tty: boolean;
  readonly #stream: NodeJS.WriteStream;
  #lastPlain = 0;
  #drawn = false;

  constructor(source: ProgressSource, stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#tty = Boolean(stream.isTTY);
    this.#timer = setInterval(() => this.#draw(source.snapshot()), this.#tty ? 200 : 1_000);
    this.#timer.unref();
  }

  #draw(s: ReturnType<ProgressSource["snapshot"]>): void {
    const line = formatProgress(s, this.#tty ? Math.max(10, Math.min(30, (this.#stream.columns ?? 100) - 90)) : 20);
    if (this.#tty) {
      this.#stream.write(`\r\x1b[2K${line}`);
      this.#drawn = true;
    } else if (s.elapsedS - this.#lastPlain >= 10) {
      this.#lastPlain = s.elapsedS;
      this.#stream.write(line + "\n");
    }
  }

  /** Stops drawing and clears the line. */
  stop(): void {
    clearInterval(this.#timer);
    if (this.#tty && this.#drawn) this.#stream.write("\r\x1b[2K");
  }
}

export function formatProgress(s: ReturnType<ProgressSource["snapshot"]>, width = 20): string {
  const p = s.progress === undefined ? 0 : Math.max(0, Math.min(1, s.progress));
  const filled = Math.round(p * width);
  const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
  return (
    `${bar} ${s.phase.padEnd(6)} ${formatSeconds(s.elapsedS)}  sent ${s.sent}  mined ${s.mined}  failed ${s.failed}` +
    `  skipped ${s.skipped}  in flight ${s.inflight}  ${s.rate.toFixed(1)} ev/s`
  );
}

function formatSeconds(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const sec = Math.floor(seconds % 60);
  return `${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
}
