import { describe, expect, it } from "vitest";
import { endOfBlock } from "../../src/alerts.js";
import type { LedgerEvent } from "../../src/events.js";
import type { GridLedgerClient } from "../../src/ledgerClient.js";
import {
  isBelow,
  lateDeliveries,
  notificationSteps,
  parseDuration,
  parseStorageLevel,
  storageCrossings,
  ThresholdTracker,
  type NotificationStep,
  type ThresholdLookups,
} from "../../src/thresholds.js";
import { ledgerFixture, RATE, type LedgerFixture } from "./ledgerFixture.js";

const PRODUCER = "0x0000000000000000000000000000000000000001";
const PURCHASER = "0x0000000000000000000000000000000000000002";
const METER = "0x0000000000000000000000000000000000000003";
let block = 1;
const base = () => ({ blockNumber: block++, blockHash: `0x${"cd".repeat(32)}`, transactionHash: `0x${block.toString(16).padStart(64, "0")}`, logIndex: 0 });
const opened = (available: bigint, offerId = 1n, capacity = 100_000n): LedgerEvent => ({ ...base(), kind: "OfferOpened", offerId, producer: PRODUCER, capacity, available, rate: 1n, location: "x" });
const reading = (available: bigint, offerId = 1n): LedgerEvent => ({ ...base(), kind: "StorageRecorded", offerId, producer: PRODUCER, recorder: METER, available });
const purchased = (purchaseId: bigint, quantity: bigint): LedgerEvent => ({ ...base(), kind: "EnergyPurchased", purchaseId, producer: PRODUCER, purchaser: PURCHASER, offerId: 1n, quantity, cost: quantity });
const transferred = (purchaseId: bigint, index: number, amount: bigint): LedgerEvent => ({
  ...base(),
  kind: "EnergyTransferred",
  purchaseId,
  producer: PRODUCER,
  purchaser: PURCHASER,
  index,
  meter: METER,
  amount,
  start: 0n,
  end: 1n,
  cost: amount,
  device: "d",
});
const resolved = (purchaseId: bigint, index: number, upheld: boolean): LedgerEvent => ({ ...base(), kind: "DisputeResolved", purchaseId, producer: PRODUCER, purchaser: PURCHASER, index, upheld, expired: false });
/** Blocks at 1000 s + 10 s per block; capacities fixed. */
const lookups: ThresholdLookups = { blockTime: async (n) => 1_000n + BigInt(n) * 10n, capacity: async () => 100_000n };

describe("threshold levels and durations", () => {
  it("parses a percentage of capacity or an energy, exactly", () => {
    const twenty = parseStorageLevel("20%");
    expect(twenty).toMatchObject({ kind: "percent", numerator: 20n, denominator: 100n });
    expect(isBelow(19_999n, 100_000n, twenty)).toBe(true);
    expect(isBelow(20_000n, 100_000n, twenty)).toBe(false);
    // 12.5% of 3 Wh is 0.375 Wh: 0 is below, 1 is not — no rounding.
    const eighth = parseStorageLevel("12.5 %");
    expect([isBelow(0n, 3n, eighth), isBelow(1n, 3n, eighth)]).toEqual([true, false]);
    expect(parseStorageLevel("10 kWh")).toMatchObject({ kind: "energy", wh: 10_000n });
    for (const bad of ["0%", "101%", "-5%", "20 %%", "0 kWh", "ten"]) expect(() => parseStorageLevel(bad), bad).toThrow(RangeError);
  });

  it("parses durations", () => {
    expect(parseDuration("2h")).toBe(7_200n);
    expect(parseDuration("1h30m")).toBe(5_400n);
    expect(parseDuration("1d 2h")).toBe(93_600n);
    expect(parseDuration("45")).toBe(45n);
    for (const bad of ["0", "0h", "2x", "h", "1h1h", ""]) expect(() => parseDuration(bad), bad).toThrow(RangeError);
  });
});

