/**
 * The simulation's report: the JSON written to bench/results/simulate.json and the summary printed at the end.
 */
import { formatEther } from "ethers";
import type { RecordCounts } from "../ledgerClient.js";
import { median } from "../stats.js";
import { latencySummary } from "./metrics.js";
import { ACTION_KINDS, COUNTED_KINDS, countByKind, type ActionKind } from "./plan.js";
import type { SimResult } from "./run.js";

export interface SimContext {
  mode: "local" | "rpc";
  rpcUrl: string;
  ipfs: string;
  chainId: number;
  contract: string;
  drainS: number;
  blockTimeS: number;
  startedAt: string;
  finishedAt: string;
}

type CountField = (typeof COUNTED_KINDS)[keyof typeof COUNTED_KINDS];

export interface SimCheck {
  /** sent = mined + failed, for every kind. */
  accounted: boolean;
  /**
   * recordCounts() moved by exactly the mined records of each counted kind; batched readings are no records (their
   * count must not move): the chain's BatchAnchored counts must equal the readings anchored instead.
   */
  countsMatch: boolean;
  /** Every recorded bill fetched by its on-chain CID and matched the chain. */
  billsVerified: boolean;
  lines: string[];
  ok: boolean;
}

export function checkResult(r: SimResult): SimCheck {
  const lines: string[] = [];
  let accounted = true;
  for (const kind of ACTION_KINDS) {
    const k = r.metrics.byKind[kind];
    if (k.sent !== k.mined + k.failed || k.planned !== k.sent + k.skipped) accounted = false;
  }
  const t = r.metrics.totals();
  lines.push(
    `${accounted ? "ok  " : "FAIL"} accounted: sent ${t.sent} = mined ${t.mined} + failed ${t.failed}; planned ${t.planned} = sent ${t.sent} + skipped ${t.skipped}`,
  );
  let countsMatch = true;
  for (const [kind, field] of Object.entries(COUNTED_KINDS) as [ActionKind, CountField][]) {
    const delta = r.countsAfter[field] - r.countsBefore[field];
    const batched = kind === "recordStorage" && r.readings !== undefined;
    const mined = batched ? 0n : BigInt(r.metrics.byKind[kind].mined);
    const same = delta === mined;
    if (!same) countsMatch = false;
    lines.push(`${same ? "ok  " : "FAIL"} recordCounts().${field}: +${delta} on chain, ${mined} ${batched ? "sent as transactions (readings batched)" : "mined by the simulator"}`);
  }
  if (r.readings) {
    const k = r.metrics.byKind.recordStorage;
    const { chain } = r.readings;
    const same = chain.readings === k.sent - k.failed && chain.readings === r.readings.anchored;
    if (!same) countsMatch = false;
    lines.push(
      `${same ? "ok  " : "FAIL"} readings: ${chain.readings} anchored on chain (${chain.batches} BatchAnchored events) = sent ${k.sent} − failed ${k.failed}; the aggregator reported ${r.readings.anchored}`,
    );
  }
  const failed = r.bills.checks.filter((c) => !c.ok);
  const billsVerified = failed.length === 0;
  lines.push(
    `${billsVerified ? "ok  " : "FAIL"} bills: ${r.bills.checks.length - failed.length} of ${r.bills.checks.length} recorded bills verified against the chain` +
      (failed.length ? ` (failed: ${failed.map((c) => `purchase ${c.purchaseId}: ${c.problem}`).join("; ")})` : ""),
  );
  return { accounted, countsMatch, billsVerified, lines, ok: accounted && countsMatch && billsVerified && !r.interrupted };
}

const counts = (c: RecordCounts) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, Number(v)]));

