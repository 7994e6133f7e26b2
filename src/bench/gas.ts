/**
 * Gas per grid event: GridLedger against a literal reading of the paper's algorithms (PaperBaseline), measured
 * side by side on one chain. `scripts/bench-gas.ts` runs it on Hardhat's in-process chain and `npm run bench` on
 * anvil; both write the same JSON (bench/results/gas.json).
 */
import {
  Contract,
  ContractFactory,
  keccak256,
  toUtf8Bytes,
  type ContractTransactionResponse,
  type Provider,
  type Signer,
} from "ethers";
import { median } from "../stats.js";
import { ARTIFACTS, readArtifact } from "../sim/localGrid.js";

export const PAPER_GAS_PER_PUSH = 54_246;
/** The first records of a kind pay for first-time storage; the steady state starts after them. */
export const GAS_WARMUP = 10;

const RATE = 200_000_000_000n; // 0.0002 ETH per kWh, in wei per Wh
const QUANTITY = 5_000n; // 5 kWh
const WINDOW_S = 60;
const RATED_POWER = 10_000_000n; // 10 MW: 5 kWh fits in a one-minute window

export interface GasSigners {
  operator: Signer;
  producer: Signer;
  meter: Signer;
  purchaser: Signer;
  baselineUser: Signer;
}

export interface GasResult {
  paperGasPerPush: number;
  records: number;
  warmup: number;
  events: Record<string, { gridledger: number; baseline: number | null }>;
  recurringMean: number;
  growth: Record<string, { tenth: number; last: number; changePercent: number }>;
  targets: {
    recurringMeanAtMostPaper: boolean;
    eachRecurringAtMostHalfBaseline: boolean;
    lastWithinOnePercentOfTenth: boolean;
  };
}

type Method = (...args: unknown[]) => Promise<ContractTransactionResponse>;

