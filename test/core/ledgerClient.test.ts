import { describe, expect, it } from "vitest";
import { LedgerError } from "../../src/ledgerErrors.js";
import { TxNotMinedError } from "../../src/txSender.js";
import { deliveredPurchase, ledgerFixture, RATE } from "./ledgerFixture.js";

describe("GridLedgerClient writes", () => {
  it("returns hash, block and the new record's id for every action, read from the receipt's event", async () => {
    const f = await ledgerFixture();
    const meter = f.accounts.meter.address;
    const authorised = await f.producer.authorizeMeter({ meter, ratedPower: 10_000n });
    expect(authorised.id).toBe(meter);
    expect(authorised.hash).toMatch(/^0x[0-9a-f]{64}$/);

    const opened = await f.producer.openOffer({ capacity: 100_000n, available: 80_000n, rate: RATE, location: "North" });
    expect(opened.id).toBe(1n);
    expect(opened.blockNumber).toBe((await f.ethers.provider.getTransactionReceipt(opened.hash))!.blockNumber);

    expect((await f.meter.recordStorage({ offerId: 1n, available: 70_000n })).id).toBe(1n);
    expect((await f.reader.offer(1n)).available).toBe(70_000n);

    const bought = await f.purchaser.purchase({ offerId: 1n, quantity: 5_000n });
    expect(bought.id).toBe(1n);
    const purchase = await f.reader.purchaseOf(1n);
    expect(purchase).toMatchObject({ purchaser: f.accounts.purchaser.address, quantity: 5_000n, cost: 5_000n * RATE, status: "open" });

    await f.networkHelpers.time.increase(7200);
    const now = BigInt(await f.networkHelpers.time.latest());
    const sent = await f.meter.recordTransfer({ purchaseId: 1n, meter, amount: 3_000n, start: now - 3600n, end: now - 1800n, device: "inv" });
    expect(sent.id).toBe(0);
    const second = await f.producer.recordTransfer({ purchaseId: 1n, meter, amount: 1_000n, start: now - 1800n, end: now - 600n, device: "inv" });
    expect(second.id).toBe(1);
    expect((await f.purchaser.acknowledgeTransfer({ purchaseId: 1n, index: 0 })).id).toBe(0);
    expect((await f.purchaser.disputeTransfer({ purchaseId: 1n, index: 1, reason: 2 })).id).toBe(1);
    expect((await f.operator.resolveDispute({ purchaseId: 1n, index: 1n, upheld: true })).id).toBe(1);
    expect(await f.reader.transferOf(1n, 1)).toMatchObject({ amount: 1_000n, state: "upheld" });

    const cid = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4";
    const billed = await f.producer.recordBill({ purchaseId: 1n, cid });
    expect(billed.id).toBe(1n);
    const recorded = await f.reader.billOf(1n);
    expect(recorded).toMatchObject({ cid, producerAmount: 3_000n * RATE, refund: 2_000n * RATE });
    expect(recorded!.blockNumber).toBe(billed.blockNumber);

    const paid = await f.producer.withdraw();
    expect(paid.id).toBe(3_000n * RATE);
    expect((await f.purchaser.withdraw()).id).toBe(2_000n * RATE);

    expect((await f.producer.closeOffer({ offerId: 1n })).id).toBe(1n);
    expect((await f.producer.revokeMeter({ meter })).id).toBe(meter);
    expect((await f.operator.transferOperator({ newOperator: f.accounts.other.address })).id).toBe(f.accounts.other.address);
    expect(await f.reader.counts()).toEqual({ offers: 1n, storageReadings: 1n, purchases: 1n, transfers: 2n, acknowledgements: 1n, bills: 1n });
  });

  it("closes an unbilled purchase after its deadline and expires a dispute the operator left", async () => {
    const f = await ledgerFixture();
    const { purchaseId } = await deliveredPurchase(f);
    await f.purchaser.disputeTransfer({ purchaseId, index: 0, reason: 1 });
    await expect(f.other.expireDispute({ purchaseId, index: 0 })).rejects.toMatchObject({ errorName: "ResolutionWindowOpen" });
    await f.networkHelpers.time.increase(5 * 86_400);
    expect((await f.other.expireDispute({ purchaseId, index: 0 })).id).toBe(0);
    await f.networkHelpers.time.increase(8 * 86_400);
    const closed = await f.purchaser.closePurchase({ purchaseId });
    expect(closed.id).toBe(purchaseId);
    expect(await f.reader.balanceOf(f.accounts.purchaser.address)).toBe(5_000n * RATE);
    expect((await f.reader.purchaseOf(purchaseId)).status).toBe("closed");
  });

  it("refuses a purchase whose cost exceeds maxCost before signing anything", async () => {
    const f = await ledgerFixture();
    await f.producer.openOffer({ capacity: 10_000n, available: 10_000n, rate: RATE, location: "x" });
    const nonce = await f.ethers.provider.getTransactionCount(f.accounts.purchaser.address);
    await expect(f.purchaser.purchase({ offerId: 1n, quantity: 1_000n, maxCost: 1_000n * RATE - 1n })).rejects.toThrow(/maxCost/);
    expect(await f.ethers.provider.getTransactionCount(f.accounts.purchaser.address)).toBe(nonce);
  });
});

