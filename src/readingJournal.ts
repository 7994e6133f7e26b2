/**
 * The aggregator's journal of pending readings: one JSON line per reading, appended and synced to disk before
 * the readings are acknowledged. Appends that arrive while a sync is under way are written together with the
 * next one (group commit: one fsync for all of them), and complete in the order they were asked for. Rewriting
 * the file (after a batch is anchored) takes its turn in the same queue, so no append is lost to it.
 */
import { open, rename, type FileHandle } from "node:fs/promises";

interface Waiter {
  lines: readonly string[];
  resolve: () => void;
  reject: (error: Error) => void;
}

export class ReadingJournal {
  readonly file: string;
  #handle: FileHandle | undefined;
  #queue: Waiter[] = [];
  /** The operation under way (a group of appends, or a rewrite); the next one waits for it. */
  #busy: Promise<void> = Promise.resolve();
  #writing = false;
  /** Once a write failed, the file may hold less than was acknowledged: every later call is refused. */
  #failure: Error | undefined;

  constructor(file: string) {
    this.file = file;
  }

  /** Resolves once the lines are on disk; `onDurable` runs first, in append order (before later appends resolve). */
  append(lines: readonly string[], onDurable?: () => void): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    const done = new Promise<void>((resolve, reject) => this.#queue.push({ lines, resolve, reject }));
    if (!this.#writing) this.#drain();
    return onDurable ? done.then(onDurable) : done;
  }

  /** Replaces the whole file atomically with `text()`, evaluated when every earlier append is on disk. */
  rewrite(text: () => string): Promise<void> {
    const run = this.#busy.then(async () => {
      if (this.#failure) throw this.#failure;
      await this.#closeHandle();
      const tmp = `${this.file}.tmp`;
      const handle = await open(tmp, "w");
      try {
        await handle.writeFile(text());
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.file);
    });
    this.#busy = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.#busy;
    await this.#closeHandle();
  }

  #drain(): void {
    this.#writing = true;
    const group = this.#queue;
    this.#queue = [];
    const run = this.#busy.then(async () => {
      if (this.#failure) throw this.#failure;
      this.#handle ??= await open(this.file, "a");
      await this.#handle.appendFile(group.map((w) => w.lines.join("\n") + "\n").join(""));
      await this.#handle.sync();
    });
    this.#busy = run.then(
      () => {
        // Resolved in order; callbacks chained on each run before the next group is taken.
        for (const w of group) w.resolve();
      },
      (error: Error) => {
        this.#failure ??= new Error(`journal ${this.file}: write failed (${error.message}); restart the aggregator`);
        for (const w of group) w.reject(this.#failure);
      },
    );
    void this.#busy.then(() => {
      if (this.#queue.length) this.#drain();
      else this.#writing = false;
    });
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }
}
