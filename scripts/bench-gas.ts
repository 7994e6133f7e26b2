/**
 * Gas per grid event: GridLedger against a literal reading of the paper's algorithms, measured side by
 * side in one in-process chain. Writes bench/results/gas.json and prints a table.
 *
 *   npm run bench:gas               # 1,000 records of each kind
 *   npm run bench:gas -- --quick    # 110 records of each kind
 */
import { mkdir, writeFile } from "node:fs/promises";
import { network } from "hardhat";
import { median } from "../src/stats.js";

const PAPER_GAS_PER_PUSH = 54_246;
const quick = process.argv.includes("--quick");
const records = quick ? 110 : 1_000;
/** The first records of a kind pay for first-time storage; the steady state starts after them. */
const warmup = 10;

const { ethers, networkHelpers } = await network.create();
const [operator, producer, meter, purchaser, baselineUser] = await ethers.getSigners();

const ledger = await ethers.deployContract("GridLedger", [operator.address, 86_400, 3 * 86_400, 7 * 86_400]);
const baseline = await ethers.deployContract("PaperBaseline");

type Samples = number[];
const gas: Record<string, { gridledger: Samples; baseline: Samples }> = {};
const record = (event: string, side: "gridledger" | "baseline", used: bigint) => {
  gas[event] ??= { gridledger: [], baseline: [] };
  gas[event][side].push(Number(used));
};
async function used(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction was dropped");
  return receipt.gasUsed;
}

const RATE = 200_000_000_000n; // 0.0002 ETH per kWh, in wei per Wh
const QUANTITY = 5_000n; // 5 kWh
const asProducer = ledger.connect(producer);
const asMeter = ledger.connect(meter);
const asPurchaser = ledger.connect(purchaser);

process.stderr.write(`bench:gas: ${records} records of each kind${quick ? " (quick)" : ""}\n`);
await used(asProducer.authorizeMeter(meter.address, 10_000_000));

for (let i = 0; i < records; i++) {
  record("openOffer", "gridledger", await used(asProducer.openOffer(1_000_000_000n, 900_000_000n, RATE, `grid-${i % 10}`)));
  record(
    "openOffer",
    "baseline",
    await used(baseline.connect(baselineUser).storeEnergy("1000000000", "900000000", `grid-${i % 10}`, "200000000000")),
  );
}
const offerId = 1n;
for (let i = 0; i < records; i++) {
  record("storageUpdate", "gridledger", await used(asMeter.recordStorage(offerId, 900_000_000n - BigInt(i))));
  record(
    "storageUpdate",
    "baseline",
    await used(baseline.connect(meter).storeEnergy("1000000000", String(900_000_000 - i), "grid-0", "200000000000")),
  );
}
// Twice as many purchases as records: the second half pays the producer so that withdraw can be
// measured without emptying the producer's balance before each measured bill.
for (let i = 0; i < records; i++) {
  record("purchase", "gridledger", await used(asPurchaser.purchase(offerId, QUANTITY, { value: RATE * QUANTITY })));
  record(
    "purchase",
    "baseline",
    await used(baseline.connect(purchaser).purchaseEnergy(1, String(QUANTITY), { value: RATE * QUANTITY })),
  );
}
for (let i = 0; i < records; i++) await used(asPurchaser.purchase(offerId, QUANTITY, { value: RATE * QUANTITY }));
// Delivery windows in the past, back to back: one minute each, within the meter's rated power.
const now = BigInt(await networkHelpers.time.latest());
const firstStart = now - BigInt(records * 4 * 60) - 3_600n;
for (let i = 0; i < records; i++) {
  const start = firstStart + BigInt(i * 60);
  const end = start + 60n;
  record(
    "transfer",
    "gridledger",
    await used(asMeter.recordTransfer(BigInt(i + 1), meter.address, QUANTITY, start, end, "inverter-1")),
  );
  record(
    "transfer",
    "baseline",
    await used(
      baseline
        .connect(meter)
        .transferEnergy(i, "inverter-1", String(QUANTITY), String(start), String(end), String(RATE * QUANTITY)),
    ),
  );
}
for (let i = records; i < 2 * records; i++) {
  const start = firstStart + BigInt(i * 60);
  await used(asMeter.recordTransfer(BigInt(i + 1), meter.address, QUANTITY, start, start + 60n, "inverter-1"));
}
for (let i = 0; i < 2 * records; i++) {
  const ack = asPurchaser.acknowledgeTransfer(BigInt(i + 1), 0);
  if (i < records) record("acknowledge", "gridledger", await used(ack));
  else await used(ack);
}
const cidDigest = (i: number) => ethers.keccak256(ethers.toUtf8Bytes(`bill-${i}`));
for (let i = 0; i < records; i++) {
  record("bill", "gridledger", await used(asProducer.recordBill(BigInt(i + 1), cidDigest(i), 0x55)));
  record(
    "bill",
    "baseline",
    await used(baseline.connect(producer).storeBill(i, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")),
  );
}
for (let i = records; i < 2 * records; i++) {
  await used(asProducer.recordBill(BigInt(i + 1), cidDigest(i), 0x55));
  record("withdraw", "gridledger", await used(asProducer.withdraw()));
}

const events: Record<string, { gridledger: number; baseline: number | null }> = {};
const growth: Record<string, { tenth: number; last: number; changePercent: number }> = {};
for (const [event, sides] of Object.entries(gas)) {
  const steady = (s: Samples) => s.slice(warmup);
  events[event] = {
    gridledger: median(steady(sides.gridledger)),
    baseline: sides.baseline.length ? median(steady(sides.baseline)) : null,
  };
  const tenth = sides.gridledger[9];
  const last = sides.gridledger[sides.gridledger.length - 1];
  growth[event] = { tenth, last, changePercent: Number((((last - tenth) / tenth) * 100).toFixed(3)) };
}
const recurring = ["storageUpdate", "purchase", "transfer", "bill"] as const;
const recurringMean = Math.round(recurring.reduce((sum, e) => sum + events[e].gridledger, 0) / recurring.length);
const result = {
  paperGasPerPush: PAPER_GAS_PER_PUSH,
  records,
  warmup,
  events,
  recurringMean,
  growth,
  targets: {
    recurringMeanAtMostPaper: recurringMean <= PAPER_GAS_PER_PUSH,
    eachRecurringAtMostHalfBaseline: recurring.every((e) => events[e].gridledger <= 0.5 * (events[e].baseline ?? 0)),
    lastWithinOnePercentOfTenth: Object.values(growth).every((g) => Math.abs(g.changePercent) <= 1),
  },
};
await mkdir("bench/results", { recursive: true });
await writeFile("bench/results/gas.json", JSON.stringify(result, null, 2) + "\n");

const rows = Object.entries(events).map(([event, e]) => ({
  event,
  gridledger: e.gridledger,
  baseline: e.baseline ?? "-",
  ratio: e.baseline ? (e.gridledger / e.baseline).toFixed(2) : "-",
  paper: PAPER_GAS_PER_PUSH,
  [`#${records} vs #10`]: `${growth[event].changePercent >= 0 ? "+" : ""}${growth[event].changePercent}%`,
}));
console.table(rows);
console.log(`mean of storageUpdate, purchase, transfer, bill: ${recurringMean} gas (paper: ${PAPER_GAS_PER_PUSH})`);
console.log(`targets: ${JSON.stringify(result.targets)}`);
console.log("wrote bench/results/gas.json");
