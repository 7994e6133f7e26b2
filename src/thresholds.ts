/**
 * Threshold alerts, derived from the chain's events:
 * - storage: a producer sets a level of available storage ("20%" of an offer's capacity, or an energy such as
 *   "10 kWh") and is told when a storage reading of one of its offers crosses it: `storage-below` when a
 *   reading falls below the level, `storage-restored` when a later reading is back at or above it. Nothing
 *   more is said while the offer stays on the same side. The offer's opening is its first reading; an offer
 *   opened below the level is reported as below. Purchases lower the offer's available figure on-chain but are
 *   not readings, and a closed offer is dropped.
 * - delivery: a purchaser sets a deadline after purchase ("2h") and is told, once per purchase, when a purchase
 *   is past it (chain time: the block timestamp) and still short: delivered − withheld (upheld disputes) <
 *   quantity, and neither billed nor closed.
 *
 * Pure functions ({@link storageCrossings}, {@link lateDeliveries}, {@link isBelow}, …) over events and
 * records, a serialisable {@link ThresholdTracker}, and {@link notificationSteps}: alerts for an address with
 * the threshold notices they trigger, in chain order, each step with the position to resume from. `gridledger
 * watch` and the webhook watcher read that stream.
 *
 * No node: imports: the web app can import this file.
 */
import { getAddress } from "ethers";
import { alertsInRange, endOfBlock, type Alert, type AlertCursor } from "./alerts.js";
import { compareEvents, eventKey, type EventOf, type LedgerEvent } from "./events.js";
import type { GridLedgerClient } from "./ledgerClient.js";
import { formatEnergy, parseEnergy } from "./units.js";

// ------------------------------------------------------------------ levels and durations

/** A storage level: a fraction of the offer's capacity (numerator / denominator) or an energy in Wh. */
export type StorageLevel =
  | { kind: "percent"; numerator: bigint; denominator: bigint; text: string }
  | { kind: "energy"; wh: bigint; text: string };

/**
 * A level or duration that does not parse: `message` names the setting; `rule` (a stable identifier) and
 * `detail` (worded to follow the setting's name, "must be …") serve a form that shows it next to its field.
 */
export class ThresholdInputError extends RangeError {
  override readonly name = "ThresholdInputError";
  constructor(
    message: string,
    readonly rule: string,
    readonly detail: string,
  ) {
    super(message);
  }
}

/** Parses "20%", "12.5 %" (of capacity, more than 0 and at most 100) or an energy ("10 kWh", "500 Wh"). */
export function parseStorageLevel(input: string): StorageLevel {
  const text = String(input).trim();
  const percent = /^(\d{1,3})(?:\.(\d{1,6}))?\s*%$/.exec(text);
  if (percent) {
    const decimals = percent[2] ?? "";
    const numerator = BigInt(percent[1] + decimals);
    const denominator = 100n * 10n ** BigInt(decimals.length);
    if (numerator === 0n || numerator > denominator) {
      throw new ThresholdInputError(
        `storage level: a percentage must be above 0% and at most 100% (got "${text}")`,
        "percent_range",
        `must be above 0% and at most 100% of capacity (got "${text}")`,
      );
    }
    return { kind: "percent", numerator, denominator, text };
  }
  if (/%/.test(text)) {
    throw new ThresholdInputError(
      `storage level: write a percentage as digits and "%", e.g. "20%" or "12.5%" (got "${text}")`,
      "percent_format",
      `must be digits and "%", e.g. "20%" or "12.5%" (got "${text}")`,
    );
  }
  let wh: bigint;
  try {
    wh = parseEnergy(text);
  } catch (error) {
    const detail = `must be a percentage of capacity ("20%") or an energy ("10 kWh"): ${(error as Error).message}`;
    throw new ThresholdInputError(`storage level: ${detail}`, "level_format", detail);
  }
  if (wh === 0n) throw new ThresholdInputError(`storage level: must be above 0 Wh (got "${text}")`, "min", `must be above 0 Wh (got "${text}")`);
  return { kind: "energy", wh, text };
}

/** Whether `available` is strictly below the level, exactly (no rounding of percentages). */
export function isBelow(available: bigint, capacity: bigint, level: StorageLevel): boolean {
  return level.kind === "energy" ? available < level.wh : available * level.denominator < capacity * level.numerator;
}

