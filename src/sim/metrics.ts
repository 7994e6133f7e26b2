/**
 * What happened to every planned action: sent, mined (with gas, fee and latency), failed (with the reason), or
 * skipped (never sent, with the reason). Nothing is dropped: every action ends in exactly one of these.
 */
import { percentile } from "../stats.js";
import { ACTION_KINDS, type Action, type ActionKind } from "./plan.js";

export type Outcome =
  | {
      status: "mined";
      hash: string;
      blockNumber: number;
      gasUsed: bigint;
      /** gasUsed × effective gas price, wei. */
      fee: bigint;
      /** The record's id: offer or purchase id, transfer index, amount withdrawn. */
      id: bigint | number | string;
      /** ms from the action's call to its receipt (estimate, signing, sending and mining). */
      callToMinedMs: number;
      /** ms from the transaction reaching the node to its receipt. */
      submitToMinedMs: number | undefined;
      /** Found mined after its sender gave up on it. */
      late?: boolean;
    }
  | {
      status: "failed";
      /** A short, stable reason: the contract's error name, or what went wrong. */
      reason: string;
      detail: string;
      /** Where it failed: before sending (prepare, estimate), sending, waiting for the receipt, or a mined revert. */
      stage: "prepare" | "estimate" | "broadcast" | "receipt";
      hash?: string;
      attempts: number;
    }
  | { status: "skipped"; reason: string };

export interface KindStats {
  planned: number;
  sent: number;
  mined: number;
  failed: number;
  skipped: number;
  gas: number[];
  fees: bigint;
  submitToMinedMs: number[];
}

export interface Snapshot {
  elapsedS: number;
  sent: number;
  mined: number;
  failed: number;
  skipped: number;
  inflight: number;
  /** Mined per second over the last few seconds. */
  rate: number;
}

export class Metrics {
  readonly byKind: Record<ActionKind, KindStats>;
  readonly failures: { id: number; kind: ActionKind; actor: string; reason: string; detail: string; stage: string; hash?: string }[] = [];
  readonly skips: { id: number; kind: ActionKind; reason: string }[] = [];
  readonly startMs = performance.now();
  firstSentMs: number | undefined;
  lastMinedMs: number | undefined;
  readonly #recent: number[] = [];

  constructor(actions: readonly Action[]) {
    this.byKind = Object.fromEntries(
      ACTION_KINDS.map((k) => [k, { planned: 0, sent: 0, mined: 0, failed: 0, skipped: 0, gas: [], fees: 0n, submitToMinedMs: [] }]),
    ) as unknown as Record<ActionKind, KindStats>;
    for (const a of actions) this.byKind[a.kind].planned++;
  }

  readonly #sentIds = new Set<number>();

  /** Books the action as sent (once, however often it is called). */
  sent(action: Action): void {
    if (this.#sentIds.has(action.id)) return;
    this.#sentIds.add(action.id);
    this.byKind[action.kind].sent++;
    this.firstSentMs ??= performance.now();
  }

  wasSent(action: Action): boolean {
    return this.#sentIds.has(action.id);
  }

  settle(action: Action, outcome: Outcome): void {
    const k = this.byKind[action.kind];
    switch (outcome.status) {
      case "mined":
        k.mined++;
        k.gas.push(Number(outcome.gasUsed));
        k.fees += outcome.fee;
        if (outcome.submitToMinedMs !== undefined) k.submitToMinedMs.push(outcome.submitToMinedMs);
        this.lastMinedMs = performance.now();
        this.#recent.push(this.lastMinedMs);
        if (this.#recent.length > 10_000) this.#recent.splice(0, 5_000);
        break;
      case "failed":
        k.failed++;
        this.failures.push({
          id: action.id,
          kind: action.kind,
          actor: `${action.actor.role} ${action.actor.index}`,
          reason: outcome.reason,
          detail: outcome.detail,
          stage: outcome.stage,
          ...(outcome.hash ? { hash: outcome.hash } : {}),
        });
        break;
      case "skipped":
        k.skipped++;
        this.skips.push({ id: action.id, kind: action.kind, reason: outcome.reason });
        break;
    }
  }

  /** A failure that turned out mined after all (found by its hash at the end). */
  reclassify(action: Action, outcome: Extract<Outcome, { status: "mined" }>): void {
    const k = this.byKind[action.kind];
    const at = this.failures.findIndex((f) => f.id === action.id);
    if (at >= 0) this.failures.splice(at, 1);
    k.failed--;
    this.settle(action, outcome);
  }

  totals(): { planned: number; sent: number; mined: number; failed: number; skipped: number } {
    const t = { planned: 0, sent: 0, mined: 0, failed: 0, skipped: 0 };
    for (const k of Object.values(this.byKind)) {
      t.planned += k.planned;
      t.sent += k.sent;
      t.mined += k.mined;
      t.failed += k.failed;
      t.skipped += k.skipped;
    }
    return t;
  }

  snapshot(): Snapshot {
    const now = performance.now();
    const t = this.totals();
    const window = 5_000;
    const since = now - window;
    let recent = 0;
    for (let i = this.#recent.length - 1; i >= 0 && this.#recent[i] >= since; i--) recent++;
    const span = Math.min(window, now - (this.firstSentMs ?? now)) / 1000;
    return {
      elapsedS: (now - this.startMs) / 1000,
      sent: t.sent,
      mined: t.mined,
      failed: t.failed,
      skipped: t.skipped,
      inflight: t.sent - t.mined - t.failed,
      rate: span > 0 ? recent / span : 0,
    };
  }

  /** Failures grouped by reason. */
  failureReasons(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const f of this.failures) out[`${f.kind}: ${f.reason}`] = (out[`${f.kind}: ${f.reason}`] ?? 0) + 1;
    return out;
  }

  skipReasons(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.skips) out[`${s.kind}: ${s.reason}`] = (out[`${s.kind}: ${s.reason}`] ?? 0) + 1;
    return out;
  }
}

/** p50/p95/p99 (nearest rank) and the count of a list of milliseconds; nulls when empty. */
export function latencySummary(values: readonly number[]): { count: number; p50: number | null; p95: number | null; p99: number | null; max: number | null } {
  if (values.length === 0) return { count: 0, p50: null, p95: null, p99: null, max: null };
  const r = (v: number) => Math.round(v * 10) / 10;
  return {
    count: values.length,
    p50: r(percentile(values, 50)),
    p95: r(percentile(values, 95)),
    p99: r(percentile(values, 99)),
    max: r(values.reduce((a, b) => (b > a ? b : a), values[0])),
  };
}
