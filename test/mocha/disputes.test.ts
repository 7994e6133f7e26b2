import { expect } from "chai";
import {
  AMOUNT_0,
  AMOUNT_1,
  BILLING_TIMEOUT,
  CODEC_RAW,
  DIGEST,
  DISPUTE_WINDOW,
  PurchaseStatus,
  RESOLUTION_WINDOW,
  TransferState,
  counts,
  disputed,
  expectRejected,
  expected,
  networkHelpers,
  plain,
  time,
  transferred,
} from "./fixtures.js";
import type { Transferred } from "./fixtures.js";

const { loadFixture } = networkHelpers;

/** Purchase 1's dispute-related fields. */
async function disputeFields(f: Transferred) {
  const p = await f.ledger.purchaseOf(1n);
  return {
    delivered: p.delivered,
    withheld: p.withheld,
    pendingCount: p.pendingCount,
    openDisputes: p.openDisputes,
    status: p.status,
  };
}

async function states(f: Transferred): Promise<bigint[]> {
  return [(await f.ledger.transferOf(1n, 0n)).state, (await f.ledger.transferOf(1n, 1n)).state];
}

/** Acknowledges both transfers and bills purchase 1, so that it is settled. */
async function billAll(f: Transferred): Promise<void> {
  await f.ledger.connect(f.purchaser).acknowledgeTransfer(1n, 0n);
  await f.ledger.connect(f.purchaser).acknowledgeTransfer(1n, 1n);
  await f.ledger.connect(f.producer).recordBill(1n, DIGEST, CODEC_RAW);
}

