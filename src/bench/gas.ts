/**
 * Gas per grid event: GridLedger against a literal reading of the paper's algorithms (PaperBaseline), measured
 * side by side on one chain. `scripts/bench-gas.ts` runs it on Hardhat's in-process chain and `npm run bench` on
 * anvil; both write the same JSON (bench/results/gas.json).
 */
import { Contract, ContractFactory, keccak256, toUtf8Bytes, type Signer } from "ethers";
import { ARTIFACTS, readArtifact } from "../sim/localGrid.js";
import { GAS_WARMUP, GasRecorder, advanceTime, rpcProviderOf } from "./gasRecorder.js";
import { BENCH_WINDOWS, QUANTITY, RATE, RATED_POWER, WINDOW_S, type GasSigners } from "./gasFixtures.js";
import { measureRuleCosts, type RuleCosts } from "./ruleCosts.js";

export { GAS_WARMUP, type GasSigners };
export const PAPER_GAS_PER_PUSH = 54_246;


export interface GasResult {
  paperGasPerPush: number;
  records: number;
  warmup: number;
  events: Record<string, { gridledger: number; baseline: number | null }>;
  recurringMean: number;
  growth: Record<string, { tenth: number; last: number; changePercent: number }>;
  /** What each meter and dispute rule adds to the events it runs in, and the gas of the operations they bring. */
  ruleCosts: RuleCosts;
  targets: {
    recurringMeanAtMostPaper: boolean;
    eachRecurringAtMostHalfBaseline: boolean;
    lastWithinOnePercentOfTenth: boolean;
  };
}

/**
 * Measures every grid event `records` times on both contracts (deployed fresh from the build artifacts) and
 * returns the figures of bench/results/gas.json.
 */
