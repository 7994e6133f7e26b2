import { expect } from "chai";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import * as Digest from "multiformats/hashes/digest";
import { sha256 } from "multiformats/hashes/sha2";
import {
  AMOUNT_0,
  AMOUNT_1,
  BILLING_TIMEOUT,
  CODEC_DAG_PB,
  CODEC_RAW,
  COST,
  DIGEST,
  DIGEST_2,
  DISPUTE_WINDOW,
  DEVICE,
  PurchaseStatus,
  QUANTITY,
  TransferState,
  RATE,
  counts,
  disputed,
  ethers,
  expectRejected,
  expected,
  networkHelpers,
  purchased,
  sendAt,
  time,
  transferred,
} from "./fixtures.js";
import type { Transferred } from "./fixtures.js";

const { loadFixture } = networkHelpers;

const DELIVERED = AMOUNT_0 + AMOUNT_1;

async function acknowledgeBoth(f: Transferred): Promise<void> {
  await f.ledger.connect(f.purchaser).acknowledgeTransfer(1n, 0n);
  await f.ledger.connect(f.purchaser).acknowledgeTransfer(1n, 1n);
}

describe("GridLedger: bills and closing", function () {
  describe("recordBill", function () {
    it("bills by the producer: BillRecorded, status, bill block, bill count, balances credited, escrow kept", async function () {
      const f = await loadFixture(transferred);
      const { ledger, producer, purchaser } = f;
      await acknowledgeBoth(f);
      expect(await ledger.billBlockOf(1n)).to.equal(0n);
      const ether = await ethers.provider.getBalance(await ledger.getAddress());
      const tx = await ledger.connect(producer).recordBill(1n, DIGEST, CODEC_RAW);
      await expect(tx)
        .to.emit(ledger, "BillRecorded")
        .withArgs(1n, producer.address, purchaser.address, DIGEST, CODEC_RAW, DELIVERED * RATE, (QUANTITY - DELIVERED) * RATE);
      const receipt = (await tx.wait())!;
      expect(await ledger.billBlockOf(1n)).to.equal(BigInt(receipt.blockNumber));
      const p = await ledger.purchaseOf(1n);
      expect(p.status).to.equal(PurchaseStatus.Billed);
      expect(p.billBlock).to.equal(BigInt(receipt.blockNumber));
      expect(await ledger.balanceOf(producer.address)).to.equal(DELIVERED * RATE);
      expect(await ledger.balanceOf(purchaser.address)).to.equal((QUANTITY - DELIVERED) * RATE);
      expect(await ethers.provider.getBalance(await ledger.getAddress())).to.equal(ether);
      expect(ether).to.equal(COST);
      expect(await counts(ledger)).to.deep.equal(
        expected({ offers: 2n, purchases: 1n, transfers: 2n, acknowledgements: 2n, bills: 1n }),
      );
    });

    it("puts the bill's CID in the log of the block billBlockOf names, found by purchase and purchaser", async function () {
      const f = await loadFixture(transferred);
      const { ledger, meter, purchaser } = f;
      await acknowledgeBoth(f);
      const bill = new TextEncoder().encode(JSON.stringify({ purchase: 1, delivered: DELIVERED.toString() }));
      const cid = CID.createV1(raw.code, await sha256.digest(bill));
      const digest = ethers.hexlify(cid.multihash.digest);
      await ledger.connect(meter).recordBill(1n, digest, raw.code);

      const block = Number(await ledger.billBlockOf(1n));
      const logs = await ledger.queryFilter(ledger.filters.BillRecorded(1n, undefined, purchaser.address), block, block);
      expect(logs).to.have.length(1);
      const { cidDigest, cidCodec } = logs[0].args;
      const rebuilt = CID.createV1(Number(cidCodec), Digest.create(sha256.code, ethers.getBytes(cidDigest)));
      expect(rebuilt.toString()).to.equal(cid.toString());
    });

    it("bills by an active meter of the producer with the dag-pb codec", async function () {
      const f = await loadFixture(transferred);
      const { ledger, meter, producer, purchaser } = f;
      await acknowledgeBoth(f);
      await expect(ledger.connect(meter).recordBill(1n, DIGEST_2, CODEC_DAG_PB))
        .to.emit(ledger, "BillRecorded")
        .withArgs(1n, producer.address, purchaser.address, DIGEST_2, CODEC_DAG_PB, DELIVERED * RATE, (QUANTITY - DELIVERED) * RATE);
    });

    it("waits for unacknowledged transfers until one second after lastRecordedAt + disputeWindow, then counts them delivered", async function () {
      const f = await loadFixture(transferred);
      const { ledger, producer, purchaser, recordedAt1 } = f;
      expect((await ledger.purchaseOf(1n)).lastRecordedAt).to.equal(recordedAt1);
      const windowEnd = recordedAt1 + DISPUTE_WINDOW;
      await time.setNextBlockTimestamp(windowEnd);
      await expectRejected(f, () => ledger.connect(producer).recordBill(1n, DIGEST, CODEC_RAW), "AcknowledgementsPending", [
        1n,
        2n,
        windowEnd,
      ]);
      await time.setNextBlockTimestamp(windowEnd + 1n);
      await expect(ledger.connect(producer).recordBill(1n, DIGEST, CODEC_RAW))
        .to.emit(ledger, "BillRecorded")
        .withArgs(1n, producer.address, purchaser.address, DIGEST, CODEC_RAW, DELIVERED * RATE, (QUANTITY - DELIVERED) * RATE);
      expect((await counts(ledger)).acknowledgements).to.equal(0n);
    });

    it("measures the wait from the purchase's last recorded transfer, even when only an earlier transfer is pending", async function () {
      const f = await loadFixture(transferred);
      const { ledger, producer, purchaser, recordedAt0, recordedAt1 } = f;
      await ledger.connect(purchaser).acknowledgeTransfer(1n, 1n);
      // Transfer 0's own window is over, but the last recording's is not.
      await time.setNextBlockTimestamp(recordedAt0 + DISPUTE_WINDOW + 1n);
      await expectRejected(f, () => ledger.connect(producer).recordBill(1n, DIGEST, CODEC_RAW), "AcknowledgementsPending", [
        1n,
        1n,
        recordedAt1 + DISPUTE_WINDOW,
      ]);
      await time.setNextBlockTimestamp(recordedAt1 + DISPUTE_WINDOW + 1n);
      await expect(ledger.connect(producer).recordBill(1n, DIGEST, CODEC_RAW)).to.emit(ledger, "BillRecorded");
    });

    it("bills right away once every transfer is acknowledged, before any window has passed", async function () {
      const f = await loadFixture(transferred);
      await acknowledgeBoth(f);
      expect(BigInt(await time.latest())).to.be.lessThan(f.recordedAt0 + DISPUTE_WINDOW);
      await expect(f.ledger.connect(f.producer).recordBill(1n, DIGEST, CODEC_RAW)).to.emit(f.ledger, "BillRecorded");
    });

    it("rejects a zero digest and codecs other than 0x55 and 0x70", async function () {
      const f = await loadFixture(transferred);
      await acknowledgeBoth(f);
      const bill = (digest: string, codec: number) => () => f.ledger.connect(f.producer).recordBill(1n, digest, codec);
      await expectRejected(f, bill(ethers.ZeroHash, CODEC_RAW), "ZeroDigest");
      for (const codec of [0, 0x54, 0x56, 0x71, 0x0129, 0xffff]) {
        await expectRejected(f, bill(DIGEST, codec), "UnsupportedCodec", [codec]);
      }
    });

    it("rejects a purchase with no transfer", async function () {
      const f = await loadFixture(purchased);
      await expectRejected(f, () => f.ledger.connect(f.producer).recordBill(1n, DIGEST, CODEC_RAW), "NoTransfers", [1n]);
    });

    it("rejects a purchase with open disputes until every one is resolved", async function () {
      const f = await loadFixture(disputed);
      const { ledger, producer, operator, purchaser } = f;
      const bill = () => ledger.connect(producer).recordBill(1n, DIGEST, CODEC_RAW);
      await time.increaseTo(f.recordedAt1 + DISPUTE_WINDOW + 1n);
      await expectRejected(f, bill, "DisputesOpen", [1n, 2n]);
      await ledger.connect(operator).resolveDispute(1n, 0n, true);
      await expectRejected(f, bill, "DisputesOpen", [1n, 1n]);
      await ledger.connect(operator).resolveDispute(1n, 1n, false);
      await expect(bill())
        .to.emit(ledger, "BillRecorded")
        .withArgs(1n, producer.address, purchaser.address, DIGEST, CODEC_RAW, AMOUNT_1 * RATE, (QUANTITY - AMOUNT_1) * RATE);
    });

    it("rejects a second bill and a bill of a closed purchase with PurchaseSettled", async function () {
      const f = await loadFixture(transferred);
      await acknowledgeBoth(f);
      await f.ledger.connect(f.producer).recordBill(1n, DIGEST, CODEC_RAW);
      await expectRejected(f, () => f.ledger.connect(f.meter).recordBill(1n, DIGEST_2, CODEC_DAG_PB), "PurchaseSettled", [
        1n,
        PurchaseStatus.Billed,
      ]);

      const g = await loadFixture(transferred);
      await time.increaseTo(g.purchasedAt + BILLING_TIMEOUT + 1n);
      await g.ledger.connect(g.purchaser).closePurchase(1n);
      await expectRejected(g, () => g.ledger.connect(g.producer).recordBill(1n, DIGEST, CODEC_RAW), "PurchaseSettled", [
        1n,
        PurchaseStatus.Closed,
      ]);
    });

    it("rejects an unknown purchase", async function () {
      const f = await loadFixture(transferred);
      await expectRejected(f, () => f.ledger.connect(f.producer).recordBill(2n, DIGEST, CODEC_RAW), "UnknownPurchase", [2n]);
    });

    it("rejects anyone but the producer and its active meters", async function () {
      const f = await loadFixture(transferred);
      await acknowledgeBoth(f);
      for (const account of [f.purchaser, f.stranger, f.operator, f.producer2, f.meter2]) {
        await expectRejected(f, () => f.ledger.connect(account).recordBill(1n, DIGEST, CODEC_RAW), "NotProducerOrMeter", [
          1n,
          account.address,
        ]);
      }
      await f.ledger.connect(f.producer).revokeMeter(f.meter.address);
      await expectRejected(f, () => f.ledger.connect(f.meter).recordBill(1n, DIGEST, CODEC_RAW), "NotProducerOrMeter", [
        1n,
        f.meter.address,
      ]);
    });

    it("keeps the bill blocks of purchases apart", async function () {
      const f = await loadFixture(transferred);
      const { ledger, purchaser2 } = f;
      await ledger.connect(purchaser2).purchase(1n, 1n, { value: RATE });
      await acknowledgeBoth(f);
      await ledger.connect(f.producer).recordBill(1n, DIGEST, CODEC_RAW);
      expect(await ledger.billBlockOf(1n)).to.not.equal(0n);
      expect(await ledger.billBlockOf(2n)).to.equal(0n);
      expect((await ledger.purchaseOf(2n)).billBlock).to.equal(0n);
    });
  });

  describe("closePurchase", function () {
    it("closes a purchase without transfers one second after purchasedAt + billingTimeout, refunding it all", async function () {
      const f = await loadFixture(purchased);
      const { ledger, producer, purchaser, purchasedAt } = f;
      const deadline = purchasedAt + BILLING_TIMEOUT;
      await time.setNextBlockTimestamp(deadline);
      await expectRejected(f, () => ledger.connect(purchaser).closePurchase(1n), "BillingDeadlineNotReached", [1n, deadline]);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(ledger.connect(purchaser).closePurchase(1n))
        .to.emit(ledger, "PurchaseClosed")
        .withArgs(1n, producer.address, purchaser.address, 0n, COST);
      const p = await ledger.purchaseOf(1n);
      expect(p.status).to.equal(PurchaseStatus.Closed);
      expect(p.billBlock).to.equal(0n);
      expect(await ledger.billBlockOf(1n)).to.equal(0n);
      expect(await ledger.balanceOf(purchaser.address)).to.equal(COST);
      expect(await ledger.balanceOf(producer.address)).to.equal(0n);
      expect(await counts(ledger)).to.deep.equal(expected({ offers: 2n, purchases: 1n }));
    });

    it("closes a purchase with transfers one second after purchasedAt + billingTimeout, not after its last recording; pending transfers count as delivered", async function () {
      const f = await loadFixture(transferred);
      const { ledger, producer, purchaser, purchasedAt, recordedAt1 } = f;
      const deadline = purchasedAt + BILLING_TIMEOUT;
      expect((await ledger.purchaseOf(1n)).lastRecordedAt).to.equal(recordedAt1);
      expect(recordedAt1).to.be.greaterThan(purchasedAt);
      await time.setNextBlockTimestamp(deadline);
      await expectRejected(f, () => ledger.connect(purchaser).closePurchase(1n), "BillingDeadlineNotReached", [1n, deadline]);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(ledger.connect(purchaser).closePurchase(1n))
        .to.emit(ledger, "PurchaseClosed")
        .withArgs(1n, producer.address, purchaser.address, DELIVERED * RATE, (QUANTITY - DELIVERED) * RATE);
      expect(await ledger.balanceOf(producer.address)).to.equal(DELIVERED * RATE);
      expect(await ledger.balanceOf(purchaser.address)).to.equal((QUANTITY - DELIVERED) * RATE);
      expect(await counts(ledger)).to.deep.equal(expected({ offers: 2n, purchases: 1n, transfers: 2n }));
    });

    it("keeps the deadline where it is when the producer records 1 Wh a second before it: closed at purchasedAt + billingTimeout + 1, settled exactly", async function () {
      const f = await loadFixture(transferred);
      const { ledger, operator, producer, purchaser, meter, purchasedAt } = f;
      // Transfer 0 disputed and upheld (withheld), transfer 1 acknowledged.
      await ledger.connect(purchaser).disputeTransfer(1n, 0n, 3);
      await ledger.connect(operator).resolveDispute(1n, 0n, true);
      await ledger.connect(purchaser).acknowledgeTransfer(1n, 1n);
      const deadline = purchasedAt + BILLING_TIMEOUT;
      // The attack: a tiny transfer recorded just before the deadline, which used to push it billingTimeout further.
      await sendAt(deadline - 1n, () =>
        ledger.connect(producer).recordTransfer(1n, meter.address, 1n, deadline - 2n, deadline - 1n, DEVICE),
      );
      const p = await ledger.purchaseOf(1n);
      expect([p.lastRecordedAt, p.delivered, p.withheld, p.pendingCount]).to.deep.equal([
        deadline - 1n,
        DELIVERED + 1n,
        AMOUNT_0,
        1n,
      ]);
      await time.setNextBlockTimestamp(deadline);
      await expectRejected(f, () => ledger.connect(purchaser).closePurchase(1n), "BillingDeadlineNotReached", [1n, deadline]);
      await time.setNextBlockTimestamp(deadline + 1n);
      const paid = (DELIVERED + 1n - AMOUNT_0) * RATE;
      await expect(ledger.connect(purchaser).closePurchase(1n))
        .to.emit(ledger, "PurchaseClosed")
        .withArgs(1n, producer.address, purchaser.address, paid, COST - paid);
      expect(paid).to.equal((AMOUNT_1 + 1n) * RATE);
      expect(await ledger.balanceOf(producer.address)).to.equal(paid);
      expect(await ledger.balanceOf(purchaser.address)).to.equal(COST - paid);
      expect(await ethers.provider.getBalance(await ledger.getAddress())).to.equal(COST);
      expect((await ledger.purchaseOf(1n)).status).to.equal(PurchaseStatus.Closed);
    });

    it("counts a transfer still within its dispute window as delivered when the purchaser closes; it can no longer be disputed", async function () {
      const f = await loadFixture(purchased);
      const { ledger, producer, purchaser, meter, purchasedAt } = f;
      const deadline = purchasedAt + BILLING_TIMEOUT;
      const recordedAt = deadline - 60n;
      await sendAt(recordedAt, () =>
        ledger.connect(meter).recordTransfer(1n, meter.address, AMOUNT_0, recordedAt - 60n, recordedAt, DEVICE),
      );
      await time.setNextBlockTimestamp(deadline + 1n);
      expect(deadline + 1n).to.be.lessThanOrEqual(recordedAt + DISPUTE_WINDOW);
      await expect(ledger.connect(purchaser).closePurchase(1n))
        .to.emit(ledger, "PurchaseClosed")
        .withArgs(1n, producer.address, purchaser.address, AMOUNT_0 * RATE, (QUANTITY - AMOUNT_0) * RATE);
      const t = await ledger.transferOf(1n, 0n);
      expect([t.amount, t.recordedAt, t.state]).to.deep.equal([AMOUNT_0, recordedAt, TransferState.Pending]);
      expect(await ledger.balanceOf(producer.address)).to.equal(AMOUNT_0 * RATE);
      expect(await ledger.balanceOf(purchaser.address)).to.equal((QUANTITY - AMOUNT_0) * RATE);
      await expectRejected(f, () => ledger.connect(purchaser).disputeTransfer(1n, 0n, 1), "PurchaseSettled", [
        1n,
        PurchaseStatus.Closed,
      ]);
    });

    it("refunds upheld (and expired) disputes and pays rejected ones", async function () {
      const f = await loadFixture(disputed);
      const { ledger, operator, producer, purchaser, purchasedAt, recordedAt0 } = f;
      await ledger.connect(operator).resolveDispute(1n, 1n, false);
      await time.increaseTo(recordedAt0 + DISPUTE_WINDOW + (await ledger.resolutionWindow()) + 1n);
      await ledger.connect(producer).expireDispute(1n, 0n);
      const deadline = purchasedAt + BILLING_TIMEOUT;
      expect(BigInt(await time.latest())).to.be.lessThan(deadline);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(ledger.connect(purchaser).closePurchase(1n))
        .to.emit(ledger, "PurchaseClosed")
        .withArgs(1n, producer.address, purchaser.address, AMOUNT_1 * RATE, (QUANTITY - AMOUNT_1) * RATE);
    });

    it("rejects a purchase with open disputes, even past its deadline", async function () {
      const f = await loadFixture(disputed);
      const { ledger, operator, purchaser, purchasedAt } = f;
      await time.increaseTo(purchasedAt + BILLING_TIMEOUT + 1n);
      await expectRejected(f, () => ledger.connect(purchaser).closePurchase(1n), "DisputesOpen", [1n, 2n]);
      await ledger.connect(f.stranger).expireDispute(1n, 0n);
      await expectRejected(f, () => ledger.connect(purchaser).closePurchase(1n), "DisputesOpen", [1n, 1n]);
      expect(await ledger.operator()).to.equal(operator.address);
    });

    it("rejects anyone but the purchaser", async function () {
      const f = await loadFixture(purchased);
      await time.increaseTo(f.purchasedAt + BILLING_TIMEOUT + 1n);
      for (const account of [f.producer, f.meter, f.stranger, f.purchaser2, f.operator]) {
        await expectRejected(f, () => f.ledger.connect(account).closePurchase(1n), "NotPurchaser", [1n, account.address]);
      }
    });

    it("rejects an unknown purchase, a closed one and a billed one", async function () {
      const f = await loadFixture(transferred);
      await expectRejected(f, () => f.ledger.connect(f.purchaser).closePurchase(2n), "UnknownPurchase", [2n]);
      await acknowledgeBoth(f);
      await f.ledger.connect(f.producer).recordBill(1n, DIGEST, CODEC_RAW);
      await time.increaseTo(f.purchasedAt + BILLING_TIMEOUT + 1n);
      await expectRejected(f, () => f.ledger.connect(f.purchaser).closePurchase(1n), "PurchaseSettled", [
        1n,
        PurchaseStatus.Billed,
      ]);

      const g = await loadFixture(purchased);
      await time.increaseTo(g.purchasedAt + BILLING_TIMEOUT + 1n);
      await g.ledger.connect(g.purchaser).closePurchase(1n);
      await expectRejected(g, () => g.ledger.connect(g.purchaser).closePurchase(1n), "PurchaseSettled", [
        1n,
        PurchaseStatus.Closed,
      ]);
    });
  });
});