describe("GridLedger: acknowledgements and disputes", function () {
  describe("acknowledgeTransfer", function () {
    it("acknowledges index 0 (inline): TransferAcknowledged, state, pending count and record count; index 1 untouched", async function () {
      const f = await loadFixture(transferred);
      const { ledger, producer, purchaser } = f;
      await expect(ledger.connect(purchaser).acknowledgeTransfer(1n, 0n))
        .to.emit(ledger, "TransferAcknowledged")
        .withArgs(1n, producer.address, purchaser.address, 0n);
      expect(await states(f)).to.deep.equal([TransferState.Acknowledged, TransferState.Pending]);
      expect(await disputeFields(f)).to.deep.equal({
        delivered: AMOUNT_0 + AMOUNT_1,
        withheld: 0n,
        pendingCount: 1n,
        openDisputes: 0n,
        status: PurchaseStatus.Open,
      });
      expect(await counts(ledger)).to.deep.equal(
        expected({ offers: 2n, purchases: 1n, transfers: 2n, acknowledgements: 1n }),
      );
    });

    it("acknowledges index 1 (mapping) without touching index 0, then both", async function () {
      const f = await loadFixture(transferred);
      const { ledger, producer, purchaser } = f;
      await expect(ledger.connect(purchaser).acknowledgeTransfer(1n, 1n))
        .to.emit(ledger, "TransferAcknowledged")
        .withArgs(1n, producer.address, purchaser.address, 1n);
      expect(await states(f)).to.deep.equal([TransferState.Pending, TransferState.Acknowledged]);
      expect(plain(await ledger.transferOf(1n, 1n))).to.deep.equal({
        amount: AMOUNT_1,
        recordedAt: f.recordedAt1,
        state: TransferState.Acknowledged,
      });
      await ledger.connect(purchaser).acknowledgeTransfer(1n, 0n);
      expect(await states(f)).to.deep.equal([TransferState.Acknowledged, TransferState.Acknowledged]);
      expect((await disputeFields(f)).pendingCount).to.equal(0n);
      expect((await counts(ledger)).acknowledgements).to.equal(2n);
    });

    it("rejects anyone but the purchaser", async function () {
      const f = await loadFixture(transferred);
      for (const account of [f.producer, f.meter, f.stranger, f.purchaser2, f.operator]) {
        await expectRejected(f, () => f.ledger.connect(account).acknowledgeTransfer(1n, 0n), "NotPurchaser", [
          1n,
          account.address,
        ]);
      }
    });

    it("rejects an unknown purchase and an unknown transfer", async function () {
      const f = await loadFixture(transferred);
      await expectRejected(f, () => f.ledger.connect(f.purchaser).acknowledgeTransfer(2n, 0n), "UnknownPurchase", [2n]);
      await expectRejected(f, () => f.ledger.connect(f.purchaser).acknowledgeTransfer(1n, 2n), "UnknownTransfer", [1n, 2n]);
    });

    it("rejects a transfer that is not pending: acknowledged, disputed, upheld, rejected", async function () {
      const f = await loadFixture(transferred);
      const { ledger, purchaser, operator } = f;
      const ack = (index: bigint) => () => ledger.connect(purchaser).acknowledgeTransfer(1n, index);
      await ledger.connect(purchaser).acknowledgeTransfer(1n, 0n);
      await expectRejected(f, ack(0n), "WrongTransferState", [1n, 0n, TransferState.Acknowledged]);
      await ledger.connect(purchaser).disputeTransfer(1n, 1n, 1);
      await expectRejected(f, ack(1n), "WrongTransferState", [1n, 1n, TransferState.Disputed]);
      await ledger.connect(operator).resolveDispute(1n, 1n, true);
      await expectRejected(f, ack(1n), "WrongTransferState", [1n, 1n, TransferState.Upheld]);

      const g = await loadFixture(disputed);
      await g.ledger.connect(g.operator).resolveDispute(1n, 0n, false);
      await expectRejected(
        g,
        () => g.ledger.connect(g.purchaser).acknowledgeTransfer(1n, 0n),
        "WrongTransferState",
        [1n, 0n, TransferState.Rejected],
      );
    });

    it("rejects a billed purchase and a closed one with PurchaseSettled", async function () {
      const f = await loadFixture(transferred);
      const { ledger, purchaser, producer, recordedAt1 } = f;
      await ledger.connect(purchaser).acknowledgeTransfer(1n, 0n);
      await time.increaseTo(recordedAt1 + DISPUTE_WINDOW + 1n);
      await ledger.connect(producer).recordBill(1n, DIGEST, CODEC_RAW);
      await expectRejected(f, () => ledger.connect(purchaser).acknowledgeTransfer(1n, 1n), "PurchaseSettled", [
        1n,
        PurchaseStatus.Billed,
      ]);

      const g = await loadFixture(transferred);
      await time.increaseTo(g.purchasedAt + BILLING_TIMEOUT + 1n);
      await g.ledger.connect(g.purchaser).closePurchase(1n);
      await expectRejected(g, () => g.ledger.connect(g.purchaser).acknowledgeTransfer(1n, 0n), "PurchaseSettled", [
        1n,
        PurchaseStatus.Closed,
      ]);
    });
  });

  describe("disputeTransfer", function () {
    it("disputes index 0 (inline): TransferDisputed with the reason, state, counts moved, no acknowledgement counted", async function () {
      const f = await loadFixture(transferred);
      const { ledger, producer, purchaser } = f;
      await expect(ledger.connect(purchaser).disputeTransfer(1n, 0n, 3))
        .to.emit(ledger, "TransferDisputed")
        .withArgs(1n, producer.address, purchaser.address, 0n, 3);
      expect(await states(f)).to.deep.equal([TransferState.Disputed, TransferState.Pending]);
      expect(await disputeFields(f)).to.deep.equal({
        delivered: AMOUNT_0 + AMOUNT_1,
        withheld: 0n,
        pendingCount: 1n,
        openDisputes: 1n,
        status: PurchaseStatus.Open,
      });
      expect(await counts(ledger)).to.deep.equal(expected({ offers: 2n, purchases: 1n, transfers: 2n }));
    });

    it("disputes index 1 (mapping) with reason 255 without touching index 0", async function () {
      const f = await loadFixture(transferred);
      const { ledger, producer, purchaser } = f;
      await expect(ledger.connect(purchaser).disputeTransfer(1n, 1n, 255))
        .to.emit(ledger, "TransferDisputed")
        .withArgs(1n, producer.address, purchaser.address, 1n, 255);
      expect(await states(f)).to.deep.equal([TransferState.Pending, TransferState.Disputed]);
      expect((await disputeFields(f)).openDisputes).to.equal(1n);
    });

    it("disputes index 0 at exactly recordedAt + disputeWindow, and refuses one second later", async function () {
      const f = await loadFixture(transferred);
      const { ledger, purchaser, recordedAt0 } = f;
      await time.setNextBlockTimestamp(recordedAt0 + DISPUTE_WINDOW);
      await expect(ledger.connect(purchaser).disputeTransfer(1n, 0n, 2)).to.emit(ledger, "TransferDisputed");
      expect(await time.latest()).to.equal(Number(recordedAt0 + DISPUTE_WINDOW));

      const g = await loadFixture(transferred);
      await time.setNextBlockTimestamp(g.recordedAt0 + DISPUTE_WINDOW + 1n);
      await expectRejected(g, () => g.ledger.connect(g.purchaser).disputeTransfer(1n, 0n, 2), "DisputeWindowClosed", [
        1n,
        0n,
        g.recordedAt0 + DISPUTE_WINDOW,
      ]);
    });

    it("disputes index 1 at exactly recordedAt + disputeWindow, and refuses one second later", async function () {
      const f = await loadFixture(transferred);
      await time.setNextBlockTimestamp(f.recordedAt1 + DISPUTE_WINDOW);
      await expect(f.ledger.connect(f.purchaser).disputeTransfer(1n, 1n, 2)).to.emit(f.ledger, "TransferDisputed");
      expect(await time.latest()).to.equal(Number(f.recordedAt1 + DISPUTE_WINDOW));

      const g = await loadFixture(transferred);
      await time.setNextBlockTimestamp(g.recordedAt1 + DISPUTE_WINDOW + 1n);
      await expectRejected(g, () => g.ledger.connect(g.purchaser).disputeTransfer(1n, 1n, 2), "DisputeWindowClosed", [
        1n,
        1n,
        g.recordedAt1 + DISPUTE_WINDOW,
      ]);
    });

    it("rejects a zero reason", async function () {
      const f = await loadFixture(transferred);
      await expectRejected(f, () => f.ledger.connect(f.purchaser).disputeTransfer(1n, 0n, 0), "ZeroReason");
    });

    it("rejects anyone but the purchaser", async function () {
      const f = await loadFixture(transferred);
      for (const account of [f.producer, f.meter, f.stranger, f.purchaser2, f.operator]) {
        await expectRejected(f, () => f.ledger.connect(account).disputeTransfer(1n, 0n, 1), "NotPurchaser", [
          1n,
          account.address,
        ]);
      }
    });

    it("rejects an unknown purchase and an unknown transfer", async function () {
      const f = await loadFixture(transferred);
      await expectRejected(f, () => f.ledger.connect(f.purchaser).disputeTransfer(2n, 0n, 1), "UnknownPurchase", [2n]);
      await expectRejected(f, () => f.ledger.connect(f.purchaser).disputeTransfer(1n, 2n, 1), "UnknownTransfer", [1n, 2n]);
    });

    it("rejects a transfer that is not pending: acknowledged, disputed, upheld, rejected", async function () {
      const f = await loadFixture(transferred);
      const { ledger, purchaser, operator } = f;
      const dispute = (index: bigint) => () => ledger.connect(purchaser).disputeTransfer(1n, index, 1);
      await ledger.connect(purchaser).acknowledgeTransfer(1n, 0n);
      await expectRejected(f, dispute(0n), "WrongTransferState", [1n, 0n, TransferState.Acknowledged]);
      await ledger.connect(purchaser).disputeTransfer(1n, 1n, 1);
      await expectRejected(f, dispute(1n), "WrongTransferState", [1n, 1n, TransferState.Disputed]);
      await ledger.connect(operator).resolveDispute(1n, 1n, false);
      await expectRejected(f, dispute(1n), "WrongTransferState", [1n, 1n, TransferState.Rejected]);

      const g = await loadFixture(disputed);
      await g.ledger.connect(g.operator).resolveDispute(1n, 0n, true);
      await expectRejected(g, () => g.ledger.connect(g.purchaser).disputeTransfer(1n, 0n, 1), "WrongTransferState", [
        1n,
        0n,
        TransferState.Upheld,
      ]);
    });

    it("rejects a billed purchase with PurchaseSettled", async function () {
      const f = await loadFixture(transferred);
      await billAll(f);
      await expectRejected(f, () => f.ledger.connect(f.purchaser).disputeTransfer(1n, 0n, 1), "PurchaseSettled", [
        1n,
        PurchaseStatus.Billed,
      ]);
    });
  });

  describe("resolveDispute", function () {
    it("upholds index 0 (inline): DisputeResolved(upheld, not expired), Upheld, its amount withheld", async function () {
      const f = await loadFixture(disputed);
      const { ledger, operator, producer, purchaser } = f;
      await expect(ledger.connect(operator).resolveDispute(1n, 0n, true))
        .to.emit(ledger, "DisputeResolved")
        .withArgs(1n, producer.address, purchaser.address, 0n, true, false);
      expect(await states(f)).to.deep.equal([TransferState.Upheld, TransferState.Disputed]);
      expect(await disputeFields(f)).to.deep.equal({
        delivered: AMOUNT_0 + AMOUNT_1,
        withheld: AMOUNT_0,
        pendingCount: 0n,
        openDisputes: 1n,
        status: PurchaseStatus.Open,
      });
    });

    it("rejects the dispute on index 1 (mapping): Rejected, nothing withheld", async function () {
      const f = await loadFixture(disputed);
      const { ledger, operator, producer, purchaser } = f;
      await expect(ledger.connect(operator).resolveDispute(1n, 1n, false))
        .to.emit(ledger, "DisputeResolved")
        .withArgs(1n, producer.address, purchaser.address, 1n, false, false);
      expect(await states(f)).to.deep.equal([TransferState.Disputed, TransferState.Rejected]);
      expect((await disputeFields(f)).withheld).to.equal(0n);
      expect((await disputeFields(f)).openDisputes).to.equal(1n);
    });

    it("upholds index 1 (mapping): its own amount is withheld", async function () {
      const f = await loadFixture(disputed);
      await f.ledger.connect(f.operator).resolveDispute(1n, 1n, true);
      expect((await disputeFields(f)).withheld).to.equal(AMOUNT_1);
      await f.ledger.connect(f.operator).resolveDispute(1n, 0n, true);
      expect((await disputeFields(f)).withheld).to.equal(AMOUNT_0 + AMOUNT_1);
      expect((await disputeFields(f)).openDisputes).to.equal(0n);
    });

    it("resolves at exactly recordedAt + disputeWindow + resolutionWindow, and refuses one second later (index 0)", async function () {
      const f = await loadFixture(disputed);
      const deadline = f.recordedAt0 + DISPUTE_WINDOW + RESOLUTION_WINDOW;
      await time.setNextBlockTimestamp(deadline);
      await expect(f.ledger.connect(f.operator).resolveDispute(1n, 0n, false)).to.emit(f.ledger, "DisputeResolved");

      const g = await loadFixture(disputed);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expectRejected(g, () => g.ledger.connect(g.operator).resolveDispute(1n, 0n, false), "ResolutionWindowClosed", [
        1n,
        0n,
        deadline,
      ]);
    });

    it("resolves at exactly recordedAt + disputeWindow + resolutionWindow, and refuses one second later (index 1)", async function () {
      const f = await loadFixture(disputed);
      const deadline = f.recordedAt1 + DISPUTE_WINDOW + RESOLUTION_WINDOW;
      await time.setNextBlockTimestamp(deadline);
      await expect(f.ledger.connect(f.operator).resolveDispute(1n, 1n, true)).to.emit(f.ledger, "DisputeResolved");

      const g = await loadFixture(disputed);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expectRejected(g, () => g.ledger.connect(g.operator).resolveDispute(1n, 1n, true), "ResolutionWindowClosed", [
        1n,
        1n,
        deadline,
      ]);
    });

    it("rejects anyone but the operator, including producer, purchaser and meter", async function () {
      const f = await loadFixture(disputed);
      for (const account of [f.producer, f.purchaser, f.meter, f.stranger, f.newOperator]) {
        await expectRejected(f, () => f.ledger.connect(account).resolveDispute(1n, 0n, true), "NotOperator", [
          account.address,
        ]);
      }
    });

    it("follows the operator role: after a transfer only the new operator resolves", async function () {
      const f = await loadFixture(disputed);
      const { ledger, operator, newOperator } = f;
      await ledger.connect(operator).transferOperator(newOperator.address);
      await expectRejected(f, () => ledger.connect(operator).resolveDispute(1n, 0n, true), "NotOperator", [operator.address]);
      await expect(ledger.connect(newOperator).resolveDispute(1n, 0n, true)).to.emit(ledger, "DisputeResolved");
    });

    it("rejects a transfer that is not disputed: pending, acknowledged, upheld, rejected", async function () {
      const f = await loadFixture(transferred);
      const { ledger, operator, purchaser } = f;
      await expectRejected(f, () => ledger.connect(operator).resolveDispute(1n, 0n, true), "WrongTransferState", [
        1n,
        0n,
        TransferState.Pending,
      ]);
      await ledger.connect(purchaser).acknowledgeTransfer(1n, 0n);
      await expectRejected(f, () => ledger.connect(operator).resolveDispute(1n, 0n, true), "WrongTransferState", [
        1n,
        0n,
        TransferState.Acknowledged,
      ]);

      const g = await loadFixture(disputed);
      await g.ledger.connect(g.operator).resolveDispute(1n, 0n, true);
      await g.ledger.connect(g.operator).resolveDispute(1n, 1n, false);
      await expectRejected(g, () => g.ledger.connect(g.operator).resolveDispute(1n, 0n, false), "WrongTransferState", [
        1n,
        0n,
        TransferState.Upheld,
      ]);
      await expectRejected(g, () => g.ledger.connect(g.operator).resolveDispute(1n, 1n, true), "WrongTransferState", [
        1n,
        1n,
        TransferState.Rejected,
      ]);
    });

    it("rejects an unknown purchase, an unknown transfer and a billed purchase", async function () {
      const f = await loadFixture(transferred);
      const { ledger, operator } = f;
      await expectRejected(f, () => ledger.connect(operator).resolveDispute(2n, 0n, true), "UnknownPurchase", [2n]);
      await expectRejected(f, () => ledger.connect(operator).resolveDispute(1n, 2n, true), "UnknownTransfer", [1n, 2n]);
      await billAll(f);
      await expectRejected(f, () => ledger.connect(operator).resolveDispute(1n, 0n, true), "PurchaseSettled", [
        1n,
        PurchaseStatus.Billed,
      ]);
    });
  });

  describe("expireDispute", function () {
    it("refuses at exactly the resolution deadline, then anyone expires it one second later as upheld", async function () {
      const f = await loadFixture(disputed);
      const { ledger, stranger, producer, purchaser, recordedAt0 } = f;
      const deadline = recordedAt0 + DISPUTE_WINDOW + RESOLUTION_WINDOW;
      await time.setNextBlockTimestamp(deadline);
      await expectRejected(f, () => ledger.connect(stranger).expireDispute(1n, 0n), "ResolutionWindowOpen", [
        1n,
        0n,
        deadline,
      ]);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(ledger.connect(stranger).expireDispute(1n, 0n))
        .to.emit(ledger, "DisputeResolved")
        .withArgs(1n, producer.address, purchaser.address, 0n, true, true);
      expect(await states(f)).to.deep.equal([TransferState.Upheld, TransferState.Disputed]);
      expect(await disputeFields(f)).to.deep.equal({
        delivered: AMOUNT_0 + AMOUNT_1,
        withheld: AMOUNT_0,
        pendingCount: 0n,
        openDisputes: 1n,
        status: PurchaseStatus.Open,
      });
    });

    it("expires index 1 (mapping) from its own deadline, by the purchaser", async function () {
      const f = await loadFixture(disputed);
      const { ledger, purchaser, producer, recordedAt1 } = f;
      const deadline = recordedAt1 + DISPUTE_WINDOW + RESOLUTION_WINDOW;
      await time.setNextBlockTimestamp(deadline);
      await expectRejected(f, () => ledger.connect(purchaser).expireDispute(1n, 1n), "ResolutionWindowOpen", [
        1n,
        1n,
        deadline,
      ]);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(ledger.connect(purchaser).expireDispute(1n, 1n))
        .to.emit(ledger, "DisputeResolved")
        .withArgs(1n, producer.address, purchaser.address, 1n, true, true);
      expect(await states(f)).to.deep.equal([TransferState.Disputed, TransferState.Upheld]);
      expect((await disputeFields(f)).withheld).to.equal(AMOUNT_1);
      expect((await disputeFields(f)).openDisputes).to.equal(1n);
    });

    it("refuses long before the deadline (right after the dispute)", async function () {
      const f = await loadFixture(disputed);
      await expectRejected(f, () => f.ledger.connect(f.producer).expireDispute(1n, 0n), "ResolutionWindowOpen", [
        1n,
        0n,
        f.recordedAt0 + DISPUTE_WINDOW + RESOLUTION_WINDOW,
      ]);
    });

    it("leaves an expired dispute closed to the operator", async function () {
      const f = await loadFixture(disputed);
      await time.increaseTo(f.recordedAt1 + DISPUTE_WINDOW + RESOLUTION_WINDOW + 1n);
      await f.ledger.connect(f.stranger).expireDispute(1n, 0n);
      await expectRejected(f, () => f.ledger.connect(f.operator).resolveDispute(1n, 0n, false), "WrongTransferState", [
        1n,
        0n,
        TransferState.Upheld,
      ]);
      await expectRejected(f, () => f.ledger.connect(f.operator).resolveDispute(1n, 1n, false), "ResolutionWindowClosed", [
        1n,
        1n,
        f.recordedAt1 + DISPUTE_WINDOW + RESOLUTION_WINDOW,
      ]);
      await expectRejected(f, () => f.ledger.connect(f.stranger).expireDispute(1n, 0n), "WrongTransferState", [
        1n,
        0n,
        TransferState.Upheld,
      ]);
    });

    it("rejects a transfer that is not disputed, and a dispute the operator resolved", async function () {
      const f = await loadFixture(transferred);
      await time.increaseTo(f.recordedAt1 + DISPUTE_WINDOW + RESOLUTION_WINDOW + 1n);
      await expectRejected(f, () => f.ledger.connect(f.stranger).expireDispute(1n, 0n), "WrongTransferState", [
        1n,
        0n,
        TransferState.Pending,
      ]);

      const g = await loadFixture(disputed);
      await g.ledger.connect(g.operator).resolveDispute(1n, 1n, false);
      await time.increaseTo(g.recordedAt1 + DISPUTE_WINDOW + RESOLUTION_WINDOW + 1n);
      await expectRejected(g, () => g.ledger.connect(g.stranger).expireDispute(1n, 1n), "WrongTransferState", [
        1n,
        1n,
        TransferState.Rejected,
      ]);
    });

    it("rejects an unknown purchase, an unknown transfer and a billed purchase", async function () {
      const f = await loadFixture(transferred);
      await expectRejected(f, () => f.ledger.connect(f.stranger).expireDispute(2n, 0n), "UnknownPurchase", [2n]);
      await expectRejected(f, () => f.ledger.connect(f.stranger).expireDispute(1n, 2n), "UnknownTransfer", [1n, 2n]);
      await billAll(f);
      await expectRejected(f, () => f.ledger.connect(f.stranger).expireDispute(1n, 0n), "PurchaseSettled", [
        1n,
        PurchaseStatus.Billed,
      ]);
    });
  });
});
