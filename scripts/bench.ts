/**
 * Every benchmark in one process, on local anvil nodes it starts itself (a fresh one per part): gas per event, throughput against
 * the node's ceiling, latency (submit → mined → alert), bills end to end, scaling with the records on chain, and
 * batched signed readings through the aggregator (the same measurement as `npm run bench:batching`).
 * Writes bench/results/*.json, the charts docs/bench/*.svg and docs/BENCHMARKS.md. Reports; never fails on a time.
 *
 *   npm run bench                 # full (about 40 minutes on 2 cores: 1,000 gas records per kind, 100,000 records for scaling)
 *   npm run bench -- --quick      # under 2 minutes (CI smoke test)
 *   npm run bench -- --only gas,latency
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { Wallet, id as keccakText } from "ethers";
import { measureBills } from "../src/bench/bills.js";
import { measureGas, type GasResult } from "../src/bench/gas.js";
import { SEPOLIA, chainParameters, paperTable } from "../src/bench/paperTable.js";
import { measureLatency } from "../src/bench/latency.js";
import { machineInfo } from "../src/bench/machine.js";
import { charts, markdown, summarize, type BenchRun, type Section } from "../src/bench/report.js";
import { hex, rpc, rpcBatch } from "../src/bench/rpc.js";
import { measureBatching } from "../src/bench/batching.js";
import { measureScaling } from "../src/bench/scaling.js";
import { measureThroughput } from "../src/bench/throughput.js";
import { describeError } from "../src/ledgerErrors.js";
import { startLocalGrid, type LocalGrid } from "../src/sim/localGrid.js";
import { useHttpTransport } from "../src/sim/httpTransport.js";

const SECTIONS = ["gas", "throughput", "latency", "bills", "scaling", "batching"] as const;
type SectionName = (typeof SECTIONS)[number];

const USAGE = `usage: npm run bench -- [--quick] [--only ${SECTIONS.join(",")}] [--chain-name NAME --gas-limit GAS --slot-seconds S]

  --quick            small sizes, under 2 minutes (CI smoke test)
  --only LIST        run only these sections (comma-separated); the report takes the others from bench/results
  --chain-name NAME  the public chain of the paper's table's capacity columns (default ${SEPOLIA.name})
  --gas-limit GAS    its block gas limit (default ${SEPOLIA.blockGasLimit}, ${SEPOLIA.name}'s)
  --slot-seconds S   its block time, seconds (default ${SEPOLIA.slotSeconds})
  -h, --help         this help`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      quick: { type: "boolean" },
      only: { type: "string" },
      "chain-name": { type: "string" },
      "gas-limit": { type: "string" },
      "slot-seconds": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }));
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(USAGE + "\n");
  process.exit(0);
}
const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean) ?? [...SECTIONS];
const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
if (unknown.length) {
  process.stderr.write(`bench: --only: unknown section ${unknown.join(", ")} (sections: ${SECTIONS.join(", ")})\n`);
  process.exit(2);
}
const customChain = values["chain-name"] !== undefined || values["gas-limit"] !== undefined || values["slot-seconds"] !== undefined;
const chainCheck = chainParameters.safeParse({
  name: values["chain-name"] ?? (customChain ? "custom chain" : SEPOLIA.name),
  blockGasLimit: values["gas-limit"] === undefined ? SEPOLIA.blockGasLimit : Number(values["gas-limit"]),
  slotSeconds: values["slot-seconds"] === undefined ? SEPOLIA.slotSeconds : Number(values["slot-seconds"]),
  source: customChain ? "given on the command line" : SEPOLIA.source,
});
if (!chainCheck.success) {
  const flags: Record<string, string> = { name: "--chain-name", blockGasLimit: "--gas-limit", slotSeconds: "--slot-seconds" };
  const issues = chainCheck.error.issues.map((i) => `${flags[String(i.path[0])] ?? String(i.path[0])}: ${i.code === "invalid_type" ? "must be a number" : i.message}`);
  process.stderr.write(`bench: ${issues.join("; ")}\n${USAGE}\n`);
  process.exit(2);
}
const chain = chainCheck.data;
const quick = values.quick ?? false;
const sizes = quick
  ? { gasRecords: 40, accounts: 4, perAccount: 25, rounds: 3, latencySamples: 60, bills: 20, levels: [1_000, 3_000], batchSizes: [1, 10, 100, 1_000] }
  : {
      gasRecords: 1_000,
      accounts: 16,
      // 25 transactions per account per round. In bursts of 100 per account anvil 1.7.1 (automine) can stop
      // mining altogether, its CPU and memory climbing, with a thousand ready transactions in its pool (seen with
      // the client's pipelined readings); at 25 it leaves at most one unmined now and then
      // (foundry-rs/foundry#10122), which every path replaces at higher fees, and the median absorbs that round.
      perAccount: 25,
      rounds: 9,
      latencySamples: 300,
      bills: 100,
      levels: [1_000, 10_000, 100_000],
      batchSizes: [1, 10, 100, 1_000, 10_000],
    };

const root = path.resolve(import.meta.dirname, "..");
const resultsDir = path.join(root, "bench/results");
const docsDir = path.join(root, "docs");
const chartsDir = path.join(docsDir, "bench");
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const json = (value: unknown) => JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n";

useHttpTransport();
const started = performance.now();
const startedAt = new Date().toISOString();
const machine = machineInfo();
log(`${quick ? "quick" : "full"} run on ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.loadAverageAtStart}`);
const run: BenchRun = { mode: quick ? "quick" : "full", startedAt, finishedAt: "", durationS: 0, machine, errors: {} };

await mkdir(resultsDir, { recursive: true });
// Each part gets a fresh anvil (automine; block gas limit 1e9 so that bursts never price themselves out of blocks)
// with GridLedger deployed for it: no part inherits another's chain, clock or pool.
const CHAIN = { accounts: 32, pollingMs: 50, gasLimit: 1_000_000_000n } as const;
let current: LocalGrid | undefined;
process.on("SIGINT", () => {
  void (current?.stop() ?? Promise.resolve()).then(() => process.exit(130));
});
async function onFreshChain<T>(store: boolean, measure: (grid: LocalGrid) => Promise<T>): Promise<T> {
  current = await startLocalGrid({ ...CHAIN, store });
  try {
    return await measure(current);
  } finally {
    await current.stop().catch(() => undefined);
    current = undefined;
  }
}

async function section<T>(name: SectionName, measure: () => Promise<T>, file = `${name}.json`, shape: (r: T) => unknown = (r) => ({ ...r, mode: run.mode, measuredAt: new Date().toISOString() })): Promise<Section<T> | undefined> {
  if (!only.includes(name)) return earlier<T>(name, file);
  log(`${name} ...`);
  const t0 = performance.now();
  try {
    const result = await measure();
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    await writeFile(path.join(resultsDir, file), json(shape(result)));
    log(`${name}: done in ${seconds} s, wrote bench/results/${file}`);
    return { result, seconds };
  } catch (error) {
    run.errors[name] = describeError(error);
    log(`${name}: FAILED: ${describeError(error)}`);
    return undefined;
  }
}

/** A section this run skipped: its figures from the last run that wrote them, marked as such. */
async function earlier<T>(name: SectionName, file: string): Promise<Section<T> | undefined> {
  const full = path.join(resultsDir, file);
  if (!existsSync(full)) return undefined;
  const result = JSON.parse(await readFile(full, "utf8")) as T & { measuredAt?: string };
  const when = result.measuredAt ?? (await stat(full)).mtime.toISOString();
  log(`${name}: skipped; the report uses bench/results/${file} (${when})`);
  return { result, seconds: 0, earlier: when };
}