describe("storage threshold", () => {
  it("tells when a reading crosses the level down and back up, and not again while below", () => {
    const events = [opened(80_000n), reading(30_000n), reading(19_999n), reading(10_000n), reading(19_000n), reading(20_000n), reading(25_000n), reading(5_000n)];
    const notices = storageCrossings(events, parseStorageLevel("20%"));
    expect(notices.map((n) => [n.type, n.available, n.previous])).toEqual([
      ["storage-below", 19_999n, 30_000n],
      ["storage-restored", 20_000n, 19_000n],
      ["storage-below", 5_000n, 25_000n],
    ]);
    expect(notices[0]).toMatchObject({ offerId: 1n, capacity: 100_000n, level: "20%", levelWh: 20_000n });
    expect(notices[0].key).toBe(`storage-below:${notices[0].event.blockHash}:${notices[0].event.transactionHash}:0`);
  });

  it("an offer opened below the level is below; offers are tracked apart; an energy level ignores capacity", () => {
    const events = [opened(5_000n, 1n), opened(50_000n, 2n), reading(8_000n, 1n), reading(9_000n, 2n), reading(12_000n, 1n)];
    expect(storageCrossings(events, parseStorageLevel("10 kWh")).map((n) => [n.type, n.offerId, n.available])).toEqual([
      ["storage-below", 1n, 5_000n],
      ["storage-below", 2n, 9_000n],
      ["storage-restored", 1n, 12_000n],
    ]);
  });

  it("the tracker does the same from a snapshot, so a restart neither repeats nor misses a crossing", async () => {
    const rules = { storageBelow: parseStorageLevel("20%") };
    const first = new ThresholdTracker(PRODUCER, rules);
    expect(await first.observe(opened(80_000n), lookups)).toEqual([]);
    expect((await first.observe(reading(10_000n), lookups)).map((n) => n.type)).toEqual(["storage-below"]);
    const resumed = new ThresholdTracker(PRODUCER, rules, JSON.parse(JSON.stringify(first.snapshot())));
    expect(await resumed.observe(reading(12_000n), lookups)).toEqual([]); // still below: not again
    expect((await resumed.observe(reading(40_000n), lookups)).map((n) => n.type)).toEqual(["storage-restored"]);
    // Another producer's offer is not ours.
    expect(await new ThresholdTracker(PURCHASER, rules).observe(opened(1_000n), lookups)).toEqual([]);
  });
});

