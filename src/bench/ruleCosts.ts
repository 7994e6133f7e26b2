/**
 * The cost of each meter and dispute rule: the same purchase cycles run side by side on one chain on GridLedger and
 * on builds of it without one rule each (contracts/test/GridLedgerRuleProbe.sol); a rule's cost is the difference in
 * the gas of the event it runs in. The operations the rules bring (meter authorisation with a rated power, disputes
 * and their resolution) are measured on GridLedger.
 */
import { Contract, ContractFactory, keccak256, toUtf8Bytes, type Signer } from "ethers";
import { ARTIFACTS, readArtifact } from "../sim/localGrid.js";
import { GasRecorder, advanceTime, rpcProviderOf } from "./gasRecorder.js";
import { BENCH_WINDOWS, QUANTITY, RATE, RATED_POWER, WINDOW_S, type GasSigners } from "./gasFixtures.js";

/** Each deployment measured: GridLedger, and the builds without one rule each. */
const DEPLOYMENTS = ["gridLedger", "withoutRatedPower", "withoutWindows", "withoutDisputeCheck"] as const;
type Deployment = (typeof DEPLOYMENTS)[number];

export interface RuleCost {
  rule: string;
  event: "transfer" | "bill";
  withRule: number;
  withoutRule: number;
  cost: number;
}

export interface RuleCosts {
  records: number;
  /** Median gas of each event on each deployment (after the warm-up records). */
  events: Record<"transfer" | "bill", Record<Deployment, number>>;
  rules: RuleCost[];
  /** Gas of the operations the rules bring, on GridLedger (medians; authorizeMeter is a first authorisation). */
  operations: Record<string, number>;
}

const RULES: { rule: string; event: "transfer" | "bill"; without: Deployment }[] = [
  { rule: "rated power bound (amount ≤ W × s / 3600)", event: "transfer", without: "withoutRatedPower" },
  { rule: "non-overlapping delivery windows per meter", event: "transfer", without: "withoutWindows" },
  { rule: "no bill while a transfer is in dispute", event: "bill", without: "withoutDisputeCheck" },
];

export async function measureRuleCosts(options: { signers: GasSigners; records: number }): Promise<RuleCosts> {
  const { operator, producer, meter, purchaser } = options.signers;
  const n = options.records;
  const provider = rpcProviderOf(operator);
  const recorder = new GasRecorder(provider);
  const meterAddress = await meter.getAddress();
  await recorder.setFees();

  const contracts = {} as Record<Deployment, Contract>;
  for (const name of DEPLOYMENTS) {
    const artifact = await readArtifact(ARTIFACTS[name]);
    const contract = (await new ContractFactory(artifact.abi, artifact.bytecode, operator).deploy(
      await operator.getAddress(),
      ...BENCH_WINDOWS,
    )) as Contract;
    await contract.waitForDeployment();
    contracts[name] = contract;
  }

  // The same cycles on every deployment, interleaved so that every deployment sees the same chain.
  const each = async (step: (c: Contract, side: Deployment) => Promise<void>) => {
    for (const side of DEPLOYMENTS) await step(contracts[side], side);
    await recorder.flush();
  };
  const call = (c: Contract, signer: Signer, name: string) => recorder.method(c, signer, name);
  // Purchases 1..n are billed after acknowledgement; n+1..2n are disputed (on GridLedger only).
  const purchases = 2 * n;
  await each(async (c, side) => {
    await recorder.send(call(c, producer, "authorizeMeter")(meterAddress, RATED_POWER), "authorizeMeter", side);
    await recorder.send(call(c, producer, "openOffer")(1_000_000_000n, 900_000_000n, RATE, "Rule probe"));
  });
  await each(async (c) => {
    for (let i = 0; i < purchases; i++) {
      await recorder.send(call(c, purchaser, "purchase")(1n, QUANTITY, { value: RATE * QUANTITY }));
    }
  });
  const latest = await provider.getBlock("latest");
  const firstStart = BigInt(latest!.timestamp) + 1n;
  await advanceTime(provider, purchases * WINDOW_S + 3_600);
  await each(async (c, side) => {
    for (let i = 0; i < purchases; i++) {
      const start = firstStart + BigInt(i * WINDOW_S);
      const transfer = call(c, meter, "recordTransfer")(BigInt(i + 1), meterAddress, QUANTITY, start, start + BigInt(WINDOW_S), "inverter-1");
      await recorder.send(transfer, i < n ? "transfer" : undefined, side);
    }
  });
  await each(async (c, side) => {
    for (let i = 0; i < n; i++) await recorder.send(call(c, purchaser, "acknowledgeTransfer")(BigInt(i + 1), 0n));
    for (let i = 0; i < n; i++) {
      const bill = call(c, producer, "recordBill")(BigInt(i + 1), keccak256(toUtf8Bytes(`rule-bill-${i}`)), 0x55);
      await recorder.send(bill, "bill", side);
    }
  });

  // Disputes on GridLedger: every one raised; a quarter upheld, a quarter rejected, the rest left to expire.
  const ledger = contracts.gridLedger;
  for (let i = n; i < purchases; i++) {
    await recorder.send(call(ledger, purchaser, "disputeTransfer")(BigInt(i + 1), 0n, 1), "disputeTransfer", "gridLedger");
  }
  const quarter = Math.floor(n / 4);
  for (let i = n; i < n + quarter; i++) {
    await recorder.send(call(ledger, operator, "resolveDispute")(BigInt(i + 1), 0n, true), "resolveDispute (upheld)", "gridLedger");
  }
  for (let i = n + quarter; i < n + 2 * quarter; i++) {
    await recorder.send(call(ledger, operator, "resolveDispute")(BigInt(i + 1), 0n, false), "resolveDispute (rejected)", "gridLedger");
  }
  await recorder.flush();
  await advanceTime(provider, BENCH_WINDOWS[0] + BENCH_WINDOWS[1] + 1);
  for (let i = n + 2 * quarter; i < purchases; i++) {
    await recorder.send(call(ledger, purchaser, "expireDispute")(BigInt(i + 1), 0n), "expireDispute", "gridLedger");
  }
  await recorder.flush();

  const eventGas = (event: "transfer" | "bill") =>
    Object.fromEntries(DEPLOYMENTS.map((side) => [side, recorder.steadyMedian(event, side)])) as Record<Deployment, number>;
  const events = { transfer: eventGas("transfer"), bill: eventGas("bill") };
  const operations: Record<string, number> = { authorizeMeter: recorder.steadyMedian("authorizeMeter", "gridLedger") };
  for (const op of ["disputeTransfer", "resolveDispute (upheld)", "resolveDispute (rejected)", "expireDispute"]) {
    operations[op] = recorder.steadyMedian(op, "gridLedger");
  }
  return {
    records: n,
    events,
    rules: RULES.map(({ rule, event, without }) => {
      const withRule = events[event].gridLedger;
      const withoutRule = events[event][without];
      return { rule, event, withRule, withoutRule, cost: withRule - withoutRule };
    }),
    operations,
  };
}
