/**
 * The signed transactions of every key held here on one provider, handed to the node in order. An account has
 * one send request out at a time, its transactions in nonce order (a node that receives a later nonce before an
 * earlier one keeps it queued, and anvil's automine can leave it there even after the gap is filled:
 * foundry-rs/foundry#10122). Accounts share requests: a request takes what was signed meanwhile for accounts
 * with nothing out, up to a hundred transactions as one JSON-RPC batch over HTTP, and a few requests are out at
 * once so that the node can take them in parallel.
 *
 * Measured with 16 meters pipelining readings to anvil: one queue per account sent requests of two to six
 * transactions, and the node's handling of the extra requests cost it more CPU per transaction than the
 * transactions themselves; a single request out at a time for all accounts made large batches but left the node
 * adding them one by one on one thread while its miner sealed a block every few transactions.
 */
import { JsonRpcApiProvider, type Provider } from "ethers";
import { MAX_BATCH, canBatch, sendBatch } from "./jsonRpcBatch.js";
import { perProvider } from "./perProvider.js";

export type SendOutcome = { ok: true } | { ok: false; error: unknown };

/** A queued transaction's outcome, and when its request left (performance.now()). */
export type QueuedOutcome = SendOutcome & { sentAt: number };

interface Item {
  raw: string;
  /** The sending account, lower case: its transactions stay in order. */
  account: string;
  resolve(outcome: QueuedOutcome): void;
}

/** Most send requests out at once per provider. */
const MAX_REQUESTS_OUT = 4;

export class SendQueue {
  /** The queue of this provider, made on first use. */
  static readonly for = perProvider((provider) => new SendQueue(provider));

  readonly #provider: Provider;
  readonly #items: Item[] = [];
  /** Accounts with a request out. */
  readonly #busy = new Set<string>();
  #requestsOut = 0;
  #flushScheduled = false;

  private constructor(provider: Provider) {
    this.#provider = provider;
  }

  /**
   * Queues a signed transaction of `account`; resolves with whether the node took it and when its request left
   * (never rejects).
   */
  send(raw: string, account: string): Promise<QueuedOutcome> {
    return new Promise((resolve) => {
      this.#items.push({ raw, account: account.toLowerCase(), resolve });
      this.#scheduleFlush();
    });
  }

  /** Flushes once the current task is done: what is signed in one go leaves together. */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    const run = () => {
      this.#flushScheduled = false;
      this.#flush();
    };
    if (typeof setImmediate === "function") setImmediate(run);
    else setTimeout(run, 0);
  }

  /**
   * Starts requests while there is room and something to send for an account with nothing out, sharing what
   * can go now evenly among the free requests (one full request would leave the others nothing to take).
   */
  #flush(): void {
    const free = MAX_REQUESTS_OUT - this.#requestsOut;
    if (free <= 0) return;
    let ready = 0;
    for (const item of this.#items) if (!this.#busy.has(item.account)) ready++;
    const share = Math.min(MAX_BATCH, Math.ceil(ready / free));
    while (this.#requestsOut < MAX_REQUESTS_OUT) {
      const batch = this.#takeBatch(share);
      if (batch.length === 0) return;
      this.#requestsOut++;
      const accounts = new Set(batch.map((b) => b.account));
      for (const a of accounts) this.#busy.add(a);
      const sentAt = performance.now();
      void this.#sendInOrder(batch.map((b) => b.raw))
        .then((outcomes) => batch.forEach((b, i) => b.resolve({ ...outcomes[i], sentAt })))
        .finally(() => {
          this.#requestsOut--;
          for (const a of accounts) this.#busy.delete(a);
          this.#flush();
        });
    }
  }

  /** The queued transactions of accounts with nothing out, in queue order, at most `most`. */
  #takeBatch(most: number): Item[] {
    const batch: Item[] = [];
    const rest: Item[] = [];
    // Once `most` are taken no new account joins, but an account already in keeps its later transactions
    // together (up to a full batch); one cut off by the full batch is busy from now on, so its later
    // transactions wait for its request.
    const taken = new Set<string>();
    for (const item of this.#items) {
      const take = batch.length < MAX_BATCH && !this.#busy.has(item.account) && (taken.has(item.account) || batch.length < most);
      if (take) {
        batch.push(item);
        taken.add(item.account);
      } else {
        rest.push(item);
      }
    }
    if (batch.length > 0) this.#items.splice(0, this.#items.length, ...rest);
    return batch;
  }

  /** Sends signed transactions in this order: one batch over HTTP, else one after another. */
  async #sendInOrder(raws: readonly string[]): Promise<SendOutcome[]> {
    const provider = this.#provider;
    if (!canBatch(provider) || raws.length === 1) {
      const outcomes: SendOutcome[] = [];
      for (const raw of raws) outcomes.push(await settle(sendRawTransaction(provider, raw)));
      return outcomes;
    }
    return sendBatch(provider, raws.map((raw) => ({ method: "eth_sendRawTransaction", params: [raw] })));
  }
}

/** One eth_sendRawTransaction, on its own (a resubmission, a filler): not queued behind the others. */
export function sendRawTransaction(provider: Provider, raw: string): Promise<unknown> {
  return provider instanceof JsonRpcApiProvider ? provider.send("eth_sendRawTransaction", [raw]) : provider.broadcastTransaction(raw);
}

/** The promise's outcome as a value: a rejection is handled from the start, whenever it is looked at. */
export function settle(promise: Promise<unknown>): Promise<SendOutcome> {
  return promise.then(
    () => ({ ok: true }) as const,
    (error: unknown) => ({ ok: false, error }) as const,
  );
}