export function buildReport(r: SimResult, context: SimContext, check: SimCheck) {
  const m = r.metrics;
  const t = m.totals();
  const activeS = m.firstSentMs !== undefined && m.lastMinedMs !== undefined ? (m.lastMinedMs - m.firstSentMs) / 1000 : 0;
  // Batched readings wait for their batch: their post → anchored latency is reported with them, not here.
  const transactionKinds = ACTION_KINDS.filter((k) => !(k === "recordStorage" && r.readings));
  const allLatency = transactionKinds.flatMap((k) => m.byKind[k].submitToMinedMs);
  const gas: Record<string, { count: number; mean: number; median: number; min: number; max: number } | null> = {};
  const fees: Record<string, string> = {};
  let feesWei = 0n;
  for (const kind of ACTION_KINDS) {
    const g = m.byKind[kind].gas;
    gas[kind] = g.length
      ? {
          count: g.length,
          mean: Math.round(g.reduce((a, b) => a + b, 0) / g.length),
          median: median(g),
          min: g.reduce((a, b) => Math.min(a, b), g[0]),
          max: g.reduce((a, b) => Math.max(a, b), g[0]),
        }
      : null;
    fees[kind] = m.byKind[kind].fees.toString();
    feesWei += m.byKind[kind].fees;
  }
  const c = r.plan.config;
  return {
    tool: "gridledger-simulate",
    version: 1,
    startedAt: context.startedAt,
    finishedAt: context.finishedAt,
    config: {
      mode: context.mode,
      producers: c.producers,
      meters: c.meters,
      purchasers: c.purchasers,
      durationS: c.durationS,
      seed: c.seed,
      readingEveryS: c.readingEveryS,
      purchaseEveryS: c.purchaseEveryS,
      budgetEth: formatEther(c.budgetWei),
      drainS: context.drainS,
      blockTimeS: context.blockTimeS,
      rpcUrl: context.rpcUrl,
      ipfs: context.ipfs,
      chainId: context.chainId,
      contract: context.contract,
      fundedBy: r.fundedBy,
      batched: r.readings !== undefined,
    },
    /** Delivery windows need hours of chain time: the chain's clock was moved forward ("warp") or real time waited for. */
    simulatedTime: { mode: r.clock.mode, chainClockMovedS: r.clock.warpedS },
    plan: { actions: r.plan.actions.length, byKind: countByKind(r.plan.actions), fingerprint: r.plan.fingerprint },
    events: {
      planned: t.planned,
      sent: t.sent,
      mined: t.mined,
      failed: t.failed,
      skipped: t.skipped,
      byKind: Object.fromEntries(
        ACTION_KINDS.map((k) => {
          const s = m.byKind[k];
          return [k, { planned: s.planned, sent: s.sent, mined: s.mined, failed: s.failed, skipped: s.skipped }];
        }),
      ),
    },
    failures: m.failures.slice(0, 500),
    failureReasons: m.failureReasons(),
    skipReasons: m.skipReasons(),
    eventsPerSecond: activeS > 0 ? Math.round((t.mined / activeS) * 10) / 10 : 0,
    activeSeconds: Math.round(activeS * 10) / 10,
    latencyMs: {
      submitToMined: latencySummary(allLatency),
      byKind: Object.fromEntries(ACTION_KINDS.map((k) => [k, latencySummary(m.byKind[k].submitToMinedMs)])),
    },
    gas,
    ethSpent: {
      feesWei: feesWei.toString(),
      feesEth: formatEther(feesWei),
      feesWeiByKind: fees,
      escrowWei: r.escrowWei.toString(),
      escrowEth: formatEther(r.escrowWei),
      withdrawnWei: r.withdrawnWei.toString(),
      withdrawnEth: formatEther(r.withdrawnWei),
    },
    readings: r.readings ? batchedReport(r) : null,
    bills: {
      recorded: r.bills.checks.length,
      verified: r.bills.checks.filter((b) => b.ok).length,
      failed: r.bills.checks.filter((b) => !b.ok),
      buildMs: latencySummary(r.bills.buildMs),
      uploadMs: latencySummary(r.bills.uploadMs),
    },
    check: {
      countsBefore: counts(r.countsBefore),
      countsAfter: counts(r.countsAfter),
      accounted: check.accounted,
      countsMatch: check.countsMatch,
      billsVerified: check.billsVerified,
      lines: check.lines,
    },
    seconds: r.seconds,
    interrupted: r.interrupted,
    ok: check.ok,
  };
}

