/**
 * The benchmark report: bench/results/summary.json (the headline figures), the charts under docs/bench/*.svg and
 * docs/BENCHMARKS.md, all regenerated from one run's results.
 */
import type { BatchingResult } from "./batching.js";
import type { BillsResult } from "./bills.js";
import type { GasResult } from "./gas.js";
import type { LatencyResult } from "./latency.js";
import type { MachineInfo } from "./machine.js";
import type { PaperTable } from "./paperTable.js";
import type { ScalingResult } from "./scaling.js";
import { barChart, lineChart } from "./svg.js";
import type { PlacementFigures, ThroughputResult } from "./throughput.js";

export interface Section<T> {
  result: T;
  seconds: number;
  /** Set when the figures come from an earlier run's file (this run skipped the section). */
  earlier?: string;
}

export interface BenchRun {
  mode: "quick" | "full";
  startedAt: string;
  finishedAt: string;
  durationS: number;
  machine: MachineInfo;
  gas?: Section<GasResult>;
  throughput?: Section<ThroughputResult>;
  latency?: Section<LatencyResult>;
  bills?: Section<BillsResult>;
  scaling?: Section<ScalingResult>;
  batching?: Section<BatchingResult>;
  /** Computed from the gas (and batching) figures: no measurement of its own. */
  paperTable?: PaperTable;
  errors: Record<string, string>;
}

