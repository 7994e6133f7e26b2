/**
 * The webhook watcher: POSTs each alert (and threshold notice) for an address as JSON to a URL, in chain order,
 * and keeps its position in a state file so that a restart resumes right behind the last delivery.
 *
 * Delivery, one item at a time, in order:
 * - each POST carries `Idempotency-Key: <key>` (an alert's key is its {@link eventKey}; a notice's is
 *   `<type>:<eventKey of its trigger>`), `Content-Type: application/json` and `X-GridLedger-Type`;
 * - any 2xx answer delivers it; anything else (another status, a network error, a timeout, a redirect) is a
 *   failure. Failures are retried after 0.5 s, 1 s, 2 s, … (doubling, or the server's Retry-After), each delay
 *   capped at `maxDelayMs`. After `attempts` tries the watcher reports the item as stalled (once) and keeps
 *   retrying the SAME item every `maxDelayMs`: an item is never skipped, and nothing behind it is sent first.
 * - after each delivery the state file is replaced atomically (write to a temporary file, fsync, rename) with
 *   the new position, the threshold tracker's state and what is left to send of the current step (the outbox).
 *
 * Restart: the outbox is sent first, then the stream resumes behind the saved position. Nothing is missed. The
 * one item that can be sent twice is the one in flight when the process died after the server answered 2xx but
 * before the state file was replaced; it carries the same Idempotency-Key, so the receiver can drop it.
 *
 * Node only (the state file); the POST itself uses the global fetch.
 */
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { getAddress } from "ethers";
import { endOfBlock, type AlertCursor } from "./alerts.js";
import type { GridLedgerClient } from "./ledgerClient.js";
import { notificationSteps, ThresholdTracker, type Notification, type ThresholdRules, type ThresholdSnapshot } from "./thresholds.js";

// ------------------------------------------------------------------------------ state

/** One item waiting to be delivered: its idempotency key, type and the exact body to POST. */
export interface OutboxItem {
  key: string;
  type: Notification["type"];
  body: string;
}

/** What the state file holds. */
export interface WebhookState {
  version: 1;
  chainId: string;
  contract: string;
  address: string;
  url: string;
  /** Everything up to and including this position has been delivered (except the outbox). */
  cursor: AlertCursor;
  /** Items of the step at `cursor` not yet delivered, in order: sent first on restart. */
  outbox: OutboxItem[];
  /** The threshold tracker's state at `cursor`. */
  thresholds?: ThresholdSnapshot;
  /** Items delivered by all runs. */
  delivered: number;
  updatedAt: string;
}

export interface WebhookStateStore {
  load(): Promise<WebhookState | undefined>;
  save(state: WebhookState): Promise<void>;
  readonly description: string;
}

/** `~/.gridledger/webhook-<address>.json`. */
export function defaultStatePath(address: string): string {
  return path.join(homedir(), ".gridledger", `webhook-${getAddress(address)}.json`);
}