/** The batched readings: how many were signed, batched (accepted), anchored, at what gas and rate. */
function batchedReport(r: SimResult) {
  const b = r.readings!;
  const k = r.metrics.byKind.recordStorage;
  const gas = b.batches.reduce((sum, x) => sum + x.gasUsed, 0n);
  const fees = b.batches.reduce((sum, x) => sum + x.fee, 0n);
  const spanS = b.firstPostMs !== undefined && b.lastAnchoredMs !== undefined ? (b.lastAnchoredMs - b.firstPostMs) / 1000 : 0;
  return {
    batchSize: b.batchSize,
    maxAgeS: b.maxAgeMs / 1000,
    signatureBackend: b.signatureBackend,
    aggregator: b.aggregator,
    signed: b.signed,
    batched: b.accepted,
    anchored: k.mined,
    failed: k.failed,
    onChain: b.chain,
    batches: b.batches.length,
    gasPerReading: k.mined > 0 ? Math.round((Number(gas) / k.mined) * 10) / 10 : null,
    feesWei: fees.toString(),
    /** Readings anchored per second, from the first posted to the last batch anchored. */
    readingsPerSecond: spanS > 0 ? Math.round((k.mined / spanS) * 10) / 10 : 0,
    postToAnchoredMs: latencySummary(k.submitToMinedMs),
  };
}

export type SimReport = ReturnType<typeof buildReport>;

/** The summary printed at the end: one row per kind of action, then latency, ETH, bills and the check. */
export function formatSummary(report: SimReport): string {
  const rows: string[][] = [["action", "planned", "sent", "mined", "failed", "skipped", "gas (median)", "p50 ms", "p95 ms"]];
  const batched = report.readings;
  for (const kind of ACTION_KINDS) {
    const e = report.events.byKind[kind];
    const g = report.gas[kind];
    const l = report.latencyMs.byKind[kind];
    rows.push([kind === "recordStorage" && batched ? "reading (batched)" : kind, e.planned, e.sent, e.mined, e.failed, e.skipped, g?.median ?? "-", l.p50 ?? "-", l.p95 ?? "-"].map(String));
  }
  const e = report.events;
  rows.push(["total", e.planned, e.sent, e.mined, e.failed, e.skipped, "", "", ""].map(String));
  const lat = report.latencyMs.submitToMined;
  const lines = [
    table(rows),
    "",
    `events/s      ${report.eventsPerSecond} mined per second over ${report.activeSeconds} s`,
    `latency       submit → mined p50 ${lat.p50} ms, p95 ${lat.p95} ms, p99 ${lat.p99} ms (${lat.count} transactions)`,
    ...(batched
      ? [
          `readings      ${batched.signed} signed, ${batched.batched} batched, ${batched.anchored} anchored in ${batched.batches} batches of up to ${batched.batchSize} (max age ${batched.maxAgeS} s); ${batched.failed} failed`,
          `              ${batched.gasPerReading ?? "-"} gas per reading, ${batched.readingsPerSecond} readings/s first post → last anchored; post → anchored p50 ${batched.postToAnchoredMs.p50} ms, p95 ${batched.postToAnchoredMs.p95} ms; signatures: ${batched.signatureBackend}`,
        ]
      : []),
    `ETH           fees ${report.ethSpent.feesEth}, escrowed ${report.ethSpent.escrowEth}, withdrawn ${report.ethSpent.withdrawnEth}`,
    `bills         ${report.bills.verified}/${report.bills.recorded} verified; build p50 ${report.bills.buildMs.p50} ms, upload p50 ${report.bills.uploadMs.p50} ms`,
    `chain time    ${report.simulatedTime.mode === "warp" ? `moved forward ${(report.simulatedTime.chainClockMovedS / 3600).toFixed(1)} h for delivery windows (evm_increaseTime)` : "real time (the node cannot move its clock)"}`,
    `phases        setup ${report.seconds.setup} s, run ${report.seconds.run} s, final ${report.seconds.final} s, verify ${report.seconds.verify} s`,
  ];
  const reasons = Object.entries(report.failureReasons);
  if (reasons.length) lines.push(`failures      ${reasons.map(([r, n]) => `${r} ×${n}`).join("; ")}`);
  const skips = Object.entries(report.skipReasons);
  if (skips.length) lines.push(`skipped       ${skips.map(([r, n]) => `${r} ×${n}`).join("; ")}`);
  lines.push("", "check:", ...report.check.lines.map((l) => `  ${l}`), report.ok ? "ALL CHECKS PASSED" : "CHECK FAILED");
  return lines.join("\n");
}

/** A plain text table, numbers right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r.map((cell, i) => (i > 0 && /^[\d.,-]+$/.test(cell) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}