/** The level in Wh for an offer's capacity (a percentage rounded up to a whole Wh), for display. */
export function levelWh(level: StorageLevel, capacity: bigint): bigint {
  if (level.kind === "energy") return level.wh;
  return (capacity * level.numerator + level.denominator - 1n) / level.denominator;
}

const DURATION_UNITS: Record<string, bigint> = { d: 86_400n, h: 3_600n, m: 60n, s: 1n };

/** Parses a duration to seconds: "2h", "90m", "1h30m", "1d", "45s", or a bare number of seconds. Above 0. */
export function parseDuration(input: string): bigint {
  const text = String(input).trim().toLowerCase().replace(/\s+/g, "");
  let seconds = 0n;
  if (/^\d{1,12}$/.test(text)) {
    seconds = BigInt(text);
  } else if (/^(\d{1,9}[dhms])+$/.test(text)) {
    const seen = new Set<string>();
    for (const [, amount, unit] of text.matchAll(/(\d+)([dhms])/g)) {
      if (seen.has(unit)) throw new ThresholdInputError(`duration: "${unit}" appears twice in "${input}"`, "duration_format", `must name each unit once ("${unit}" appears twice)`);
      seen.add(unit);
      seconds += BigInt(amount) * DURATION_UNITS[unit];
    }
  } else {
    const detail = `must be like "2h", "90m", "1h30m", "1d" or a number of seconds (got "${input}")`;
    throw new ThresholdInputError(`duration: ${detail}`, "duration_format", detail);
  }
  if (seconds === 0n) throw new ThresholdInputError(`duration: must be above 0 (got "${input}")`, "min", `must be above 0 (got "${input}")`);
  return seconds;
}

/** Seconds as "1d2h30m5s" (the largest units first; "0s" for 0). */
export function formatDuration(seconds: bigint): string {
  let rest = seconds;
  let text = "";
  for (const [unit, size] of Object.entries(DURATION_UNITS)) {
    if (rest >= size) {
      text += `${rest / size}${unit}`;
      rest %= size;
    }
  }
  return text || "0s";
}

// --------------------------------------------------------------------------------- notices

export interface StorageNotice {
  type: "storage-below" | "storage-restored";
  /** Stable id: `<type>:<eventKey of the reading>`. */
  key: string;
  offerId: bigint;
  producer: string;
  /** The reading that crossed the level, Wh. */
  available: bigint;
  /** The previous reading, Wh; undefined for the opening. */
  previous: bigint | undefined;
  capacity: bigint;
  /** The level as given, and in Wh for this offer. */
  level: string;
  levelWh: bigint;
  /** The reading's event (OfferOpened or StorageRecorded). */
  event: EventOf<"OfferOpened"> | EventOf<"StorageRecorded">;
}

export interface DeliveryNotice {
  type: "delivery-late";
  /** Stable id: `delivery-late:<eventKey of the EnergyPurchased>`. */
  key: string;
  purchaseId: bigint;
  purchaser: string;
  quantity: bigint;
  /** Delivered minus withheld (upheld disputes), Wh. */
  delivered: bigint;
  /** quantity − delivered, Wh. */
  short: bigint;
  purchasedAt: bigint;
  deadline: bigint;
  /** The chain time the deadline was found passed at. */
  now: bigint;
  /** The deadline as given ("2h"). */
  within: string;
}

export type ThresholdNotice = StorageNotice | DeliveryNotice;

/** What a reading does to an offer's side of the level: crosses down, crosses up, or nothing. */
export function storageTransition(
  previous: bigint | undefined,
  available: bigint,
  capacity: bigint,
  level: StorageLevel,
): "storage-below" | "storage-restored" | undefined {
  const wasBelow = previous !== undefined && isBelow(previous, capacity, level);
  const below = isBelow(available, capacity, level);
  if (below && !wasBelow) return "storage-below";
  if (!below && wasBelow) return "storage-restored";
  return undefined;
}

/**
 * The storage crossings among `events` (any order), for the offers of `producer` (all offers when omitted).
 * Capacities come from OfferOpened events or `capacities`; `previous` seeds the last reading of offers opened
 * earlier. Throws when an offer's capacity is unknown and the level is a percentage.
 */
