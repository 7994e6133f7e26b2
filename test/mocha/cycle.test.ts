/**
 * Whole lives of purchases, checking every wei: ETH balances of every party (net of the exact gas fees they
 * paid), ledger balances, the contract's ETH, and the record counts after each step.
 */
import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import {
  BILLING_TIMEOUT,
  CODEC_DAG_PB,
  CODEC_RAW,
  DIGEST,
  DIGEST_2,
  DISPUTE_WINDOW,
  QUANTITY,
  RATE,
  RATE_2,
  RESOLUTION_WINDOW,
  blockTime,
  counts,
  ethers,
  expected,
  networkHelpers,
  openOffers,
  time,
} from "./fixtures.js";
import type { Deployed } from "./fixtures.js";

const { loadFixture } = networkHelpers;

/** Tracks each account's ETH from a starting point and the fees its transactions paid. */
class Ledgerbook {
  private readonly start = new Map<string, bigint>();
  private readonly fees = new Map<string, bigint>();

  private constructor(private readonly f: Deployed) {}

  static async open(f: Deployed): Promise<Ledgerbook> {
    const book = new Ledgerbook(f);
    for (const account of f.all) {
      book.start.set(account.address, await ethers.provider.getBalance(account.address));
      book.fees.set(account.address, 0n);
    }
    return book;
  }

  /** Sends a transaction, waits for it and books its fee to its sender. */
  async send(from: HardhatEthersSigner, tx: Promise<ContractTransactionResponse>): Promise<ContractTransactionResponse> {
    const sent = await tx;
    expect(sent.from).to.equal(from.address);
    const receipt = await sent.wait();
    if (receipt === null) throw new Error("dropped");
    this.fees.set(from.address, this.fees.get(from.address)! + receipt.gasUsed * receipt.gasPrice);
    return sent;
  }

  /** Asserts that `account` holds exactly its start, plus `delta`, minus the fees it paid. */
  async expectNet(account: HardhatEthersSigner, delta: bigint): Promise<void> {
    const now = await ethers.provider.getBalance(account.address);
    expect(now).to.equal(this.start.get(account.address)! + delta - this.fees.get(account.address)!);
  }

  /** Asserts the contract's ETH and each listed account's ledger balance. */
  async expectHeld(ether: bigint, balances: [HardhatEthersSigner, bigint][]): Promise<void> {
    expect(await ethers.provider.getBalance(await this.f.ledger.getAddress())).to.equal(ether);
    for (const [account, balance] of balances) expect(await this.f.ledger.balanceOf(account.address)).to.equal(balance);
  }
}

