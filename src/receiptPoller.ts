/**
 * One receipt poller per provider, shared by every sender on it: each tick asks for the receipt of every
 * transaction that is due in the same moment, so a JSON-RPC provider sends them as one batch (ethers batches
 * the calls made in one tick, up to its batchMaxCount a request) instead of one polling loop per transaction.
 *
 * Each hash keeps its own backoff: asked at once, again after 5 ms (a node that mines on arrival, such as anvil's
 * automine, has the receipt by then), then after 25 ms, 50 ms, doubling to 1 s, and a last time at its deadline,
 * when the waiter gets null and the sender checks whether the transaction was dropped. Asking for the receipt directly, rather than
 * waiting for a new block as ethers' waitForTransaction does, sees a transaction mined at once on a quiet chain.
 */
import { JsonRpcApiProvider, type Provider, type TransactionReceipt } from "ethers";
import { toTransactionReceipt } from "./receiptFormat.js";

/** Waits between looks at one hash: a node that mines on arrival has it within a few ms, a slower chain later. */
const DELAYS_MS = [5, 25, 50, 100, 200, 400, 800];
const MAX_DELAY_MS = 1_000;
/** Most receipts asked for in one tick; the rest are asked for in the next, at once. */
const MAX_PER_TICK = 1_000;

interface Waiter {
  deadline: number;
  resolve(receipt: TransactionReceipt | null): void;
  reject(error: unknown): void;
}

interface Entry {
  due: number;
  /** Looks taken so far: the next wait is DELAYS_MS[looks], else MAX_DELAY_MS. */
  looks: number;
  waiters: Waiter[];
}

const pollers = new WeakMap<Provider, ReceiptPoller>();

export class ReceiptPoller {
  /** The poller of this provider, made on first use. */
  static for(provider: Provider): ReceiptPoller {
    let poller = pollers.get(provider);
    if (!poller) {
      poller = new ReceiptPoller(provider);
      pollers.set(provider, poller);
    }
    return poller;
  }

  readonly #provider: Provider;
  readonly #entries = new Map<string, Entry>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #busy = false;

  private constructor(provider: Provider) {
    this.#provider = provider;
  }

  /** How many transactions wait for their receipt. */
  get waiting(): number {
    return this.#entries.size;
  }

  /**
   * The receipt of `hash` once the node has it; null when it has none by `timeoutMs` from now. Rejects when
   * the node cannot be asked.
   */
  wait(hash: string, timeoutMs: number): Promise<TransactionReceipt | null> {
    return new Promise((resolve, reject) => {
      const now = performance.now();
      const waiter = { deadline: now + timeoutMs, resolve, reject };
      const entry = this.#entries.get(hash);
      if (entry) {
        entry.waiters.push(waiter);
        entry.due = now;
      } else {
        this.#entries.set(hash, { due: now, looks: 0, waiters: [waiter] });
      }
      if (!this.#busy) this.#arm(now);
    });
  }

  /** Makes sure a tick runs at `at` or earlier. */
  #arm(at: number): void {
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => void this.#tick(), Math.max(0, at - performance.now()));
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#busy = true;
    try {
      const now = performance.now();
      const due: [string, Entry][] = [];
      for (const item of this.#entries) {
        if (item[1].due <= now) due.push(item);
        if (due.length >= MAX_PER_TICK) break;
      }
      const answers = await Promise.allSettled(due.map(([hash]) => this.#fetch(hash)));
      const after = performance.now();
      due.forEach(([hash, entry], i) => {
        const answer = answers[i];
        if (answer.status === "rejected" || answer.value) {
          this.#entries.delete(hash);
          for (const w of entry.waiters) {
            if (answer.status === "rejected") w.reject(answer.reason);
            else w.resolve(answer.value);
          }
          return;
        }
        entry.waiters = entry.waiters.filter((w) => {
          if (after < w.deadline) return true;
          w.resolve(null);
          return false;
        });
        if (entry.waiters.length === 0) {
          this.#entries.delete(hash);
          return;
        }
        // The next look: after the backoff, or at the earliest deadline so that it is asked once more then.
        const deadline = Math.min(...entry.waiters.map((w) => w.deadline));
        entry.due = Math.min(after + (DELAYS_MS[entry.looks] ?? MAX_DELAY_MS), deadline);
        entry.looks++;
      });
    } finally {
      this.#busy = false;
      let next = Infinity;
      for (const entry of this.#entries.values()) next = Math.min(next, entry.due);
      if (next !== Infinity) this.#arm(next);
    }
  }

  async #fetch(hash: string): Promise<TransactionReceipt | null> {
    const provider = this.#provider;
    if (!(provider instanceof JsonRpcApiProvider)) return provider.getTransactionReceipt(hash);
    // The raw call: it joins the tick's batch and skips the provider's per-call work (a network check each).
    const raw = (await provider.send("eth_getTransactionReceipt", [hash])) as Record<string, unknown> | null;
    if (raw == null) return null;
    // A node that leaves out the gas price: ethers' own lookup fills it in from the transaction.
    if (raw.effectiveGasPrice == null && raw.gasPrice == null) return provider.getTransactionReceipt(hash);
    return toTransactionReceipt(raw, provider);
  }
}