const wallet = (grid: LocalGrid, role: string) => new Wallet(keccakText(`gridledger-bench/gas/${role}`), grid.provider);
run.gas = await section<GasResult>(
  "gas",
  () =>
    onFreshChain(false, async (grid) => {
      const signers = {
        operator: wallet(grid, "operator"),
        producer: wallet(grid, "producer"),
        meter: wallet(grid, "meter"),
        purchaser: wallet(grid, "purchaser"),
        baselineUser: wallet(grid, "baseline"),
      };
      await rpcBatch(grid.rpcUrl, Object.values(signers).map((w) => ({ method: "anvil_setBalance", params: [w.address, hex(10n ** 22n)] })));
      return measureGas({ signers, records: sizes.gasRecords, log, onProgress: (done, total) => done % 1_000 === 0 && log(`gas: ${done}/${total} transactions`) });
    }),
  "gas.json",
  // gas.json keeps the shape scripts/bench-gas.ts writes.
  (r) => r,
);
// Throughput starts a fresh chain for each round and stops it.
run.throughput = await section("throughput", () =>
  measureThroughput({
    startChain: async () => (current = await startLocalGrid({ ...CHAIN, store: false })),
    accounts: sizes.accounts,
    perAccount: sizes.perAccount,
    rounds: sizes.rounds,
    log,
  }),
);
run.latency = await section("latency", () =>
  onFreshChain(false, (grid) =>
    measureLatency({ url: grid.rpcUrl, provider: grid.provider, operator: grid.operator, samples: sizes.latencySamples, pollMs: 50, gapMs: 20, log }),
  ),
);
run.bills = await section("bills", () =>
  onFreshChain(true, (grid) => measureBills({ url: grid.rpcUrl, provider: grid.provider, operator: grid.operator, store: grid.store!, count: sizes.bills, log })),
);
run.scaling = await section("scaling", () =>
  onFreshChain(false, async (grid) => {
    const devAccounts = await rpc<string[]>(grid.rpcUrl, "eth_accounts");
    return measureScaling({ url: grid.rpcUrl, provider: grid.provider, operator: grid.operator, levels: sizes.levels, devAccounts, log });
  }),
);