describe("GridLedger: full cycles", function () {
  it("storage → purchase → transfer by meter → acknowledge → bill by meter → withdraw: every wei accounted", async function () {
    const f = await loadFixture(openOffers);
    const { ledger, producer, purchaser, meter } = f;
    const book = await Ledgerbook.open(f);
    const cost = QUANTITY * RATE;
    const base = { offers: 2n };
    expect(await counts(ledger)).to.deep.equal(expected(base));

    await book.send(meter, ledger.connect(meter).recordStorage(1n, 5_000n));
    expect(await counts(ledger)).to.deep.equal(expected({ ...base, storageReadings: 1n }));
    expect((await ledger.offerOf(1n)).available).to.equal(5_000n);

    const bought = await book.send(purchaser, ledger.connect(purchaser).purchase(1n, QUANTITY, { value: cost }));
    const purchasedAt = await blockTime(bought);
    expect(await counts(ledger)).to.deep.equal(expected({ ...base, storageReadings: 1n, purchases: 1n }));
    expect((await ledger.offerOf(1n)).available).to.equal(5_000n - QUANTITY);
    await book.expectHeld(cost, [[producer, 0n], [purchaser, 0n]]);

    await time.increase(3600);
    const start = purchasedAt + 60n;
    const end = start + 3000n; // 36 kW × 3000 s = 30 kWh ≥ 500 Wh
    await expect(book.send(meter, ledger.connect(meter).recordTransfer(1n, meter.address, QUANTITY, start, end, "smart-meter-1")))
      .to.emit(ledger, "EnergyTransferred")
      .withArgs(1n, producer.address, purchaser.address, 0n, meter.address, QUANTITY, start, end, cost, "smart-meter-1");
    expect(await counts(ledger)).to.deep.equal(expected({ ...base, storageReadings: 1n, purchases: 1n, transfers: 1n }));

    await book.send(purchaser, ledger.connect(purchaser).acknowledgeTransfer(1n, 0n));
    expect(await counts(ledger)).to.deep.equal(
      expected({ ...base, storageReadings: 1n, purchases: 1n, transfers: 1n, acknowledgements: 1n }),
    );

    await expect(book.send(meter, ledger.connect(meter).recordBill(1n, DIGEST, CODEC_RAW)))
      .to.emit(ledger, "BillRecorded")
      .withArgs(1n, producer.address, purchaser.address, DIGEST, CODEC_RAW, cost, 0n);
    const all = expected({ ...base, storageReadings: 1n, purchases: 1n, transfers: 1n, acknowledgements: 1n, bills: 1n });
    expect(await counts(ledger)).to.deep.equal(all);
    await book.expectHeld(cost, [[producer, cost], [purchaser, 0n]]);

    await expect(book.send(producer, ledger.connect(producer).withdraw()))
      .to.emit(ledger, "Withdrawn")
      .withArgs(producer.address, cost);
    await expect(ledger.connect(purchaser).withdraw())
      .to.be.revertedWithCustomError(ledger, "NothingToWithdraw")
      .withArgs(purchaser.address);

    await book.expectHeld(0n, [[producer, 0n], [purchaser, 0n]]);
    await book.expectNet(producer, cost);
    await book.expectNet(purchaser, -cost);
    await book.expectNet(meter, 0n);
    expect(await counts(ledger)).to.deep.equal(all);
  });

  it("partial delivery over two transfers (inline and mapping): the producer is paid for what was delivered, the rest refunded", async function () {
    const f = await loadFixture(openOffers);
    const { ledger, producer, purchaser, meter } = f;
    const book = await Ledgerbook.open(f);
    const cost = QUANTITY * RATE;
    const bought = await book.send(purchaser, ledger.connect(purchaser).purchase(1n, QUANTITY, { value: cost }));
    const t = (await blockTime(bought)) + 10n;
    await time.increase(600);
    await book.send(meter, ledger.connect(meter).recordTransfer(1n, meter.address, 100n, t, t + 100n, "m"));
    await book.send(producer, ledger.connect(producer).recordTransfer(1n, meter.address, 200n, t + 100n, t + 200n, "m"));
    await book.send(purchaser, ledger.connect(purchaser).acknowledgeTransfer(1n, 0n));
    await book.send(purchaser, ledger.connect(purchaser).acknowledgeTransfer(1n, 1n));
    expect(await counts(ledger)).to.deep.equal(
      expected({ offers: 2n, purchases: 1n, transfers: 2n, acknowledgements: 2n }),
    );
    const paid = 300n * RATE;
    const refund = cost - paid;
    await expect(book.send(producer, ledger.connect(producer).recordBill(1n, DIGEST_2, CODEC_DAG_PB)))
      .to.emit(ledger, "BillRecorded")
      .withArgs(1n, producer.address, purchaser.address, DIGEST_2, CODEC_DAG_PB, paid, refund);
    expect(await counts(ledger)).to.deep.equal(
      expected({ offers: 2n, purchases: 1n, transfers: 2n, acknowledgements: 2n, bills: 1n }),
    );
    await book.expectHeld(cost, [[producer, paid], [purchaser, refund]]);

    await book.send(purchaser, ledger.connect(purchaser).withdraw());
    await book.expectHeld(paid, [[producer, paid], [purchaser, 0n]]);
    await book.send(producer, ledger.connect(producer).withdraw());
    await book.expectHeld(0n, [[producer, 0n], [purchaser, 0n]]);
    await book.expectNet(producer, paid);
    await book.expectNet(purchaser, -paid);
  });

  it("one dispute upheld, one rejected, one acknowledged: exact settlement", async function () {
    const f = await loadFixture(openOffers);
    const { ledger, producer, purchaser, meter, operator } = f;
    const book = await Ledgerbook.open(f);
    const cost = QUANTITY * RATE;
    const bought = await book.send(purchaser, ledger.connect(purchaser).purchase(1n, QUANTITY, { value: cost }));
    const t = (await blockTime(bought)) + 10n;
    await time.increase(600);
    await book.send(meter, ledger.connect(meter).recordTransfer(1n, meter.address, 200n, t, t + 100n, "m"));
    await book.send(meter, ledger.connect(meter).recordTransfer(1n, meter.address, 150n, t + 100n, t + 200n, "m"));
    await book.send(meter, ledger.connect(meter).recordTransfer(1n, meter.address, 100n, t + 200n, t + 300n, "m"));
    await book.send(purchaser, ledger.connect(purchaser).disputeTransfer(1n, 0n, 1));
    await book.send(purchaser, ledger.connect(purchaser).disputeTransfer(1n, 1n, 2));
    await book.send(purchaser, ledger.connect(purchaser).acknowledgeTransfer(1n, 2n));
    await expect(book.send(operator, ledger.connect(operator).resolveDispute(1n, 0n, true)))
      .to.emit(ledger, "DisputeResolved")
      .withArgs(1n, producer.address, purchaser.address, 0n, true, false);
    await expect(book.send(operator, ledger.connect(operator).resolveDispute(1n, 1n, false)))
      .to.emit(ledger, "DisputeResolved")
      .withArgs(1n, producer.address, purchaser.address, 1n, false, false);
    const p = await ledger.purchaseOf(1n);
    expect([p.delivered, p.withheld, p.pendingCount, p.openDisputes]).to.deep.equal([450n, 200n, 0n, 0n]);
    expect(await counts(ledger)).to.deep.equal(
      expected({ offers: 2n, purchases: 1n, transfers: 3n, acknowledgements: 1n }),
    );

    const paid = (150n + 100n) * RATE;
    const refund = cost - paid;
    await expect(book.send(producer, ledger.connect(producer).recordBill(1n, DIGEST, CODEC_RAW)))
      .to.emit(ledger, "BillRecorded")
      .withArgs(1n, producer.address, purchaser.address, DIGEST, CODEC_RAW, paid, refund);
    await book.expectHeld(cost, [[producer, paid], [purchaser, refund], [operator, 0n]]);
    await book.send(producer, ledger.connect(producer).withdraw());
    await book.send(purchaser, ledger.connect(purchaser).withdraw());
    await book.expectHeld(0n, [[producer, 0n], [purchaser, 0n]]);
    await book.expectNet(producer, paid);
    await book.expectNet(purchaser, -paid);
    await book.expectNet(operator, 0n);
    await book.expectNet(meter, 0n);
  });

  it("an expired dispute counts as upheld: the purchaser gets that transfer back", async function () {
    const f = await loadFixture(openOffers);
    const { ledger, producer, purchaser, meter, stranger } = f;
    const book = await Ledgerbook.open(f);
    const cost = QUANTITY * RATE;
    const bought = await book.send(purchaser, ledger.connect(purchaser).purchase(1n, QUANTITY, { value: cost }));
    const t = (await blockTime(bought)) + 10n;
    await time.increase(600);
    await book.send(meter, ledger.connect(meter).recordTransfer(1n, meter.address, 120n, t, t + 100n, "m"));
    const recorded = await book.send(
      producer,
      ledger.connect(producer).recordTransfer(1n, meter.address, 80n, t + 100n, t + 200n, "m"),
    );
    await book.send(purchaser, ledger.connect(purchaser).disputeTransfer(1n, 1n, 9));
    await book.send(purchaser, ledger.connect(purchaser).acknowledgeTransfer(1n, 0n));

    // The operator's time runs out disputeWindow + resolutionWindow after the disputed transfer was recorded.
    const deadline = (await blockTime(recorded)) + DISPUTE_WINDOW + RESOLUTION_WINDOW;
    await time.setNextBlockTimestamp(deadline);
    await expect(ledger.connect(stranger).expireDispute(1n, 1n))
      .to.be.revertedWithCustomError(ledger, "ResolutionWindowOpen")
      .withArgs(1n, 1n, deadline);
    await time.setNextBlockTimestamp(deadline + 1n);
    await expect(book.send(stranger, ledger.connect(stranger).expireDispute(1n, 1n)))
      .to.emit(ledger, "DisputeResolved")
      .withArgs(1n, producer.address, purchaser.address, 1n, true, true);

    const paid = 120n * RATE;
    await expect(book.send(meter, ledger.connect(meter).recordBill(1n, DIGEST, CODEC_RAW)))
      .to.emit(ledger, "BillRecorded")
      .withArgs(1n, producer.address, purchaser.address, DIGEST, CODEC_RAW, paid, cost - paid);
    expect(await counts(ledger)).to.deep.equal(
      expected({ offers: 2n, purchases: 1n, transfers: 2n, acknowledgements: 1n, bills: 1n }),
    );
    await book.send(producer, ledger.connect(producer).withdraw());
    await book.send(purchaser, ledger.connect(purchaser).withdraw());
    await book.expectHeld(0n, [[producer, 0n], [purchaser, 0n], [stranger, 0n]]);
    await book.expectNet(producer, paid);
    await book.expectNet(purchaser, -paid);
    await book.expectNet(stranger, 0n);
  });

  it("a purchase never delivered is closed by its purchaser one second after the billing deadline and fully refunded", async function () {
    const f = await loadFixture(openOffers);
    const { ledger, producer, purchaser } = f;
    const book = await Ledgerbook.open(f);
    const cost = QUANTITY * RATE;
    const bought = await book.send(purchaser, ledger.connect(purchaser).purchase(1n, QUANTITY, { value: cost }));
    const deadline = (await blockTime(bought)) + BILLING_TIMEOUT;
    await time.setNextBlockTimestamp(deadline);
    await expect(ledger.connect(purchaser).closePurchase(1n))
      .to.be.revertedWithCustomError(ledger, "BillingDeadlineNotReached")
      .withArgs(1n, deadline);
    await time.setNextBlockTimestamp(deadline + 1n);
    await expect(book.send(purchaser, ledger.connect(purchaser).closePurchase(1n)))
      .to.emit(ledger, "PurchaseClosed")
      .withArgs(1n, producer.address, purchaser.address, 0n, cost);
    expect(await counts(ledger)).to.deep.equal(expected({ offers: 2n, purchases: 1n }));
    await book.expectHeld(cost, [[producer, 0n], [purchaser, cost]]);
    await expect(book.send(purchaser, ledger.connect(purchaser).withdraw()))
      .to.emit(ledger, "Withdrawn")
      .withArgs(purchaser.address, cost);
    await expect(ledger.connect(producer).withdraw())
      .to.be.revertedWithCustomError(ledger, "NothingToWithdraw")
      .withArgs(producer.address);
    await book.expectHeld(0n, [[producer, 0n], [purchaser, 0n]]);
    await book.expectNet(purchaser, 0n);
    await book.expectNet(producer, 0n);
  });

  it("a delivered purchase left unbilled is closed one second after purchasedAt + billingTimeout, whatever was recorded since, and settled like a bill", async function () {
    const f = await loadFixture(openOffers);
    const { ledger, producer, purchaser, meter } = f;
    const book = await Ledgerbook.open(f);
    const cost = QUANTITY * RATE;
    const bought = await book.send(purchaser, ledger.connect(purchaser).purchase(1n, QUANTITY, { value: cost }));
    const t = (await blockTime(bought)) + 10n;
    await time.increase(600);
    const recorded = await book.send(meter, ledger.connect(meter).recordTransfer(1n, meter.address, 400n, t, t + 100n, "m"));
    await book.send(purchaser, ledger.connect(purchaser).acknowledgeTransfer(1n, 0n));
    const recordedAt = await blockTime(recorded);
    expect((await ledger.purchaseOf(1n)).lastRecordedAt).to.equal(recordedAt);
    const deadline = (await blockTime(bought)) + BILLING_TIMEOUT;
    expect(deadline).to.be.lessThan(recordedAt + BILLING_TIMEOUT);
    await time.setNextBlockTimestamp(deadline);
    await expect(ledger.connect(purchaser).closePurchase(1n))
      .to.be.revertedWithCustomError(ledger, "BillingDeadlineNotReached")
      .withArgs(1n, deadline);
    await time.setNextBlockTimestamp(deadline + 1n);
    const paid = 400n * RATE;
    await expect(book.send(purchaser, ledger.connect(purchaser).closePurchase(1n)))
      .to.emit(ledger, "PurchaseClosed")
      .withArgs(1n, producer.address, purchaser.address, paid, cost - paid);
    expect(await counts(ledger)).to.deep.equal(
      expected({ offers: 2n, purchases: 1n, transfers: 1n, acknowledgements: 1n }),
    );
    await book.send(producer, ledger.connect(producer).withdraw());
    await book.send(purchaser, ledger.connect(purchaser).withdraw());
    await book.expectHeld(0n, [[producer, 0n], [purchaser, 0n]]);
    await book.expectNet(producer, paid);
    await book.expectNet(purchaser, -paid);
  });

  it("interleaved purchases of two offers: the contract always holds exactly escrow plus balances", async function () {
    const f = await loadFixture(openOffers);
    const { ledger, producer, producer2, purchaser, purchaser2, meter, meter2 } = f;
    const book = await Ledgerbook.open(f);
    const cost1 = 100n * RATE;
    const cost2 = 40n * RATE_2;
    const b1 = await book.send(purchaser, ledger.connect(purchaser).purchase(1n, 100n, { value: cost1 }));
    await book.send(purchaser2, ledger.connect(purchaser2).purchase(2n, 40n, { value: cost2 }));
    await book.expectHeld(cost1 + cost2, []);
    const t = (await blockTime(b1)) + 5n;
    await time.increase(600);
    await book.send(meter2, ledger.connect(meter2).recordTransfer(2n, meter2.address, 40n, t, t + 10n, "m2"));
    const recorded = await book.send(meter, ledger.connect(meter).recordTransfer(1n, meter.address, 70n, t, t + 10n, "m1"));
    await book.send(purchaser2, ledger.connect(purchaser2).acknowledgeTransfer(2n, 0n));
    await expect(book.send(producer2, ledger.connect(producer2).recordBill(2n, DIGEST, CODEC_RAW)))
      .to.emit(ledger, "BillRecorded")
      .withArgs(2n, producer2.address, purchaser2.address, DIGEST, CODEC_RAW, cost2, 0n);
    await book.expectHeld(cost1 + cost2, [[producer2, cost2], [producer, 0n]]);
    await book.send(producer2, ledger.connect(producer2).withdraw());
    await book.expectHeld(cost1, [[producer2, 0n]]);

    // Purchase 1's transfer is never acknowledged: billable once the dispute window from its recording has passed.
    const windowEnd = (await blockTime(recorded)) + DISPUTE_WINDOW;
    await time.setNextBlockTimestamp(windowEnd);
    await expect(ledger.connect(meter).recordBill(1n, DIGEST_2, CODEC_RAW))
      .to.be.revertedWithCustomError(ledger, "AcknowledgementsPending")
      .withArgs(1n, 1n, windowEnd);
    await time.setNextBlockTimestamp(windowEnd + 1n);
    await book.send(meter, ledger.connect(meter).recordBill(1n, DIGEST_2, CODEC_RAW));
    await book.expectHeld(cost1, [[producer, 70n * RATE], [purchaser, 30n * RATE]]);
    await book.send(producer, ledger.connect(producer).withdraw());
    await book.send(purchaser, ledger.connect(purchaser).withdraw());
    await book.expectHeld(0n, [[producer, 0n], [purchaser, 0n], [producer2, 0n], [purchaser2, 0n]]);
    expect(await counts(ledger)).to.deep.equal(
      expected({ offers: 2n, purchases: 2n, transfers: 2n, acknowledgements: 1n, bills: 2n }),
    );
    await book.expectNet(producer, 70n * RATE);
    await book.expectNet(purchaser, -70n * RATE);
    await book.expectNet(producer2, cost2);
    await book.expectNet(purchaser2, -cost2);
    await book.expectNet(meter, 0n);
    await book.expectNet(meter2, 0n);
  });
});