describe("delivery threshold", () => {
  it("pure: late and short purchases only", () => {
    const p = { purchaseId: 1n, purchasedAt: 1_000n, quantity: 5_000n, delivered: 2_000n, withheld: 0n };
    const within = 7_200n;
    expect(lateDeliveries([p], within, 8_200n)).toEqual([]); // at the deadline, not past it
    expect(lateDeliveries([p], within, 8_201n)).toEqual([p]);
    expect(lateDeliveries([{ ...p, delivered: 5_000n }], within, 9_000n)).toEqual([]); // delivered in full
    expect(lateDeliveries([{ ...p, delivered: 5_000n, withheld: 1_000n }], within, 9_000n)).toHaveLength(1); // a dispute upheld
    expect(lateDeliveries([{ ...p, status: "billed" as const }], within, 9_000n)).toEqual([]);
  });

  it("the tracker reports each late purchase once, counting upheld disputes, and forgets settled ones", async () => {
    const t = new ThresholdTracker(PURCHASER, { deliveryWithin: 100n });
    const short = purchased(1n, 5_000n);
    await t.observe(short, lookups);
    await t.observe(transferred(1n, 0, 2_000n), lookups);
    const full = purchased(2n, 1_000n);
    await t.observe(full, lookups);
    await t.observe(transferred(2n, 0, 1_000n), lookups);
    await t.observe(resolved(2n, 0, true), lookups); // the 1 kWh did not count after all
    const settled = purchased(3n, 1_000n);
    await t.observe(settled, lookups);
    await t.observe({ ...base(), kind: "PurchaseClosed", purchaseId: 3n, producer: PRODUCER, purchaser: PURCHASER, producerAmount: 0n, refund: 1n }, lookups);
    const t1 = await lookups.blockTime(short.blockNumber);
    expect(t.due(t1 + 100n)).toEqual([]);
    const late = t.due(t1 + 1_000n);
    expect(late.map((n) => [n.purchaseId, n.delivered, n.short])).toEqual([
      [1n, 2_000n, 3_000n],
      [2n, 0n, 1_000n],
    ]);
    expect(late[0]).toMatchObject({ type: "delivery-late", purchasedAt: t1, deadline: t1 + 100n, within: "1m40s", key: `delivery-late:${short.blockHash}:${short.transactionHash}:0` });
    expect(t.due(t1 + 5_000n)).toEqual([]); // once
    expect(new ThresholdTracker(PURCHASER, { deliveryWithin: 100n }, t.snapshot()).due(t1 + 9_000n)).toEqual([]); // once, across a restart
  });

  it("on a chain: late and short is told after the deadline passes, once; a delivered purchase never", async () => {
    const f = await ledgerFixture();
    await f.producer.authorizeMeter({ meter: f.accounts.meter.address, ratedPower: 10_000n });
    const { id: offerId } = await f.producer.openOffer({ capacity: 100_000n, available: 80_000n, rate: RATE, location: "North substation" });
    const { id: shortId } = await f.purchaser.purchase({ offerId, quantity: 5_000n });
    const { id: fullId } = await f.purchaser.purchase({ offerId, quantity: 1_000n });
    const start = BigInt(await f.networkHelpers.time.latest());
    await f.networkHelpers.time.increase(1_800);
    await f.meter.recordTransfer({ purchaseId: shortId, meter: f.accounts.meter.address, amount: 2_000n, start, end: start + 900n, device: "inverter-1" });
    await f.meter.recordTransfer({ purchaseId: fullId, meter: f.accounts.meter.address, amount: 1_000n, start: start + 900n, end: start + 1_800n, device: "inverter-1" });

    const tracker = new ThresholdTracker(f.accounts.purchaser.address, { deliveryWithin: parseDuration("2h") });
    const before = await steps(f, f.accounts.purchaser.address, { block: 0, logIndex: -1 }, tracker);
    expect(notices(before)).toEqual([]);

    await f.networkHelpers.time.increase(7_200);
    await f.networkHelpers.mine();
    const after = await steps(f, f.accounts.purchaser.address, before.at(-1)!.cursor, tracker);
    expect(notices(after)).toEqual([`delivery-late:${shortId}:2000/5000`]);
    await f.networkHelpers.mine(3);
    expect(notices(await steps(f, f.accounts.purchaser.address, after.at(-1)!.cursor, tracker))).toEqual([]);
  });

  it("on a chain: the producer is told when a reading crosses the storage level", async () => {
    const f = await ledgerFixture();
    await f.producer.authorizeMeter({ meter: f.accounts.meter.address, ratedPower: 10_000n });
    const { id: offerId } = await f.producer.openOffer({ capacity: 100_000n, available: 80_000n, rate: RATE, location: "North substation" });
    for (const available of [30_000n, 15_000n, 12_000n, 60_000n]) await f.meter.recordStorage({ offerId, available });
    const tracker = new ThresholdTracker(f.accounts.producer.address, { storageBelow: parseStorageLevel("20%") });
    const got = await steps(f, f.accounts.producer.address, { block: 0, logIndex: -1 }, tracker);
    expect(notices(got)).toEqual(["storage-below:1:15000", "storage-restored:1:60000"]);
    // Each notice follows its reading's alert, in the same step, at the reading's position.
    const step = got.find((s) => s.items.some((i) => i.type === "threshold"))!;
    expect(step.items.map((i) => i.type)).toEqual(["alert", "threshold"]);
  });
});

/** Steps of the notification stream from `after` up to the current head, then stop. */
async function steps(f: LedgerFixture, address: string, after: { block: number; logIndex: number }, tracker: ThresholdTracker): Promise<NotificationStep[]> {
  const head = Number(await f.ethers.provider.send("eth_blockNumber", []));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 20_000);
  const got: NotificationStep[] = [];
  for await (const step of notificationSteps(f.reader as GridLedgerClient, address, { after, tracker, pollMs: 20, signal: controller.signal })) {
    got.push(step);
    if (step.cursor.block >= head && step.cursor.logIndex === endOfBlock(head).logIndex) break;
  }
  clearTimeout(timer);
  return got;
}

function notices(steps: NotificationStep[]): string[] {
  return steps.flatMap((s) =>
    s.items.flatMap((i) => {
      if (i.type !== "threshold") return [];
      const n = i.notice;
      return n.type === "delivery-late" ? [`delivery-late:${n.purchaseId}:${n.delivered}/${n.quantity}`] : [`${n.type}:${n.offerId}:${n.available}`];
    }),
  );
}
