/**
 * The anomaly flag: the registries' μ ± kσ check on a meter's readings. A reading is flagged when it lies more
 * than k standard deviations from the mean of the same series' earlier readings: plausible (the contract
 * accepted it: within capacity, within rated power, no overlap) but unusual for that meter.
 *
 * Series (each judged only against its own history):
 * - `storage:<offerId>:<recorder>`: the available storage of one offer as read by one recorder (producer or
 *   meter), Wh — the `available` of each StorageRecorded;
 * - `transfer:<meter>`: the energy of each transfer on one meter normalised per hour, i.e. its average power,
 *   amount × 3600 / (end − start), Wh per hour (= W).
 *
 * Rules: the history is the series' readings before this one (at most `window` of the latest, flagged ones
 * included); nothing is flagged before `minHistory` readings; σ is the population standard deviation of the
 * history. When σ is 0 (a constant history), any other value is flagged. Values within a relative 1e-9 of μ
 * are never flagged (rounding of the per-hour division).
 *
 * No node: imports: the web app imports this file through Vite.
 */
import { compareEvents, eventKey, type LedgerEvent } from "./events.js";
import type { GridLedgerClient } from "./ledgerClient.js";

/** Standard deviations from the mean beyond which a reading is flagged. */
export const DEFAULT_K = 1.5;
/** Readings of a series needed before any is flagged. */
export const DEFAULT_MIN_HISTORY = 8;
/** Latest readings of a series that form its history. */
export const DEFAULT_WINDOW = 100;

export interface AnomalyOptions {
  /** k in μ ± kσ; a finite number > 0 (default 1.5). */
  k?: number;
  /** Earlier readings of the series needed before flagging; a whole number ≥ 2 (default 8). */
  minHistory?: number;
  /** How many of the latest earlier readings form the history; ≥ minHistory (default 100). */
  window?: number;
}

/** One reading of a series. */
export interface Reading {
  series: string;
  /** Wh for storage readings, W (Wh per hour) for transfers. */
  value: number;
  unit: "Wh" | "W";
}

/** The verdict on one value against a history. */
export interface AnomalyCheck {
  anomalous: boolean;
  /** Earlier readings used. */
  n: number;
  mean: number;
  std: number;
  k: number;
  /** μ − kσ and μ + kσ. */
  low: number;
  high: number;
  /** |value − μ| / σ; Infinity when σ is 0 and the value differs; 0 below the minimum history. */
  z: number;
  /** False when the history is shorter than `minHistory`: nothing was judged. */
  judged: boolean;
}

/** A flagged reading. */
export interface AnomalyFlag extends Reading {
  /** The event's {@link eventKey}. */
  eventKey: string;
  blockNumber: number;
  logIndex: number;
  n: number;
  mean: number;
  std: number;
  k: number;
  low: number;
  high: number;
  z: number;
  direction: "high" | "low";
}

interface Resolved {
  k: number;
  minHistory: number;
  window: number;
}

/** Checks and fills in the options; throws a RangeError naming the bad one. */
export function anomalyOptions(options: AnomalyOptions = {}): Resolved {
  const k = options.k ?? DEFAULT_K;
  const minHistory = options.minHistory ?? DEFAULT_MIN_HISTORY;
  const window = options.window ?? Math.max(DEFAULT_WINDOW, minHistory);
  if (typeof k !== "number" || !Number.isFinite(k) || k <= 0) throw new RangeError(`anomaly k: must be a finite number above 0 (got ${String(k)})`);
  if (!Number.isSafeInteger(minHistory) || minHistory < 2) throw new RangeError(`anomaly minHistory: must be a whole number ≥ 2 (got ${String(minHistory)})`);
  if (!Number.isSafeInteger(window) || window < minHistory) {
    throw new RangeError(`anomaly window: must be a whole number ≥ minHistory (${minHistory}) (got ${String(window)})`);
  }
  return { k, minHistory, window };
}

/** The series and value of an event, for the events that are meter readings; undefined for the others. */
export function readingOf(e: LedgerEvent): Reading | undefined {
  if (e.kind === "StorageRecorded") {
    return { series: `storage:${e.offerId}:${e.recorder.toLowerCase()}`, value: Number(e.available), unit: "Wh" };
  }
  if (e.kind === "EnergyTransferred") {
    const seconds = e.end - e.start;
    if (seconds <= 0n) return undefined; // the contract rejects it; never divide by zero
    return { series: `transfer:${e.meter.toLowerCase()}`, value: (Number(e.amount) * 3600) / Number(seconds), unit: "W" };
  }
  return undefined;
}

/** Mean and population standard deviation (two passes, for accuracy). */
export function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) throw new RangeError("meanAndStd of an empty list");
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, std: Math.sqrt(squares / values.length) };
}

/** Judges one value against the readings before it (oldest first; only the last `window` count). */
export function checkReading(value: number, history: readonly number[], options: AnomalyOptions = {}): AnomalyCheck {
  const { k, minHistory, window } = anomalyOptions(options);
  const used = history.length > window ? history.slice(history.length - window) : history;
  if (used.length < minHistory) {
    return { anomalous: false, judged: false, n: used.length, mean: NaN, std: NaN, k, low: NaN, high: NaN, z: 0 };
  }
  const { mean, std } = meanAndStd(used);
  const deviation = Math.abs(value - mean);
  const negligible = deviation <= 1e-9 * Math.max(1, Math.abs(mean));
  const z = negligible ? 0 : std === 0 ? Infinity : deviation / std;
  return { anomalous: !negligible && deviation > k * std, judged: true, n: used.length, mean, std, k, low: mean - k * std, high: mean + k * std, z };
}