export async function measureGas(options: {
  signers: GasSigners;
  records: number;
  log?: (line: string) => void;
  onProgress?: (done: number, total: number) => void;
}): Promise<GasResult> {
  const { operator, producer, meter, purchaser, baselineUser } = options.signers;
  const records = options.records;
  const provider = rpcProviderOf(operator);

  const ledgerArtifact = await readArtifact(ARTIFACTS.gridLedger);
  const baselineArtifact = await readArtifact(ARTIFACTS.paperBaseline);
  const ledger = (await new ContractFactory(ledgerArtifact.abi, ledgerArtifact.bytecode, operator).deploy(
    await operator.getAddress(),
    ...BENCH_WINDOWS,
  )) as Contract;
  await ledger.waitForDeployment();
  const baseline = (await new ContractFactory(baselineArtifact.abi, baselineArtifact.bytecode, operator).deploy()) as Contract;
  await baseline.waitForDeployment();

  // Transactions are sent one after another (so nonces and windows keep their order) without waiting for each
  // receipt; receipts are collected in order at each flush.
  const total = records * 16 + 1;
  let done = 0;
  const recorder = new GasRecorder(provider, () => {
    if (++done % 50 === 0) options.onProgress?.(done, total);
  });
  const send = recorder.send.bind(recorder);
  const flush = recorder.flush.bind(recorder);
  const asProducer = (name: string) => recorder.method(ledger, producer, name);
  const asMeter = (name: string) => recorder.method(ledger, meter, name);
  const asPurchaser = (name: string) => recorder.method(ledger, purchaser, name);
  const base = (signer: Signer, name: string) => recorder.method(baseline, signer, name);
  const meterAddress = await meter.getAddress();

  options.log?.(`gas: ${records} records of each kind`);
  await recorder.setFees();
  await send(asProducer("authorizeMeter")(meterAddress, RATED_POWER));

  for (let i = 0; i < records; i++) {
    await send(asProducer("openOffer")(1_000_000_000n, 900_000_000n, RATE, `grid-${i % 10}`), "openOffer");
    await send(base(baselineUser, "storeEnergy")("1000000000", "900000000", `grid-${i % 10}`, "200000000000"), "openOffer", "baseline");
  }
  await flush();
  const offerId = 1n;
  for (let i = 0; i < records; i++) {
    await send(asMeter("recordStorage")(offerId, 900_000_000n - BigInt(i)), "storageUpdate");
    await send(base(meter, "storeEnergy")("1000000000", String(900_000_000 - i), "grid-0", "200000000000"), "storageUpdate", "baseline");
  }
  // Twice as many purchases as records: the second half pays the producer so that withdraw can be
  // measured without emptying the producer's balance before each measured bill.
  for (let i = 0; i < records; i++) {
    await send(asPurchaser("purchase")(offerId, QUANTITY, { value: RATE * QUANTITY }), "purchase");
    await send(base(purchaser, "purchaseEnergy")(1, String(QUANTITY), { value: RATE * QUANTITY }), "purchase", "baseline");
  }
  for (let i = 0; i < records; i++) await send(asPurchaser("purchase")(offerId, QUANTITY, { value: RATE * QUANTITY }));
  await flush();

  // Delivery windows after the purchases, back to back: one minute each, within the meter's rated power.
  // The clock moves on past the last window so that every window has ended when it is recorded.
  const latest = await provider.getBlock("latest");
  const firstStart = BigInt(latest!.timestamp) + 1n;
  await advanceTime(provider, 2 * records * WINDOW_S + 3_600);
  for (let i = 0; i < records; i++) {
    const start = firstStart + BigInt(i * WINDOW_S);
    const end = start + BigInt(WINDOW_S);
    await send(asMeter("recordTransfer")(BigInt(i + 1), meterAddress, QUANTITY, start, end, "inverter-1"), "transfer");
    await send(
      base(meter, "transferEnergy")(i, "inverter-1", String(QUANTITY), String(start), String(end), String(RATE * QUANTITY)),
      "transfer",
      "baseline",
    );
  }
  for (let i = records; i < 2 * records; i++) {
    const start = firstStart + BigInt(i * WINDOW_S);
    await send(asMeter("recordTransfer")(BigInt(i + 1), meterAddress, QUANTITY, start, start + BigInt(WINDOW_S), "inverter-1"));
  }
  await flush();
  for (let i = 0; i < 2 * records; i++) {
    const ack = asPurchaser("acknowledgeTransfer")(BigInt(i + 1), 0);
    if (i < records) await send(ack, "acknowledge");
    else await send(ack);
  }
  await flush();
  const cidDigest = (i: number) => keccak256(toUtf8Bytes(`bill-${i}`));
  for (let i = 0; i < records; i++) {
    await send(asProducer("recordBill")(BigInt(i + 1), cidDigest(i), 0x55), "bill");
    await send(base(producer, "storeBill")(i, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"), "bill", "baseline");
  }
  for (let i = records; i < 2 * records; i++) {
    await send(asProducer("recordBill")(BigInt(i + 1), cidDigest(i), 0x55));
    await send(asProducer("withdraw")(), "withdraw");
  }
  await flush();
  const gas = recorder.gas;

  const events: GasResult["events"] = {};
  const growth: GasResult["growth"] = {};
  for (const [event, sides] of Object.entries(gas)) {
    events[event] = {
      gridledger: recorder.steadyMedian(event),
      baseline: sides.baseline?.length ? recorder.steadyMedian(event, "baseline") : null,
    };
    const tenth = sides.gridledger[9];
    const last = sides.gridledger[sides.gridledger.length - 1];
    growth[event] = { tenth, last, changePercent: Number((((last - tenth) / tenth) * 100).toFixed(3)) };
  }
  options.log?.("gas: the cost of each meter and dispute rule");
  const ruleCosts = await measureRuleCosts({ signers: options.signers, records: Math.min(records, 100) });
  const recurring = ["storageUpdate", "purchase", "transfer", "bill"] as const;
  const recurringMean = Math.round(recurring.reduce((sum, e) => sum + events[e].gridledger, 0) / recurring.length);
  return {
    paperGasPerPush: PAPER_GAS_PER_PUSH,
    records,
    warmup: GAS_WARMUP,
    events,
    recurringMean,
    growth,
    ruleCosts,
    targets: {
      recurringMeanAtMostPaper: recurringMean <= PAPER_GAS_PER_PUSH,
      eachRecurringAtMostHalfBaseline: recurring.every((e) => events[e].gridledger <= 0.5 * (events[e].baseline ?? 0)),
      lastWithinOnePercentOfTenth: Object.values(growth).every((g) => Math.abs(g.changePercent) <= 1),
    },
  };
}

/** The rows `bench:gas` prints with console.table. */
export function gasTableRows(result: GasResult): Record<string, string | number>[] {
  return Object.entries(result.events).map(([event, e]) => ({
    event,
    gridledger: e.gridledger,
    baseline: e.baseline ?? "-",
    ratio: e.baseline ? (e.gridledger / e.baseline).toFixed(2) : "-",
    paper: result.paperGasPerPush,
    [`#${result.records} vs #10`]: `${result.growth[event].changePercent >= 0 ? "+" : ""}${result.growth[event].changePercent}%`,
  }));
}

/** The rows of the rule-cost table: what each rule adds to its event, then the operations the rules bring. */
export function ruleCostRows(result: GasResult): Record<string, string | number>[] {
  const { rules, operations } = result.ruleCosts;
  return [
    ...rules.map((r) => ({ rule: r.rule, event: r.event, "with rule": r.withRule, "without rule": r.withoutRule, cost: r.cost })),
    ...Object.entries(operations).map(([operation, gas]) => ({ rule: `operation: ${operation}`, event: "-", "with rule": gas, "without rule": "-", cost: gas })),
  ];
}