// Batched readings: the aggregator starts its own local grid. Sizes and counts as `npm run bench:batching`.
run.batching = await section(
  "batching",
  () =>
    measureBatching({
      sizes: sizes.batchSizes,
      ...(quick ? { readingsPerSize: (size: number) => Math.max(size, 100), rounds: 1 } : {}),
      log,
    }),
  "batching.json",
  // batching.json keeps the shape scripts/bench-batching.ts writes.
  (r) => r,
);

// The paper's table, recomputed from the gas figures (and a batched reading's share at 1,000 per batch).
if (run.gas) {
  const g = run.gas.result.events;
  const events: Record<string, number> = {
    "storage update": g.storageUpdate.gridledger,
    purchase: g.purchase.gridledger,
    transfer: g.transfer.gridledger,
    bill: g.bill.gridledger,
    "mean of the four": run.gas.result.recurringMean,
  };
  const batch1000 = run.batching?.result.batches.find((b) => b.size === 1_000);
  if (batch1000) events["batched reading (1,000 per batch)"] = batch1000.gasPerReading;
  run.paperTable = paperTable(events, chain);
  await writeFile(path.join(resultsDir, "paper-table.json"), json(run.paperTable));
  log("paper table: wrote bench/results/paper-table.json");
}

run.finishedAt = new Date().toISOString();
run.durationS = Math.round((performance.now() - started) / 100) / 10;
const summary = summarize(run);
await writeFile(path.join(resultsDir, "summary.json"), json(summary));

// Charts and the page, regenerated from scratch.
await mkdir(chartsDir, { recursive: true });
for (const file of await readdir(chartsDir)) if (file.endsWith(".svg")) await rm(path.join(chartsDir, file));
const svgs = charts(run);
for (const [file, svg] of Object.entries(svgs)) await writeFile(path.join(chartsDir, file), svg);
await writeFile(path.join(docsDir, "BENCHMARKS.md"), markdown(run, Object.keys(svgs)));

process.stdout.write(`\n${summary.headline.map((h) => `- ${h}`).join("\n")}\n\n`);
log(`wrote bench/results/summary.json, docs/BENCHMARKS.md and ${Object.keys(svgs).length} charts in docs/bench/ (${run.durationS} s)`);
if (Object.keys(run.errors).length) {
  log(`sections that failed: ${Object.keys(run.errors).join(", ")}`);
  process.exit(1);
}
process.exit(0);