export function storageCrossings(
  events: readonly LedgerEvent[],
  level: StorageLevel,
  options: { producer?: string; capacities?: ReadonlyMap<bigint, bigint>; previous?: ReadonlyMap<bigint, bigint> } = {},
): StorageNotice[] {
  const producer = options.producer ? getAddress(options.producer) : undefined;
  const offers = new Map<bigint, { capacity: bigint; available: bigint | undefined }>();
  const notices: StorageNotice[] = [];
  for (const e of [...events].sort(compareEvents)) {
    if (e.kind !== "OfferOpened" && e.kind !== "StorageRecorded" && e.kind !== "OfferClosed") continue;
    if (producer && getAddress(e.producer) !== producer) continue;
    if (e.kind === "OfferClosed") {
      offers.delete(e.offerId);
      continue;
    }
    let offer = offers.get(e.offerId);
    if (e.kind === "OfferOpened") offer = { capacity: e.capacity, available: undefined };
    if (!offer) {
      const capacity = options.capacities?.get(e.offerId);
      if (capacity === undefined && level.kind === "percent") throw new Error(`storageCrossings: the capacity of offer ${e.offerId} is unknown`);
      offer = { capacity: capacity ?? 0n, available: options.previous?.get(e.offerId) };
    }
    const notice = storageNotice(e, offer.available, offer.capacity, level);
    if (notice) notices.push(notice);
    offers.set(e.offerId, { capacity: offer.capacity, available: e.available });
  }
  return notices;
}

function storageNotice(
  e: EventOf<"OfferOpened"> | EventOf<"StorageRecorded">,
  previous: bigint | undefined,
  capacity: bigint,
  level: StorageLevel,
): StorageNotice | undefined {
  const type = storageTransition(previous, e.available, capacity, level);
  if (!type) return undefined;
  return {
    type,
    key: `${type}:${eventKey(e)}`,
    offerId: e.offerId,
    producer: e.producer,
    available: e.available,
    previous,
    capacity,
    level: level.text,
    levelWh: levelWh(level, capacity),
    event: e,
  };
}

/** A purchase's delivery so far (a {@link Purchase} record fits). */
export interface PurchaseProgress {
  purchaseId: bigint;
  purchasedAt: bigint;
  quantity: bigint;
  delivered: bigint;
  withheld: bigint;
  /** "open" unless billed or closed; absent means open. */
  status?: "open" | "billed" | "closed";
}

/** Whether a purchase is past `purchasedAt + within` at `now` and still short and open. */
export function isLate(p: PurchaseProgress, within: bigint, now: bigint): boolean {
  return (p.status ?? "open") === "open" && now > p.purchasedAt + within && p.delivered - p.withheld < p.quantity;
}

/** The purchases past their deadline and still short, at chain time `now`. */
export function lateDeliveries<P extends PurchaseProgress>(purchases: readonly P[], within: bigint, now: bigint): P[] {
  return purchases.filter((p) => isLate(p, within, now));
}

// --------------------------------------------------------------------------------- tracker

export interface ThresholdRules {
  /** Tell the producer when a storage reading crosses this level. */
  storageBelow?: StorageLevel;
  /** Tell the purchaser when a purchase is still short this many seconds after it was bought. */
  deliveryWithin?: bigint;
}

/** The tracker's state as JSON (bigints as decimal strings), kept with a watcher's position. */
export interface ThresholdSnapshot {
  /** offerId → the offer's capacity and last reading. */
  offers: Record<string, { capacity: string; available: string }>;
  /** purchaseId → its delivery so far. */
  purchases: Record<
    string,
    { key: string; purchasedAt: string; quantity: string; delivered: string; withheld: string; amounts: Record<string, string>; notified: boolean }
  >;
}

/** Chain reads the tracker needs: a block's time, an offer's capacity. */
export interface ThresholdLookups {
  blockTime(blockNumber: number): Promise<bigint>;
  capacity(offerId: bigint): Promise<bigint>;
}

export function chainLookups(client: GridLedgerClient): ThresholdLookups {
  return {
    async blockTime(blockNumber) {
      const block = await client.provider.getBlock(blockNumber);
      if (!block) throw new Error(`block ${blockNumber} not found`);
      return BigInt(block.timestamp);
    },
    async capacity(offerId) {
      return (await client.offer(offerId)).capacity;
    },
  };
}