/** A state file replaced atomically on every save (temporary file, fsync, rename), mode 0600. */
export function fileStateStore(file: string): WebhookStateStore {
  const target = path.resolve(file);
  return {
    description: target,
    async load() {
      let text: string;
      try {
        text = await readFile(target, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw new Error(`webhook state ${target}: cannot read it (${(error as Error).message})`);
      }
      let state: WebhookState;
      try {
        state = JSON.parse(text) as WebhookState;
      } catch {
        throw new Error(`webhook state ${target}: not JSON; remove it to start over (alerts since its last position would be missed) or fix it`);
      }
      if (state?.version !== 1 || !state.cursor || !Number.isInteger(state.cursor.block) || !Number.isInteger(state.cursor.logIndex) || !Array.isArray(state.outbox)) {
        throw new Error(`webhook state ${target}: not a GridLedger webhook state (version 1)`);
      }
      return state;
    },
    async save(state) {
      await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      const temp = `${target}.${process.pid}.tmp`;
      const handle = await open(temp, "w", 0o600);
      try {
        await handle.writeFile(JSON.stringify(state, null, 2) + "\n");
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(temp, target);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
  };
}

// ------------------------------------------------------------------------------ delivery

export interface RetryPolicy {
  /** Tries before an item is reported as stalled (it is still retried); default 8. */
  attempts?: number;
  /** First retry delay, ms; doubles each try; default 500. */
  minDelayMs?: number;
  /** Largest delay, ms, also the pace of retries once stalled; default 60 000. */
  maxDelayMs?: number;
  /** Time allowed for one request, ms; default 10 000. */
  timeoutMs?: number;
}

const DEFAULT_RETRY = { attempts: 8, minDelayMs: 500, maxDelayMs: 60_000, timeoutMs: 10_000 } as const;

/** The delay before try `attempt + 1` after `attempt` failed tries (1-based): min × 2^(attempt−1), capped. */
export function backoffDelay(attempt: number, policy: RetryPolicy = {}): number {
  const min = policy.minDelayMs ?? DEFAULT_RETRY.minDelayMs;
  const max = policy.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  return Math.min(max, min * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
}

export interface DeliveryFailure {
  key: string;
  attempt: number;
  reason: string;
  /** ms until the next try. */
  retryInMs: number;
  /** True once `attempts` tries have failed: the item is stalled (and still retried). */
  stalled: boolean;
}

export interface PostOptions {
  policy?: RetryPolicy;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  onFailure?: (failure: DeliveryFailure) => void;
  headers?: Record<string, string>;
}

/**
 * POSTs one item until a 2xx answer (resolves with the number of tries) or until the signal aborts (rejects
 * with an AbortError). Never gives up on its own.
 */
export async function deliver(url: string, item: OutboxItem, options: PostOptions = {}): Promise<number> {
  const policy = { ...DEFAULT_RETRY, ...options.policy };
  const doFetch = options.fetch ?? fetch;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(options.signal);
    let reason: string;
    let retryAfterMs: number | undefined;
    try {
      const timeout = AbortSignal.timeout(policy.timeoutMs);
      const response = await doFetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "idempotency-key": item.key,
          "x-gridledger-type": item.type,
          "user-agent": "gridledger-webhook/1",
          ...options.headers,
        },
        body: item.body,
        redirect: "manual",
        signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
      });
      // Drain the body so the connection can be reused.
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return attempt;
      reason = `HTTP ${response.status}${response.status >= 300 && response.status < 400 ? " (redirects are not followed)" : ""}`;
      retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    } catch (error) {
      throwIfAborted(options.signal);
      const e = error as Error & { cause?: { code?: string; message?: string } };
      reason = e.name === "TimeoutError" ? `no answer within ${policy.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    }
    const stalled = attempt >= policy.attempts;
    const delay = Math.min(policy.maxDelayMs, Math.max(stalled ? policy.maxDelayMs : backoffDelay(attempt, policy), retryAfterMs ?? 0));
    options.onFailure?.({ key: item.key, attempt, reason, retryInMs: delay, stalled });
    await sleep(delay, options.signal);
  }
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

// ------------------------------------------------------------------------------ the watcher

export interface WebhookWatcherOptions {
  client: GridLedgerClient;
  /** Whose alerts. */
  address: string;
  url: string;
  state: WebhookStateStore;
  /** Where to start when there is no state yet: behind this position; default: the next block (live only). */
  from?: AlertCursor;
  thresholds?: ThresholdRules;
  retry?: RetryPolicy;
  pollMs?: number;
  confirmations?: number;
  batchBlocks?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** After each delivery (and the state saved). */
  onDelivered?: (info: { key: string; type: Notification["type"]; attempts: number; cursor: AlertCursor; delivered: number }) => void;
  onFailure?: (failure: DeliveryFailure) => void;
  /** Informational messages: resumed from where, state created, … */
  onInfo?: (message: string) => void;
}

export interface WebhookRunSummary {
  delivered: number;
  cursor: AlertCursor;
}

/** JSON with bigints as decimal strings. */
export const toJson = (value: unknown): string => JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));

/** The body POSTed for an item. */
export function webhookBody(n: Notification, context: { chainId: bigint; contract: string; address: string }): string {
  const common = { id: n.key, type: n.type, chainId: context.chainId.toString(), contract: context.contract, address: context.address };
  if (n.type === "alert") return toJson({ ...common, roles: n.alert.roles, cursor: n.alert.cursor, event: n.alert.event });
  return toJson({ ...common, notice: n.notice });
}

/** Runs until the signal aborts; resolves with what this run delivered. */
export async function runWebhookWatcher(options: WebhookWatcherOptions): Promise<WebhookRunSummary> {
  const { client, url } = options;
  const address = getAddress(options.address);
  const chainId = client.chainId.toString();
  const info = options.onInfo ?? (() => {});
  let state = await options.state.load();
  if (state) {
    if (state.chainId !== chainId || getAddress(state.contract) !== client.address || getAddress(state.address) !== address) {
      throw new Error(
        `webhook state ${options.state.description} belongs to ${state.address} on contract ${state.contract} (chain ${state.chainId}), ` +
          `not ${address} on ${client.address} (chain ${chainId}): pass another --state file`,
      );
    }
    if (options.from) info("a saved position exists: the requested start is ignored (pass another state file to start over)");
    if (state.url !== url) info(`webhook URL changed from ${state.url} to ${url}; continuing from the saved position`);
    info(`resuming behind block ${state.cursor.block}${state.cursor.logIndex === Number.MAX_SAFE_INTEGER ? "" : `, log ${state.cursor.logIndex}`}${state.outbox.length ? ` (${state.outbox.length} item(s) to resend first)` : ""}`);
    state = { ...state, url };
  } else {
    const cursor = options.from ?? endOfBlock(await client.headBlock());
    state = { version: 1, chainId, contract: client.address, address, url, cursor, outbox: [], delivered: 0, updatedAt: new Date().toISOString() };
    // Save the starting position before anything else: a restart must not skip what happens meanwhile.
    await options.state.save(state);
    info(`new webhook state ${options.state.description}, starting behind block ${cursor.block}`);
  }
  const tracker = options.thresholds ? new ThresholdTracker(address, options.thresholds, state.thresholds) : undefined;
  let delivered = 0;
  const post = (item: OutboxItem) => deliver(url, item, { policy: options.retry, signal: options.signal, fetch: options.fetch, onFailure: options.onFailure });
  const save = async (next: Partial<WebhookState>) => {
    state = { ...state!, ...next, updatedAt: new Date().toISOString() };
    await options.state.save(state);
  };

  try {
    // What a previous run left to send.
    while (state.outbox.length > 0) {
      const [item, ...rest] = state.outbox;
      const attempts = await post(item);
      delivered++;
      await save({ outbox: rest, delivered: state.delivered + 1 });
      options.onDelivered?.({ key: item.key, type: item.type, attempts, cursor: state.cursor, delivered: state.delivered });
    }
    const steps = notificationSteps(client, address, {
      after: state.cursor,
      tracker,
      pollMs: options.pollMs,
      confirmations: options.confirmations,
      batchBlocks: options.batchBlocks,
      signal: options.signal,
    });
    const context = { chainId: client.chainId, contract: client.address, address };
    for await (const step of steps) {
      const items: OutboxItem[] = step.items.map((n) => ({ key: n.key, type: n.type, body: webhookBody(n, context) }));
      if (items.length === 0) {
        // A block range with nothing to send: remember it was read.
        await save({ cursor: step.cursor, thresholds: step.thresholds, outbox: [] });
        continue;
      }
      for (let i = 0; i < items.length; i++) {
        const attempts = await post(items[i]);
        delivered++;
        await save({ cursor: step.cursor, thresholds: step.thresholds, outbox: items.slice(i + 1), delivered: state.delivered + 1 });
        options.onDelivered?.({ key: items[i].key, type: items[i].type, attempts, cursor: step.cursor, delivered: state.delivered });
      }
    }
  } catch (error) {
    if (!(options.signal?.aborted && (error as Error).name === "AbortError")) throw error;
  }
  return { delivered, cursor: state.cursor };
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) {
    const error = new Error("aborted");
    error.name = "AbortError";
    throw error;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function abortError(): Error {
  const error = new Error("aborted");
  error.name = "AbortError";
  return error;
}