describe("GridLedgerClient errors", () => {
  it("decodes custom errors with their arguments and a readable message, and sends nothing", async () => {
    const f = await ledgerFixture();
    await f.producer.openOffer({ capacity: 10_000n, available: 10n, rate: RATE, location: "x" });
    const nonce = await f.ethers.provider.getTransactionCount(f.accounts.purchaser.address);
    const error = await f.purchaser.purchase({ offerId: 1n, quantity: 11n }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerError);
    expect(error).toMatchObject({ errorName: "QuantityExceedsAvailable", args: [1n, 11n, 10n] });
    expect((error as Error).message).toBe("QuantityExceedsAvailable: quantity 11 Wh exceeds the 10 Wh available in offer 1");
    expect(await f.ethers.provider.getTransactionCount(f.accounts.purchaser.address)).toBe(nonce);

    await expect(f.other.closeOffer({ offerId: 1n })).rejects.toMatchObject({ errorName: "NotProducer", args: [1n, f.accounts.other.address] });
    await expect(f.reader.offer(9n)).rejects.toMatchObject({ errorName: "UnknownOffer", args: [9n] });
    await expect(f.producer.openOffer({ capacity: 0n, available: 0n, rate: 1n, location: "x" })).rejects.toMatchObject({ errorName: "ZeroCapacity" });
    await expect(f.reader.withdraw()).rejects.toThrow(/read-only/);
  });
});

describe("TxSender", () => {
  it("mines 50 concurrent writes from one account, each with its own nonce", async () => {
    const f = await ledgerFixture();
    const { id: offerId } = await f.producer.openOffer({ capacity: 100_000n, available: 100_000n, rate: RATE, location: "x" });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => f.producer.recordStorage({ offerId, available: BigInt(50_000 + i) })));
    const nonces = await Promise.all(results.map(async (r) => (await f.ethers.provider.getTransaction(r.hash))!.nonce));
    expect(new Set(nonces).size).toBe(50);
    expect(new Set(results.map((r) => r.hash)).size).toBe(50);
    expect((await f.reader.counts()).storageReadings).toBe(50n);
  });

  it("resubmits a dropped transaction with the same nonce and higher fees", async () => {
    const f = await ledgerFixture({ confirmTimeoutMs: 300, maxResubmits: 3 });
    const { id: offerId } = await f.producer.openOffer({ capacity: 100_000n, available: 100_000n, rate: RATE, location: "x" });
    await f.networkHelpers.mine(); // settle fees
    await f.ethers.provider.send("evm_setAutomine", [false]);
    const statuses: string[] = [];
    let firstHash = "";
    const pending = f.producer.recordStorage({ offerId, available: 1n }, (s) => {
      statuses.push(s.stage);
      if (s.stage === "pending") {
        firstHash = s.hash;
        void f.ethers.provider.send("hardhat_dropTransaction", [s.hash]);
      }
      if (s.stage === "resubmitted") void f.ethers.provider.send("evm_mine", []);
    });
    const result = await pending;
    await f.ethers.provider.send("evm_setAutomine", [true]);
    expect(statuses).toEqual(["signing", "pending", "resubmitted", "mined"]);
    expect(result.hash).not.toBe(firstHash);
    const [first, replacement] = [firstHash, result.hash];
    expect(await f.ethers.provider.getTransaction(first)).toBeNull();
    expect((await f.ethers.provider.getTransaction(replacement))!.nonce).toBe(1);
    expect((await f.reader.offer(offerId)).available).toBe(1n);
  });

  it("reports a transaction it cannot get mined instead of dropping it silently", async () => {
    const f = await ledgerFixture({ confirmTimeoutMs: 200, maxResubmits: 1 });
    const { id: offerId } = await f.producer.openOffer({ capacity: 100_000n, available: 100_000n, rate: RATE, location: "x" });
    await f.ethers.provider.send("evm_setAutomine", [false]);
    try {
      const error = await f.producer.recordStorage({ offerId, available: 1n }, (s) => {
        if (s.stage === "pending" || s.stage === "resubmitted") void f.ethers.provider.send("hardhat_dropTransaction", [s.hash]);
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TxNotMinedError);
      expect((error as TxNotMinedError).message).toMatch(/dropped by the node and every resubmission failed/);
      expect((error as TxNotMinedError).nonce).toBe(1);
    } finally {
      await f.ethers.provider.send("evm_setAutomine", [true]);
    }
  });
});

describe("history", () => {
  it("pages newest first and filters by purchaser, purchase and kind", async () => {
    const f = await ledgerFixture({ logRange: 3 });
    await deliveredPurchase(f);
    const { purchaseId: second } = await deliveredPurchase(f, 2_000n);
    const all = [];
    let before;
    do {
      const page = await f.reader.history({}, { size: 2, before });
      expect(page.events.length).toBeLessThanOrEqual(2);
      all.push(...page.events);
      before = page.next;
    } while (before);
    // 2 × (MeterAuthorized, OfferOpened, EnergyPurchased, EnergyTransferred)
    expect(all.map((e) => e.kind)).toEqual([
      "EnergyTransferred", "EnergyPurchased", "OfferOpened", "MeterAuthorized",
      "EnergyTransferred", "EnergyPurchased", "OfferOpened", "MeterAuthorized",
    ]);
    const sorted = [...all].sort((a, b) => b.blockNumber - a.blockNumber || b.logIndex - a.logIndex);
    expect(all).toEqual(sorted);

    const mine = await f.reader.history({ purchaseId: second });
    expect(mine.events.map((e) => e.kind)).toEqual(["EnergyTransferred", "EnergyPurchased"]);
    const byPurchaser = await f.reader.history({ purchaser: f.accounts.purchaser.address, kinds: ["EnergyPurchased"] });
    expect(byPurchaser.events).toHaveLength(2);
    const byOther = await f.reader.history({ purchaser: f.accounts.other.address });
    expect(byOther.events).toHaveLength(0);
  });
});