/**
 * Follows one address's events (in chain order) and says which cross a threshold. Its state is plain data
 * ({@link snapshot}), so a watcher can store it with its position and resume exactly.
 */
export class ThresholdTracker {
  readonly address: string;
  readonly rules: ThresholdRules;
  #state: ThresholdSnapshot;

  constructor(address: string, rules: ThresholdRules, snapshot?: ThresholdSnapshot) {
    this.address = getAddress(address);
    this.rules = rules;
    this.#state = snapshot ? structuredClone(snapshot) : { offers: {}, purchases: {} };
  }

  get active(): boolean {
    return this.rules.storageBelow !== undefined || this.rules.deliveryWithin !== undefined;
  }

  snapshot(): ThresholdSnapshot {
    return structuredClone(this.#state);
  }

  /** Takes one event (oldest first) and returns the storage notices it triggers. */
  async observe(e: LedgerEvent, lookups: ThresholdLookups): Promise<StorageNotice[]> {
    const level = this.rules.storageBelow;
    if (level && (e.kind === "OfferOpened" || e.kind === "StorageRecorded" || e.kind === "OfferClosed") && getAddress(e.producer) === this.address) {
      const id = e.offerId.toString();
      if (e.kind === "OfferClosed") {
        delete this.#state.offers[id];
        return [];
      }
      const known = this.#state.offers[id];
      const capacity = e.kind === "OfferOpened" ? e.capacity : known ? BigInt(known.capacity) : await lookups.capacity(e.offerId);
      const previous = e.kind === "OfferOpened" || !known ? undefined : BigInt(known.available);
      this.#state.offers[id] = { capacity: capacity.toString(), available: e.available.toString() };
      const notice = storageNotice(e, previous, capacity, level);
      return notice ? [notice] : [];
    }
    if (this.rules.deliveryWithin === undefined || !("purchaseId" in e) || !("purchaser" in e) || getAddress(e.purchaser) !== this.address) return [];
    const id = e.purchaseId.toString();
    if (e.kind === "EnergyPurchased") {
      this.#state.purchases[id] = {
        key: eventKey(e),
        purchasedAt: (await lookups.blockTime(e.blockNumber)).toString(),
        quantity: e.quantity.toString(),
        delivered: "0",
        withheld: "0",
        amounts: {},
        notified: false,
      };
      return [];
    }
    const p = this.#state.purchases[id];
    if (!p) return []; // bought before this tracker started
    if (e.kind === "EnergyTransferred") {
      p.delivered = (BigInt(p.delivered) + e.amount).toString();
      p.amounts[e.index] = e.amount.toString();
    } else if (e.kind === "DisputeResolved" && e.upheld) {
      p.withheld = (BigInt(p.withheld) + BigInt(p.amounts[e.index] ?? "0")).toString();
    } else if (e.kind === "BillRecorded" || e.kind === "PurchaseClosed") {
      delete this.#state.purchases[id];
    }
    return [];
  }

