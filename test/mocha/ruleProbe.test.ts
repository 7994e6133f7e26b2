/**
 * The builds the gas bench prices the meter and dispute rules with (contracts/test/GridLedgerRuleProbe.sol): each
 * must lack exactly its own rule, or the bench's rule costs would measure something else.
 */
import { expect } from "chai";
import type { GridLedger } from "../../types/ethers-contracts/index.js";
import { measureRuleCosts } from "../../src/bench/ruleCosts.js";
import { BILLING_TIMEOUT, CAPACITY, AVAILABLE, DIGEST, CODEC_RAW, DEVICE, DISPUTE_WINDOW, QUANTITY, RATE, RESOLUTION_WINDOW, blockTime, ethers, time } from "./fixtures.js";

const BUILDS = ["GridLedger", "GridLedgerWithoutRatedPower", "GridLedgerWithoutWindows", "GridLedgerWithoutDisputeCheck"] as const;
type Build = (typeof BUILDS)[number];
/** 3.6 kW: at most 1 Wh per second of window. */
const RATED = 3_600n;

/** A deployment of `build` with offer 1, a 3.6 kW meter and purchase 1 an hour old. */
async function purchasedOn(build: Build) {
  const [operator, producer, purchaser, meter] = await ethers.getSigners();
  const ledger = (await ethers.deployContract(build, [operator.address, DISPUTE_WINDOW, RESOLUTION_WINDOW, BILLING_TIMEOUT])) as unknown as GridLedger;
  await ledger.connect(producer).openOffer(CAPACITY, AVAILABLE, RATE, "Probe feeder");
  await ledger.connect(producer).authorizeMeter(meter.address, RATED);
  const purchasedAt = await blockTime(await ledger.connect(purchaser).purchase(1n, QUANTITY, { value: QUANTITY * RATE }));
  await time.increase(3_600);
  return { ledger, producer, purchaser, meter, start: purchasedAt + 1n };
}

/** Whether each build accepted `attempt` (one after another: they share the chain's clock); any revert other than `error` fails the test. */
async function verdicts(attempt: (f: Awaited<ReturnType<typeof purchasedOn>>) => Promise<unknown>, error: string): Promise<Record<Build, boolean>> {
  const result = {} as Record<Build, boolean>;
  for (const build of BUILDS) result[build] = await accepts(build, attempt, error);
  return result;
}

/** Whether `build` accepted `attempt`; any revert other than `error` fails the test. */
async function accepts(build: Build, attempt: (f: Awaited<ReturnType<typeof purchasedOn>>) => Promise<unknown>, error: string): Promise<boolean> {
  const f = await purchasedOn(build);
  try {
    await attempt(f);
    return true;
  } catch (e) {
    expect(f.ledger.interface.parseError((e as { data: string }).data)?.name, `${build}`).to.equal(error);
    return false;
  }
}

describe("GridLedger rule probes (gas bench builds)", function () {
  it("only the build without the rated-power rule accepts more than the meter's rated power over the window", async function () {
    const overRated = ({ ledger, meter, start }: Awaited<ReturnType<typeof purchasedOn>>) =>
      ledger.connect(meter).recordTransfer(1n, meter.address, 101n, start, start + 100n, DEVICE);
    expect(await verdicts(overRated, "DeliveryExceedsRatedPower")).to.deep.equal({
      GridLedger: false,
      GridLedgerWithoutRatedPower: true,
      GridLedgerWithoutWindows: false,
      GridLedgerWithoutDisputeCheck: false,
    });
  });

  it("only the build without the window rule accepts a window that overlaps the meter's last one, and keeps no last end", async function () {
    const overlapping = async ({ ledger, meter, start }: Awaited<ReturnType<typeof purchasedOn>>) => {
      await ledger.connect(meter).recordTransfer(1n, meter.address, 10n, start, start + 100n, DEVICE);
      await ledger.connect(meter).recordTransfer(1n, meter.address, 10n, start + 50n, start + 150n, DEVICE);
    };
    expect(await verdicts(overlapping, "WindowOverlaps")).to.deep.equal({
      GridLedger: false,
      GridLedgerWithoutRatedPower: false,
      GridLedgerWithoutWindows: true,
      GridLedgerWithoutDisputeCheck: false,
    });
    const f = await purchasedOn("GridLedgerWithoutWindows");
    await f.ledger.connect(f.meter).recordTransfer(1n, f.meter.address, 10n, f.start, f.start + 100n, DEVICE);
    expect((await f.ledger.meterOf(f.meter.address)).lastEnd).to.equal(0n);
  });

  it("only the build without the dispute check bills a purchase with a transfer in dispute", async function () {
    const billDisputed = async ({ ledger, meter, producer, purchaser, start }: Awaited<ReturnType<typeof purchasedOn>>) => {
      await ledger.connect(meter).recordTransfer(1n, meter.address, 10n, start, start + 100n, DEVICE);
      await ledger.connect(purchaser).disputeTransfer(1n, 0n, 1);
      await ledger.connect(producer).recordBill(1n, DIGEST, CODEC_RAW);
    };
    expect(await verdicts(billDisputed, "DisputesOpen")).to.deep.equal({
      GridLedger: false,
      GridLedgerWithoutRatedPower: false,
      GridLedgerWithoutWindows: false,
      GridLedgerWithoutDisputeCheck: true,
    });
  });

  it("the rule-cost bench prices each rule as the gas GridLedger spends over the build without it", async function () {
    const [operator, producer, meter, purchaser, baselineUser] = await ethers.getSigners();
    const costs = await measureRuleCosts({ signers: { operator, producer, meter, purchaser, baselineUser }, records: 12 });
    expect(costs.rules.map((r) => r.event)).to.deep.equal(["transfer", "transfer", "bill"]);
    for (const r of costs.rules) {
      expect(r.cost, r.rule).to.equal(r.withRule - r.withoutRule);
      expect(r.cost, r.rule).to.be.greaterThan(0);
    }
    // Keeping a meter's last window end rewrites its (warm, non-zero) slot: at least an SSTORE's 2,900 gas.
    expect(costs.rules[1].cost).to.be.at.least(2_900);
    expect(Object.keys(costs.operations)).to.deep.equal([
      "authorizeMeter",
      "disputeTransfer",
      "resolveDispute (upheld)",
      "resolveDispute (rejected)",
      "expireDispute",
    ]);
    for (const gas of Object.values(costs.operations)) expect(gas).to.be.greaterThan(21_000);
  });
});