/** Moves the chain's clock forward and mines a block (Hardhat and anvil both answer these). */
async function advance(provider: Provider & { send(method: string, params: unknown[]): Promise<unknown> }, seconds: number): Promise<void> {
  await provider.send("evm_increaseTime", [seconds]);
  await provider.send("evm_mine", []);
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
  const provider = operator.provider as (Provider & { send(method: string, params: unknown[]): Promise<unknown> }) | null;
  if (!provider || typeof provider.send !== "function") throw new Error("measureGas: the signers need a JSON-RPC provider");

  const ledgerArtifact = await readArtifact(ARTIFACTS.gridLedger);
  const baselineArtifact = await readArtifact(ARTIFACTS.paperBaseline);
  const ledger = (await new ContractFactory(ledgerArtifact.abi, ledgerArtifact.bytecode, operator).deploy(
    await operator.getAddress(),
    86_400,
    3 * 86_400,
    7 * 86_400,
  )) as Contract;
  await ledger.waitForDeployment();
  const baseline = (await new ContractFactory(baselineArtifact.abi, baselineArtifact.bytecode, operator).deploy()) as Contract;
  await baseline.waitForDeployment();

  /** Fixed gas limit and fees for every measured transaction (gas used depends on neither). */
  const overrides: { gasLimit: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint } = { gasLimit: 3_000_000n };
  /** Each signer's next nonce, counted here: sends need not wait for the previous receipt nor ask the node. */
  const nonces = new Map<Signer, Promise<number>>();
  const nextNonce = (signer: Signer): Promise<number> => {
    const next = nonces.get(signer) ?? signer.getNonce("pending");
    nonces.set(signer, next.then((n) => n + 1));
    return next;
  };
  /**
   * A contract method bound to a signer, with the fixed overrides and a counted nonce: no estimate, no fee or
   * nonce lookup per transaction, which cuts the round trips of a measurement that sends thousands of them.
   */
  const methods = new Map<string, Method>();
  const bound = (label: string, contract: Contract, signer: Signer, name: string): Method => {
    let m = methods.get(`${label}/${name}`);
    if (!m) {
      const method = contract.connect(signer).getFunction(name);
      m = async (...args: unknown[]) => {
        const last = args.at(-1);
        const extra = last !== null && typeof last === "object" && !Array.isArray(last) ? (args.pop() as object) : {};
        const nonce = await nextNonce(signer);
        return method(...args, { ...overrides, ...extra, nonce }) as Promise<ContractTransactionResponse>;
      };
      methods.set(`${label}/${name}`, m);
    }
    return m;
  };

  const gas: Record<string, { gridledger: number[]; baseline: number[] }> = {};
  const record = (event: string, side: "gridledger" | "baseline", used: bigint) => {
    gas[event] ??= { gridledger: [], baseline: [] };
    gas[event][side].push(Number(used));
  };

  // Transactions are sent one after another (so nonces and windows keep their order) without waiting for each
  // receipt; receipts are collected in order at each flush. A transaction's gas does not depend on it.
  const total = records * 16 + 1;
  let done = 0;
  const queue: { response: ContractTransactionResponse; event?: string; side?: "gridledger" | "baseline" }[] = [];
  async function setFees(): Promise<void> {
    const block = await provider!.getBlock("latest");
    const base = block?.baseFeePerGas ?? 1_000_000_000n;
    overrides.maxPriorityFeePerGas = 1_000_000_000n;
    overrides.maxFeePerGas = base * 3n + 2_000_000_000n;
  }
  async function flush(): Promise<void> {
    for (const item of queue.splice(0)) {
      const receipt = await item.response.wait();
      if (receipt === null) throw new Error("transaction was dropped");
      if (item.event && item.side) record(item.event, item.side, receipt.gasUsed);
      if (++done % 50 === 0) options.onProgress?.(done, total);
    }
    await setFees();
  }
  async function send(tx: Promise<ContractTransactionResponse>, event?: string, side?: "gridledger" | "baseline"): Promise<void> {
    queue.push({ response: await tx, event, side });
    if (queue.length >= 200) await flush();
  }

  const asProducer = (name: string) => bound("producer", ledger, producer, name);
  const asMeter = (name: string) => bound("meter", ledger, meter, name);
  const asPurchaser = (name: string) => bound("purchaser", ledger, purchaser, name);
  const baseSigners = new Map<Signer, string>([
    [baselineUser, "baselineUser"],
    [meter, "meter"],
    [purchaser, "purchaser"],
    [producer, "producer"],
  ]);
  const base = (signer: Signer, name: string) => bound(`baseline-${baseSigners.get(signer)}`, baseline, signer, name);
  const meterAddress = await meter.getAddress();

  options.log?.(`gas: ${records} records of each kind`);
  await setFees();
  await send(asProducer("authorizeMeter")(meterAddress, RATED_POWER));

  for (let i = 0; i < records; i++) {
    await send(asProducer("openOffer")(1_000_000_000n, 900_000_000n, RATE, `grid-${i % 10}`), "openOffer", "gridledger");
    await send(base(baselineUser, "storeEnergy")("1000000000", "900000000", `grid-${i % 10}`, "200000000000"), "openOffer", "baseline");
  }
  await flush();
  const offerId = 1n;
  for (let i = 0; i < records; i++) {
    await send(asMeter("recordStorage")(offerId, 900_000_000n - BigInt(i)), "storageUpdate", "gridledger");
    await send(base(meter, "storeEnergy")("1000000000", String(900_000_000 - i), "grid-0", "200000000000"), "storageUpdate", "baseline");
  }
  // Twice as many purchases as records: the second half pays the producer so that withdraw can be
  // measured without emptying the producer's balance before each measured bill.
  for (let i = 0; i < records; i++) {
    await send(asPurchaser("purchase")(offerId, QUANTITY, { value: RATE * QUANTITY }), "purchase", "gridledger");
    await send(base(purchaser, "purchaseEnergy")(1, String(QUANTITY), { value: RATE * QUANTITY }), "purchase", "baseline");
  }
  for (let i = 0; i < records; i++) await send(asPurchaser("purchase")(offerId, QUANTITY, { value: RATE * QUANTITY }));
  await flush();

  // Delivery windows after the purchases, back to back: one minute each, within the meter's rated power.
  // The clock moves on past the last window so that every window has ended when it is recorded.
  const latest = await provider.getBlock("latest");
  const firstStart = BigInt(latest!.timestamp) + 1n;
  await advance(provider, 2 * records * WINDOW_S + 3_600);
  for (let i = 0; i < records; i++) {
    const start = firstStart + BigInt(i * WINDOW_S);
    const end = start + BigInt(WINDOW_S);
    await send(asMeter("recordTransfer")(BigInt(i + 1), meterAddress, QUANTITY, start, end, "inverter-1"), "transfer", "gridledger");
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
    if (i < records) await send(ack, "acknowledge", "gridledger");
    else await send(ack);
  }
  await flush();
  const cidDigest = (i: number) => keccak256(toUtf8Bytes(`bill-${i}`));
  for (let i = 0; i < records; i++) {
    await send(asProducer("recordBill")(BigInt(i + 1), cidDigest(i), 0x55), "bill", "gridledger");
    await send(base(producer, "storeBill")(i, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"), "bill", "baseline");
  }
  for (let i = records; i < 2 * records; i++) {
    await send(asProducer("recordBill")(BigInt(i + 1), cidDigest(i), 0x55));
    await send(asProducer("withdraw")(), "withdraw", "gridledger");
  }
  await flush();

  const events: GasResult["events"] = {};
  const growth: GasResult["growth"] = {};
  for (const [event, sides] of Object.entries(gas)) {
    const steady = (s: number[]) => s.slice(GAS_WARMUP);
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
  return {
    paperGasPerPush: PAPER_GAS_PER_PUSH,
    records,
    warmup: GAS_WARMUP,
    events,
    recurringMean,
    growth,
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