  /** The purchases found late and short at chain time `now`, each reported once. */
  due(now: bigint): DeliveryNotice[] {
    const within = this.rules.deliveryWithin;
    if (within === undefined) return [];
    const notices: DeliveryNotice[] = [];
    for (const [id, p] of Object.entries(this.#state.purchases)) {
      if (p.notified) continue;
      const progress = { purchaseId: BigInt(id), purchasedAt: BigInt(p.purchasedAt), quantity: BigInt(p.quantity), delivered: BigInt(p.delivered), withheld: BigInt(p.withheld) };
      if (!isLate(progress, within, now)) continue;
      p.notified = true;
      p.amounts = {}; // reported once: the rest no longer matters
      const delivered = progress.delivered - progress.withheld;
      notices.push({
        type: "delivery-late",
        key: `delivery-late:${p.key}`,
        purchaseId: progress.purchaseId,
        purchaser: this.address,
        quantity: progress.quantity,
        delivered,
        short: progress.quantity - delivered,
        purchasedAt: progress.purchasedAt,
        deadline: progress.purchasedAt + within,
        now,
        within: formatDuration(within),
      });
    }
    return notices.sort((a, b) => (a.purchaseId < b.purchaseId ? -1 : 1));
  }

  /** Whether any purchase is waiting for its deadline (so the chain time is worth reading). */
  get waiting(): boolean {
    return this.rules.deliveryWithin !== undefined && Object.values(this.#state.purchases).some((p) => !p.notified);
  }
}

/** A notice in words. */
export function describeNotice(n: ThresholdNotice): string {
  if (n.type === "delivery-late") {
    return `purchase ${n.purchaseId} is past its delivery deadline (${n.within} after purchase) and still short: ${formatEnergy(n.delivered)} of ${formatEnergy(n.quantity)} delivered`;
  }
  const level = n.level.endsWith("%") ? `${n.level} (${formatEnergy(n.levelWh)})` : formatEnergy(n.levelWh);
  return n.type === "storage-below"
    ? `offer ${n.offerId} storage fell below ${level}: ${formatEnergy(n.available)} available (#${n.event.blockNumber})`
    : `offer ${n.offerId} storage is back at or above ${level}: ${formatEnergy(n.available)} available (#${n.event.blockNumber})`;
}

// ---------------------------------------------------------------------- the notification stream

/** One thing to tell: an alert, or a threshold notice. `key` is stable across runs (an idempotency key). */
export type Notification = { type: "alert"; key: string; alert: Alert } | { type: "threshold"; key: string; notice: ThresholdNotice };

/**
 * A step of the stream: what to tell (possibly nothing), and the position reached once it is told. Resuming
 * `after: cursor` with the tracker restored from `thresholds` continues right behind this step.
 */
export interface NotificationStep {
  cursor: AlertCursor;
  items: Notification[];
  /** The tracker's state after this step (when thresholds are tracked). */
  thresholds?: ThresholdSnapshot;
}

export interface NotificationOptions {
  /** Continue behind this position; default: from the next block on (live only). */
  after?: AlertCursor;
  /** Threshold rules, with the tracker's saved state when resuming. */
  tracker?: ThresholdTracker;
  pollMs?: number;
  confirmations?: number;
  batchBlocks?: number;
  signal?: AbortSignal;
  /** Chain reads for the tracker (default: from the client). */
  lookups?: ThresholdLookups;
}

/**
 * Alerts for an address with the threshold notices they trigger, as steps in chain order, until the signal
 * aborts. Each alert is a step, followed in the same step by the storage notices its reading triggers; at the
 * end of every block range, a step with the late deliveries found at that range's last block time (possibly
 * none: a pure progress step).
 */
export async function* notificationSteps(client: GridLedgerClient, forAddress: string, options: NotificationOptions = {}): AsyncGenerator<NotificationStep> {
  const address = getAddress(forAddress);
  const pollMs = options.pollMs ?? 1_000;
  const confirmations = options.confirmations ?? 0;
  const batch = options.batchBlocks ?? client.logRange;
  const tracker = options.tracker?.active ? options.tracker : undefined;
  const lookups = options.lookups ?? chainLookups(client);
  const after = options.after;
  let next = after ? after.block : (await client.headBlock()) + 1;
  while (!options.signal?.aborted) {
    const head = (await client.headBlock()) - confirmations;
    if (head < next) {
      await sleep(pollMs, options.signal);
      continue;
    }
    const to = Math.min(head, next + batch - 1);
    for (const found of await alertsInRange(client, address, next, to)) {
      const cursor = { block: found.event.blockNumber, logIndex: found.event.logIndex };
      if (after && compareEvents({ blockNumber: cursor.block, logIndex: cursor.logIndex }, { blockNumber: after.block, logIndex: after.logIndex }) <= 0) continue;
      if (options.signal?.aborted) return;
      const items: Notification[] = [{ type: "alert", key: eventKey(found.event), alert: { ...found, cursor } }];
      if (tracker) for (const notice of await tracker.observe(found.event, lookups)) items.push({ type: "threshold", key: notice.key, notice });
      yield { cursor, items, thresholds: tracker?.snapshot() };
    }
    const items: Notification[] = [];
    if (tracker?.waiting) {
      for (const notice of tracker.due(await lookups.blockTime(to))) items.push({ type: "threshold", key: notice.key, notice });
    }
    if (options.signal?.aborted) return;
    yield { cursor: endOfBlock(to), items, thresholds: tracker?.snapshot() };
    next = to + 1;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