/** Judges readings as they come, oldest first, each against its own series' history. */
export class AnomalyDetector {
  readonly options: Readonly<Resolved>;
  readonly #history = new Map<string, number[]>();
  /** The last position observed per series: a reading at or before it was already counted. */
  readonly #last = new Map<string, { blockNumber: number; logIndex: number }>();

  constructor(options: AnomalyOptions = {}) {
    this.options = anomalyOptions(options);
  }

  /** Adds an event (in chain order; one at or before the series' last is ignored) and returns its flag when it is an unusual reading; undefined otherwise. */
  observe(e: LedgerEvent): AnomalyFlag | undefined {
    const reading = readingOf(e);
    if (!reading) return undefined;
    const last = this.#last.get(reading.series);
    if (last && compareEvents(e, last) <= 0) return undefined; // seen already (overlapping pages), or out of order
    this.#last.set(reading.series, { blockNumber: e.blockNumber, logIndex: e.logIndex });
    const key = eventKey(e);
    const history = this.#history.get(reading.series) ?? [];
    const check = checkReading(reading.value, history, this.options);
    history.push(reading.value);
    if (history.length > this.options.window) history.splice(0, history.length - this.options.window);
    this.#history.set(reading.series, history);
    if (!check.anomalous) return undefined;
    return {
      ...reading,
      eventKey: key,
      blockNumber: e.blockNumber,
      logIndex: e.logIndex,
      n: check.n,
      mean: check.mean,
      std: check.std,
      k: check.k,
      low: check.low,
      high: check.high,
      z: check.z,
      direction: reading.value > check.mean ? "high" : "low",
    };
  }
}

/** Flags the unusual readings among `events` (any order), keyed by {@link eventKey}. */
export function flagAnomalies(events: readonly LedgerEvent[], options: AnomalyOptions = {}): Map<string, AnomalyFlag> {
  const detector = new AnomalyDetector(options);
  const flags = new Map<string, AnomalyFlag>();
  for (const e of [...events].sort(compareEvents)) {
    const flag = detector.observe(e);
    if (flag) flags.set(flag.eventKey, flag);
  }
  return flags;
}

/** Largest number of history pages read per series by {@link anomaliesOf}. */
const MAX_PAGES_PER_SERIES = 50;

/**
 * Flags the unusual readings among some events — a history page, say — reading each series' earlier readings
 * from the chain (backwards, at most `window` before the oldest event of the series given). For the CLI's
 * `history --anomalies` and the web app's history table.
 */
export async function anomaliesOf(
  client: GridLedgerClient,
  events: readonly LedgerEvent[],
  options: AnomalyOptions = {},
): Promise<Map<string, AnomalyFlag>> {
  const resolved = anomalyOptions(options);
  const bySeries = new Map<string, LedgerEvent[]>();
  for (const e of events) {
    const reading = readingOf(e);
    if (reading) bySeries.set(reading.series, [...(bySeries.get(reading.series) ?? []), e]);
  }
  const flags = new Map<string, AnomalyFlag>();
  for (const [series, mine] of bySeries) {
    const sorted = [...mine].sort(compareEvents);
    const oldest = sorted[0];
    const newest = sorted.at(-1)!;
    const filter =
      newest.kind === "StorageRecorded"
        ? { kinds: ["StorageRecorded" as const], offerId: newest.offerId }
        : { kinds: ["EnergyTransferred" as const], producer: (newest as Extract<LedgerEvent, { kind: "EnergyTransferred" }>).producer };
    // Read backwards from just after the newest event until `window` readings of this series precede the oldest.
    const collected: LedgerEvent[] = [];
    let before: { blockNumber: number; logIndex: number } | undefined = { blockNumber: newest.blockNumber, logIndex: newest.logIndex + 1 };
    let older = 0;
    for (let pages = 0; before && older < resolved.window && pages < MAX_PAGES_PER_SERIES; pages++) {
      const page = await client.history(filter, { size: 200, before });
      for (const e of page.events) {
        if (readingOf(e)?.series !== series) continue;
        collected.push(e);
        if (compareEvents(e, oldest) < 0) older++;
      }
      before = page.next;
    }
    const all = [...collected, ...mine].sort(compareEvents);
    // The `window` readings before the oldest given event are its history; earlier ones never count.
    const firstMine = all.findIndex((e) => compareEvents(e, oldest) >= 0);
    const detector = new AnomalyDetector(resolved);
    const wanted = new Set(mine.map(eventKey));
    for (const e of all.slice(Math.max(0, firstMine - resolved.window))) {
      const flag = detector.observe(e);
      if (flag && wanted.has(flag.eventKey)) flags.set(flag.eventKey, flag);
    }
  }
  return flags;
}

/** A flag in words: "unusual: 9.5 kW is above μ + 1.5σ = 5.2 (μ 4.1, σ 0.7, 12 readings)". */
export function describeAnomaly(flag: AnomalyFlag): string {
  const r = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
  const bound = flag.direction === "high" ? `above μ + ${flag.k}σ = ${r(flag.high)}` : `below μ − ${flag.k}σ = ${r(flag.low)}`;
  return `unusual: ${r(flag.value)} ${flag.unit} is ${bound} ${flag.unit} (μ ${r(flag.mean)}, σ ${r(flag.std)}, ${flag.n} readings)`;
}