const fmt = (n: number | null | undefined, digits = 1) => (n === null || n === undefined ? "–" : Number(n.toFixed(digits)).toLocaleString("en-US"));
const int = (n: number | null | undefined) => (n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US"));

export function summarize(run: BenchRun) {
  const { gas, throughput, latency, bills, scaling, batching } = run;
  const first = scaling?.result.levels[0];
  const last = scaling?.result.levels.at(-1);
  const headline: string[] = [];
  if (gas) headline.push(`${int(gas.result.recurringMean)} gas on average for a storage reading, purchase, transfer and bill (paper: ${int(gas.result.paperGasPerPush)} gas per push)`);
  if (throughput) {
    const t = throughput.result;
    const shared = t.byPlacement["shared cores"];
    headline.push(
      `${fmt(t.gridledgerEventsPerSec)} GridLedger events/s through the client from ${t.accounts} accounts, ` +
        `against a node ceiling of ${fmt(t.ceilingTxPerSec)} plain transfers/s (ratio ${fmt(t.ratio, 3)}; target ${t.targetRatio}), ${placementText(t)}` +
        (t.placement === "own cores"
          ? `; sharing every core: ${fmt(shared.gridledgerEventsPerSec)} against ${fmt(shared.ceilingTxPerSec)} (ratio ${fmt(shared.ratio, 3)})`
          : ""),
    );
  }
  if (latency) {
    headline.push(
      `submit → mined p50 ${fmt(latency.result.submitToMinedMs.p50)} ms / p95 ${fmt(latency.result.submitToMinedMs.p95)} ms; ` +
        `mined → alert p50 ${fmt(latency.result.minedToAlertMs.p50)} ms / p95 ${fmt(latency.result.minedToAlertMs.p95)} ms`,
    );
  }
  if (bills) headline.push(`${fmt(bills.result.billsPerSec, 2)} bills/s built, uploaded, recorded and verified; p50 ${fmt(bills.result.stagesMs.total.p50)} ms per bill`);
  if (first && last) {
    headline.push(
      `from ${int(first.records)} to ${int(last.records)} records: history page ${fmt(first.historyPageMs)} → ${fmt(last.historyPageMs)} ms, ` +
        `purchase gas ${int(first.gas.purchase)} → ${int(last.gas.purchase)}`,
    );
  }
  const biggest = batching?.result.batches.at(-1);
  if (biggest) {
    headline.push(
      `batches of ${int(biggest.size)} signed readings anchored through the aggregator: ${fmt(biggest.gasPerReading, 1)} gas per reading, ${fmt(biggest.readingsPerSec, 0)} readings/s`,
    );
  }
  const mean = run.paperTable?.rows.find((r) => r.event === "mean of the four");
  if (run.paperTable && mean) {
    const t = run.paperTable;
    headline.push(
      `the mean event costs ${mean.feeEth["3"].toFixed(6)} ETH at 3 gwei (paper: ${t.paperFees[0].paperEth}); one deployment on ${t.chain.name} could hold ` +
        `${int(mean.perDayAtTarget)} such events a day at the gas target (paper: ${int(t.paperPushesPerDay.low)}–${int(t.paperPushesPerDay.high)} pushes a day)`,
    );
  }
  return {
    measuredAt: run.finishedAt,
    mode: run.mode,
    durationS: run.durationS,
    machine: run.machine,
    gas: gas && {
      records: gas.result.records,
      recurringMean: gas.result.recurringMean,
      paperGasPerPush: gas.result.paperGasPerPush,
      perEvent: Object.fromEntries(Object.entries(gas.result.events).map(([k, v]) => [k, v.gridledger])),
      ruleCosts: Object.fromEntries(gas.result.ruleCosts.rules.map((r) => [r.rule, r.cost])),
      targets: gas.result.targets,
    },
    throughput: throughput && {
      ceilingTxPerSec: throughput.result.ceilingTxPerSec,
      gridledgerEventsPerSec: throughput.result.gridledgerEventsPerSec,
      gridledgerPresignedTxPerSec: throughput.result.gridledgerPresignedTxPerSec,
      plainViaSenderTxPerSec: throughput.result.plainViaSenderTxPerSec,
      accounts: throughput.result.accounts,
      ratio: throughput.result.ratio,
      targetRatio: throughput.result.targetRatio,
      meetsTarget: throughput.result.meetsTarget,
      placement: throughput.result.placement,
      ratioByPlacement: Object.fromEntries(Object.entries(throughput.result.byPlacement).map(([p, f]) => [p, f.ratio])),
    },
    latency: latency && {
      submitToMinedMs: latency.result.submitToMinedMs,
      minedToAlertMs: latency.result.minedToAlertMs,
      alertPollMs: latency.result.alertPollMs,
    },
    bills: bills && { billsPerSec: bills.result.billsPerSec, perBillMs: bills.result.stagesMs.total, verified: bills.result.verified, bills: bills.result.bills },
    scaling: scaling && {
      records: scaling.result.levels.map((l) => l.records),
      historyPageMs: scaling.result.levels.map((l) => l.historyPageMs),
      purchaserPageMs: scaling.result.levels.map((l) => l.purchaserPageMs),
      countsMs: scaling.result.levels.map((l) => l.countsMs),
      sparsePurchaserPageMs: scaling.result.levels.map((l) => l.sparsePurchaserPageMs),
      purchaseGas: scaling.result.levels.map((l) => l.gas.purchase),
      storageReadingGas: scaling.result.levels.map((l) => l.gas.storageReading),
    },
    batching: batching && {
      sizes: batching.result.batches.map((b) => b.size),
      gasPerReading: batching.result.batches.map((b) => b.gasPerReading),
      readingsPerSec: batching.result.batches.map((b) => b.readingsPerSec),
    },
    headline,
    errors: run.errors,
  };
}

/** The charts, by file name under docs/bench/. */
export function charts(run: BenchRun): Record<string, string> {
  const out: Record<string, string> = {};
  const { gas, throughput, latency, bills, scaling, batching } = run;
  if (gas) {
    const events = Object.keys(gas.result.events);
    out["gas.svg"] = barChart({
      title: `Gas per event (median of ${gas.result.records - gas.result.warmup} after ${gas.result.warmup} warm-up)`,
      categories: events,
      series: [
        { name: "GridLedger", values: events.map((e) => gas.result.events[e].gridledger) },
        { name: "Paper, literal (PaperBaseline)", values: events.map((e) => gas.result.events[e].baseline) },
      ],
      yLabel: "gas",
      reference: { value: gas.result.paperGasPerPush, label: `paper: ${int(gas.result.paperGasPerPush)}` },
    });
  }
  if (throughput) {
    const t = throughput.result;
    const placed = Object.entries(t.byPlacement);
    const series = (name: string, pick: (f: PlacementFigures) => number) => ({ name, values: placed.map(([, f]) => pick(f)) });
    out["throughput.svg"] = barChart({
      title: `Throughput, medians of ${t.rounds.length / placed.length} rounds, ${t.accounts} accounts × ${t.perAccount} transactions per path and round`,
      categories: placed.map(([p]) => (p === "own cores" ? "node and senders on cores of their own" : "node and senders sharing every core")),
      series: [
        series("ceiling: plain ETH transfers, presigned", (f) => f.ceilingTxPerSec),
        series("GridLedger readings, presigned", (f) => f.gridledgerPresignedTxPerSec),
        series("GridLedger readings via client", (f) => f.gridledgerEventsPerSec),
        series("via client, estimating each", (f) => f.gridledgerEstimatedEventsPerSec),
        series("plain transfers via TxSender", (f) => f.plainViaSenderTxPerSec),
      ],
      yLabel: "transactions per second",
      width: 860,
    });
  }
  if (latency) {
    const l = latency.result;
    const pick = (s: typeof l.submitToMinedMs) => [s.p50, s.p95, s.p99];
    out["latency.svg"] = barChart({
      title: `Latency of a storage reading (${l.samples} samples)`,
      categories: ["p50", "p95", "p99"],
      series: [
        { name: "submit → mined", values: pick(l.submitToMinedMs) },
        { name: "mined → alert", values: pick(l.minedToAlertMs) },
        { name: "submit → alert", values: pick(l.submitToAlertMs) },
      ],
      yLabel: "ms",
    });
  }
  if (bills) {
    const s = bills.result.stagesMs;
    const stages = ["build", "upload", "record", "verify", "total"] as const;
    out["bills.svg"] = barChart({
      title: `Bills: time per stage (${bills.result.bills} bills, one after another)`,
      categories: [...stages],
      series: [
        { name: "p50", values: stages.map((k) => s[k].p50) },
        { name: "p95", values: stages.map((k) => s[k].p95) },
      ],
      yLabel: "ms",
    });
  }
  if (scaling && scaling.result.levels.length > 0) {
    const levels = scaling.result.levels;
    const x = levels.map((l) => l.records);
    out["scaling.svg"] = lineChart({
      title: "Reading the ledger as it grows",
      x,
      xLabel: "records on chain",
      xLog: true,
      series: [
        { name: `history page (${scaling.result.pageSize})`, values: levels.map((l) => l.historyPageMs) },
        { name: "one purchaser's page", values: levels.map((l) => l.purchaserPageMs) },
        { name: "record counts", values: levels.map((l) => l.countsMs) },
      ],
      yLabel: "ms (median)",
    });
    out["scaling-gas.svg"] = lineChart({
      title: "Gas of a new record as the ledger grows",
      x,
      xLabel: "records on chain",
      xLog: true,
      series: [
        { name: "purchase", values: levels.map((l) => l.gas.purchase) },
        { name: "storage reading", values: levels.map((l) => l.gas.storageReading) },
      ],
      yLabel: "gas",
    });
  }
  if (batching && batching.result.batches.length > 0) {
    const rows = batching.result.batches;
    out["batching.svg"] = barChart({
      title: "Batched signed readings through the aggregator",
      categories: rows.map((r) => `batch of ${r.size.toLocaleString("en-US")}`),
      series: [{ name: "readings per second", values: rows.map((r) => r.readingsPerSec) }],
      yLabel: "readings per second",
    });
    out["batching-gas.svg"] = lineChart({
      title: "Gas per reading by batch size",
      x: rows.map((r) => r.size),
      xLabel: "readings per batch",
      xLog: true,
      series: [{ name: "gas per reading", values: rows.map((r) => r.gasPerReading) }],
      yLabel: "gas per reading",
    });
  }
  return out;
}

/** "flat" when the largest value is within `tolerance` of the smallest (50%; 5% for gas), else how much it moved. */
export function trend(values: number[], tolerance = 0.5): string {
  if (values.length < 2) return "one level only";
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (min > 0 && max / min - 1 <= tolerance) return `flat (${fmt(min, 2)} to ${fmt(max, 2)})`;
  const first = values[0];
  const last = values.at(-1)!;
  return last >= first ? `up ×${fmt(last / Math.max(first, 1e-9), 1)} (${fmt(first, 2)} → ${fmt(last, 2)})` : `down (${fmt(first, 2)} → ${fmt(last, 2)})`;
}

function scalingNarrative(s: ScalingResult): string {
  const l = s.levels;
  const parts = [
    `From ${int(l[0]?.records)} to ${int(l.at(-1)?.records)} records: the gas of a new purchase is ${trend(l.map((x) => x.gas.purchase), 0.05)}, ` +
      `of a new reading ${trend(l.map((x) => x.gas.storageReading), 0.05)}; the record counts (one call) are ${trend(l.map((x) => x.countsMs))} ms; ` +
      `a busy purchaser's page is ${trend(l.map((x) => x.purchaserPageMs))} ms; the newest page of all history is ${trend(l.map((x) => x.historyPageMs))} ms; ` +
      `a purchaser with one old record is ${trend(l.map((x) => x.sparsePurchaserPageMs))} ms.`,
    "",
    "How to read it: history() reads block ranges backwards from the newest block, starting with about as many blocks " +
      `as rows and widening the range on sparse stretches (at most ${int(s.logRange)} blocks per eth_getLogs), until it has a page. ` +
      "So a page costs about one page of logs whatever the chain's length. A filtered read that finds few matches widens " +
      "its way back to the deployment block, so the purchaser whose only record is the first one costs in proportion to " +
      "the blocks (few calls, each over many blocks).",
  ];
  return parts.join("\n");
}

export function markdown(run: BenchRun, chartFiles: string[]): string {
  const m = run.machine;
  const has = (name: string) => chartFiles.includes(name);
  const img = (name: string, alt: string) => (has(name) ? `![${alt}](bench/${name})\n\n` : "");
  const from = (s: Section<unknown> | undefined) => (s?.earlier ? ` _(from an earlier run: ${s.earlier})_` : s ? ` _(${fmt(s.seconds)} s)_` : "");
  const lines: string[] = [];
  lines.push(
    "# Benchmarks",
    "",
    "<!-- Generated by `npm run bench` (scripts/bench.ts). Do not edit: run it again. -->",
    "",
    `Measured ${run.finishedAt.slice(0, 10)} with \`npm run bench${run.mode === "quick" ? " -- --quick" : ""}\` (${run.mode} mode) in ${fmt(run.durationS)} s, ` +
      "on local anvil nodes the benchmark starts itself (a fresh node per part, automine: a block as transactions arrive), " +
      "GridLedger deployed fresh for each part, " +
      "bills in an embedded IPFS store. Benchmarks report; they never fail on a time.",
    "",
    "| Machine | |",
    "|---|---|",
    `| CPU | ${m.cpuModel} |`,
    `| Cores | ${m.cores} |`,
    `| Memory | ${m.memoryGiB} GiB |`,
    `| OS | ${m.os} |`,
    `| Node | ${m.node} |`,
    `| Node (chain) | ${m.anvil} |`,
    `| Load average at start | ${m.loadAverageAtStart} (other programs running on the machine slow every figure) |`,
    `| Date | ${run.startedAt} → ${run.finishedAt} |`,
    `| Run duration | ${fmt(run.durationS)} s |`,
    "",
  );
  const summary = summarize(run);
  if (summary.headline.length) {
    lines.push("## Headline", "", ...summary.headline.map((h) => `- ${h}`), "", "The same figures are in `bench/results/summary.json`.", "");
  }

  if (run.gas) {
    const g = run.gas.result;
    lines.push(
      `## Gas per event${from(run.gas)}`,
      "",
      `Median gas of each event over ${g.records} records of each kind (the first ${g.warmup} pay for first-time storage and are left out), ` +
        "GridLedger against PaperBaseline, a literal reading of the paper's Algorithms 1-4 (records of strings pushed to arrays), " +
        "side by side on one chain. `bench/results/gas.json`; `npm run bench:gas` measures the same on Hardhat's in-process chain.",
      "",
      "| Event | GridLedger | Paper, literal | Ratio | Record #" + g.records + " vs #10 |",
      "|---|---:|---:|---:|---:|",
      ...Object.entries(g.events).map(
        ([event, e]) =>
          `| ${event} | ${int(e.gridledger)} | ${e.baseline === null ? "–" : int(e.baseline)} | ${e.baseline ? (e.gridledger / e.baseline).toFixed(2) : "–"} | ${g.growth[event].changePercent >= 0 ? "+" : ""}${g.growth[event].changePercent}% |`,
      ),
      "",
      `Mean of storage reading, purchase, transfer and bill: **${int(g.recurringMean)} gas** (the paper reports ${int(g.paperGasPerPush)} gas per push). ` +
        `Targets: mean ≤ paper ${g.targets.recurringMeanAtMostPaper ? "✓" : "✗"}, each ≤ half the literal version ${g.targets.eachRecurringAtMostHalfBaseline ? "✓" : "✗"}, ` +
        `last record within 1% of the tenth ${g.targets.lastWithinOnePercentOfTenth ? "✓" : "✗"}.`,
      "",
      img("gas.svg", "Gas per event: GridLedger against the literal version and the paper's figure"),
      "",
      "### The cost of each meter and dispute rule",
      "",
      `The same ${g.ruleCosts.records} purchase cycles on GridLedger and on builds of it without one rule each ` +
        "(`contracts/test/GridLedgerRuleProbe.sol`), side by side: a rule's cost is what the event it runs in spends over the build without it. " +
        "The operator role adds nothing to the four events: only `resolveDispute` checks it.",
      "",
      "| Rule | Event | With the rule | Without | Cost |",
      "|---|---|---:|---:|---:|",
      ...g.ruleCosts.rules.map((r) => `| ${r.rule} | ${r.event} | ${int(r.withRule)} | ${int(r.withoutRule)} | ${int(r.cost)} |`),
      "",
      "| Operation the rules bring | Gas |",
      "|---|---:|",
      ...Object.entries(g.ruleCosts.operations).map(([op, gas]) => `| ${op} | ${int(gas)} |`),
      "",
    );
  }

  if (run.paperTable) lines.push(...paperTableSection(run.paperTable));

  if (run.throughput) {
    const t = run.throughput.result;
    const placed = t.byPlacement;
    const headers = "| | Ceiling: plain transfers, presigned | GridLedger, presigned | GridLedger via client | GridLedger via client, estimating | Plain transfers via TxSender | Ratio client / ceiling |";
    lines.push(`## Throughput${from(run.throughput)}`, "", t.method, "");
    for (const [placement, f] of Object.entries(placed)) {
      lines.push(
        `### ${placement === "own cores" ? `The node on cores of its own (${coresText(t)})` : "The node and the senders sharing every core"}`,
        "",
        headers,
        "|---|---:|---:|---:|---:|---:|---:|",
        ...t.rounds
          .filter((r) => r.placement === placement)
          .map(
            (r) =>
              `| round ${r.round} (${r.order}) | ${fmt(r.ceilingTxPerSec)} | ${fmt(r.gridledgerPresignedTxPerSec)} | ${fmt(r.gridledgerEventsPerSec)} | ${fmt(r.gridledgerEstimatedEventsPerSec)} | ${fmt(r.plainViaSenderTxPerSec)} | ${fmt(r.gridledgerEventsPerSec / r.ceilingTxPerSec, 2)} |`,
          ),
        `| **median** | **${fmt(f.ceilingTxPerSec)} tx/s** | **${fmt(f.gridledgerPresignedTxPerSec)} tx/s** | **${fmt(f.gridledgerEventsPerSec)} events/s** | **${fmt(f.gridledgerEstimatedEventsPerSec)} events/s** | **${fmt(f.plainViaSenderTxPerSec)} tx/s** | **${fmt(f.ratio, 3)}** |`,
        "",
        `Ratio GridLedger via client / ceiling (medians): **${fmt(f.ratio, 3)}** (target ≥ ${t.targetRatio}: ${f.meetsTarget ? "met" : "not met"}; reported, not enforced). ` +
          `Presigned GridLedger readings reach ${fmt((f.gridledgerPresignedTxPerSec / f.ceilingTxPerSec) * 100, 0)}% of the ceiling` +
          (f.gridledgerPresignedTxPerSec / f.ceilingTxPerSec >= 0.7 ? ": the contract costs the node little; the gap is the client's. " : ". ") +
          `Per event the client made ${fmt(f.clientCostPerEvent.rpcCalls, 2)} JSON-RPC calls ` +
          `(${Object.entries(f.clientCostPerEvent.rpcCallsByMethod).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(", ")}) ` +
          `and used ${fmt(f.clientCostPerEvent.nodeCpuMs, 2)} ms of this process's CPU (signing, ABI, ethers), against one call for a presigned transaction` +
          `; estimating each reading: ${fmt(f.estimatedClientCostPerEvent.rpcCalls, 2)} calls and ${fmt(f.estimatedClientCostPerEvent.nodeCpuMs, 2)} ms. ` +
          `Plain transfers through the same sender reach ${fmt(f.plainViaSenderTxPerSec)} tx/s: GridLedger events through the client run at ` +
          `${fmt((f.gridledgerEventsPerSec / f.plainViaSenderTxPerSec) * 100, 0)}% of the client's own rate for a plain transfer.`,
        "",
      );
    }
    if (placed["own cores"]) {
      lines.push(
        `On cores of its own the node's ceiling is lower (it has fewer of them), but the client's signatures and receipt reading no ` +
          `longer take its CPU, so the ratio (${fmt(placed["own cores"].ratio, 3)}, against ${fmt(placed["shared cores"].ratio, 3)} sharing) ` +
          "compares what the node takes from the client with what it takes from an ideal sender. Sharing, the ceiling's sender costs the " +
          "node almost nothing (its transactions were signed before the clock starts), while the client's CPU per event, about a third " +
          "of it the ECDSA signature, comes out of the node's.",
        "",
      );
    }
    lines.push(img("throughput.svg", "Throughput, medians per placement: ceiling, presigned GridLedger readings, GridLedger readings through the client"), "");
  }

  if (run.latency) {
    const l = run.latency.result;
    const row = (name: string, s: typeof l.submitToMinedMs) => `| ${name} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.p99)} | ${fmt(s.max)} |`;
    lines.push(
      `## Latency${from(run.latency)}`,
      "",
      l.method,
      "",
      "| ms | p50 | p95 | p99 | max |",
      "|---|---:|---:|---:|---:|",
      row("submit → mined", l.submitToMinedMs),
      row("mined → alert", l.minedToAlertMs),
      row("submit → alert", l.submitToAlertMs),
      "",
      `Alerts missed: ${l.missedAlerts}.`,
      "",
      img("latency.svg", "Latency percentiles: submit to mined, mined to alert, submit to alert"),
    );
  }

  if (run.bills) {
    const b = run.bills.result;
    const row = (name: string, s: typeof b.stagesMs.build) => `| ${name} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.max)} |`;
    lines.push(
      `## Bills${from(run.bills)}`,
      "",
      b.method,
      "",
      "| ms per bill | p50 | p95 | max |",
      "|---|---:|---:|---:|",
      row("build", b.stagesMs.build),
      row("upload (IPFS)", b.stagesMs.upload),
      row("record", b.stagesMs.record),
      row("verify", b.stagesMs.verify),
      row("**total**", b.stagesMs.total),
      "",
      `**${fmt(b.billsPerSec, 2)} bills/s**, ${b.verified} of ${b.bills} verified; a bill is ${int(b.billBytes.p50)} bytes (p50).`,
      "",
      img("bills.svg", "Time per bill stage"),
    );
  }

  if (run.scaling) {
    const s = run.scaling.result;
    lines.push(
      `## Scaling${from(run.scaling)}`,
      "",
      s.method,
      "",
      "| Records | Blocks | Seeded in | History page | Purchaser's page | Counts | Purchaser, 1 old record | Gas: purchase | Gas: reading |",
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...s.levels.map(
        (l) =>
          `| ${int(l.records)} | ${int(l.blocks)} | ${fmt(l.seedSeconds)} s | ${fmt(l.historyPageMs)} ms | ${fmt(l.purchaserPageMs)} ms (${l.purchaserPageEvents} events) | ${fmt(l.countsMs, 2)} ms | ${fmt(l.sparsePurchaserPageMs)} ms | ${int(l.gas.purchase)} | ${int(l.gas.storageReading)} |`,
      ),
      "",
      scalingNarrative(s),
      "",
      img("scaling.svg", "Read times against records on chain"),
      img("scaling-gas.svg", "Gas of a new record against records on chain"),
    );
  }

  if (run.batching) {
    const b = run.batching.result;
    lines.push(
      `## Batched readings${from(run.batching)}`,
      "",
      `Readings signed by ${b.meters} meters beforehand (signing happens on the meters), submitted to the aggregator, which checks ` +
        "each signature, journals it, stores the batch file on IPFS and anchors the batch's Merkle root on chain. The clock runs " +
        "from the first submission to the last batch anchored" +
        (b.rounds > 1 ? `; each size ran ${b.rounds} times on a fresh aggregator, and the table gives the median (each round's figure in brackets)` : "") +
        ". Same measurement as `npm run bench:batching`.",
      "",
      "| Batch size | Batches | Readings | Gas per batch | Gas per reading | Readings/s |",
      "|---:|---:|---:|---:|---:|---:|",
      ...b.batches.map(
        (r) =>
          `| ${int(r.size)} | ${int(r.batches)} | ${int(r.readings)} | ${int(r.gasPerBatch)} | ${fmt(r.gasPerReading, 1)} | ${fmt(r.readingsPerSec, 0)}` +
          (r.readingsPerSecRounds && r.readingsPerSecRounds.length > 1 ? ` (${r.readingsPerSecRounds.map((x) => fmt(x, 0)).join(" / ")})` : "") +
          " |",
      ),
      "",
      img("batching.svg", "Readings per second by batch size"),
      img("batching-gas.svg", "Gas per reading by batch size"),
    );
  }

  const errors = Object.entries(run.errors);
  if (errors.length) lines.push("## Errors", "", ...errors.map(([k, v]) => `- ${k}: ${v}`), "");
  lines.push(
    "## Reproduce",
    "",
    "```sh",
    "npm run build          # compiles the contracts the benchmark deploys",
    "npm run bench          # full: 1,000 gas records per kind, 100,000 records for scaling (several minutes)",
    "npm run bench -- --quick   # under 2 minutes (CI smoke test)",
    "npm run simulate -- --local --duration 60   # the IoT grid simulator on its own chain",
    "```",
    "",
    "Raw results: `bench/results/{gas,throughput,latency,bills,scaling,batching,summary}.json`; the simulator writes `bench/results/simulate.json`.",
    "",
  );
  return lines.join("\n");
}

/** The paper's fee and capacity table, recomputed from this run's gas. */
function paperTableSection(t: PaperTable): string[] {
  // A batched reading's share is a fraction of a gwei's worth: shown with its significant digits, not as 0.000000.
  const eth = (n: number) => (n >= 1e-6 ? n.toFixed(6) : n.toExponential(2));
  const gweis = t.paperFees.map((p) => p.gwei);
  return [
    "## The paper's table, recomputed",
    "",
    `Fee of each event at the paper's gas prices, in ETH, from this run's median gas (the paper's row is its ${int(t.paperGasPerPush)} gas per push; ` +
      `its table gives ${t.paperFees.map((p) => `${p.paperEth} ETH at ${p.gwei} gwei`).join(", ")}). ` +
      `Capacity on ${t.chain.name}: ${int(t.chain.blockGasLimit)} gas per block, a block every ${t.chain.slotSeconds} s (${int(t.blocksPerDay)} a day; ` +
      `source: ${t.chain.source}); "at target" is half the limit, the rate a chain sustains without its base fee rising. ` +
      `The paper's deployment handled ${int(t.paperPushesPerDay.low)}–${int(t.paperPushesPerDay.high)} pushes a day. ` +
      "Other chains: `npm run bench -- --only gas --gas-limit N --slot-seconds S --chain-name NAME`.",
    "",
    `| Event | Gas | ${gweis.map((g) => `ETH at ${g} gwei`).join(" | ")} | Per block | Per day (full blocks) | Per day (at target) |`,
    `|---|---:|${gweis.map(() => "---:").join("|")}|---:|---:|---:|`,
    ...t.rows.map(
      (r) => `| ${r.event} | ${fmt(r.gas, r.gas < 1_000 ? 1 : 0)} | ${gweis.map((g) => eth(r.feeEth[g])).join(" | ")} | ${int(r.perBlock)} | ${int(r.perDay)} | ${int(r.perDayAtTarget)} |`,
    ),
    "",
  ];
}


function coresText(t: ThroughputResult): string {
  return "node" in t.cores ? `CPU ${t.cores.node}, every sender on CPU ${t.cores.senders}` : "";
}

function placementText(t: ThroughputResult): string {
  return t.placement === "own cores" ? `the node on ${coresText(t)}` : "the node and the senders sharing every core";
}
