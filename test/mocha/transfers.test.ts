import { expect } from "chai";
import {
  AMOUNT_0,
  AMOUNT_1,
  CODEC_RAW,
  DEVICE,
  DEVICE_1,
  DIGEST,
  DISPUTE_WINDOW,
  BILLING_TIMEOUT,
  MAX_DEVICE_NAME,
  MAX_TRANSFERS,
  PurchaseStatus,
  QUANTITY,
  RATE,
  RATED_POWER,
  TransferState,
  blockTime,
  counts,
  ethers,
  expectRejected,
  expected,
  networkHelpers,
  plain,
  purchased,
  sendAt,
  time,
  transferred,
} from "./fixtures.js";

const { loadFixture } = networkHelpers;

/** Storage slot of `_deliveries` in GridLedger (after `_operator`, `_counts`, `_offers`, `_purchases`). */
const DELIVERIES_SLOT = 4n;

describe("GridLedger: transfers", function () {
  describe("recording", function () {
    it("records index 0 by the meter (inline slot): EnergyTransferred, the transfer, the purchase, the meter, the count", async function () {
      const { ledger, producer, purchaser, meter, purchasedAt } = await loadFixture(purchased);
      const start = purchasedAt + 600n;
      const end = start + 600n;
      expect(
        await ledger.connect(meter).recordTransfer.staticCall(1n, meter.address, AMOUNT_0, start, end, DEVICE),
      ).to.equal(0n);
      // Recorded well after its window ended: the transfer keeps the recording time, the meter the window's end.
      const recordedAt = BigInt(await time.latest()) + 30n;
      await time.setNextBlockTimestamp(recordedAt);
      await expect(ledger.connect(meter).recordTransfer(1n, meter.address, AMOUNT_0, start, end, DEVICE))
        .to.emit(ledger, "EnergyTransferred")
        .withArgs(1n, producer.address, purchaser.address, 0n, meter.address, AMOUNT_0, start, end, AMOUNT_0 * RATE, DEVICE);
      expect(BigInt(await time.latest())).to.equal(recordedAt);
      expect(plain(await ledger.transferOf(1n, 0n))).to.deep.equal({
        amount: AMOUNT_0,
        recordedAt,
        state: TransferState.Pending,
      });
      const p = await ledger.purchaseOf(1n);
      expect([
        p.delivered,
        p.withheld,
        p.transferCount,
        p.pendingCount,
        p.openDisputes,
        p.lastRecordedAt,
        p.status,
      ]).to.deep.equal([AMOUNT_0, 0n, 1n, 1n, 0n, recordedAt, PurchaseStatus.Open]);
      expect(plain(await ledger.meterOf(meter.address))).to.deep.equal({
        producer: producer.address,
        ratedPower: RATED_POWER,
        lastEnd: end,
        active: true,
      });
      expect(await counts(ledger)).to.deep.equal(expected({ offers: 2n, purchases: 1n, transfers: 1n }));
      await expect(ledger.transferOf(1n, 1n)).to.be.revertedWithCustomError(ledger, "UnknownTransfer").withArgs(1n, 1n);
    });

    it("records index 1 by the producer naming the meter (mapping slot) without touching index 0", async function () {
      const { ledger, producer, purchaser, meter, purchasedAt } = await loadFixture(purchased);
      const start0 = purchasedAt + 600n;
      const end0 = start0 + 600n;
      const end1 = end0 + 300n;
      const recordedAt0 = BigInt(await time.latest()) + 30n;
      const recordedAt1 = recordedAt0 + 45n;
      await sendAt(recordedAt0, () =>
        ledger.connect(meter).recordTransfer(1n, meter.address, AMOUNT_0, start0, end0, DEVICE),
      );
      expect(
        await ledger.connect(producer).recordTransfer.staticCall(1n, meter.address, AMOUNT_1, end0, end1, DEVICE_1),
      ).to.equal(1n);
      await time.setNextBlockTimestamp(recordedAt1);
      await expect(ledger.connect(producer).recordTransfer(1n, meter.address, AMOUNT_1, end0, end1, DEVICE_1))
        .to.emit(ledger, "EnergyTransferred")
        .withArgs(1n, producer.address, purchaser.address, 1n, meter.address, AMOUNT_1, end0, end1, AMOUNT_1 * RATE, DEVICE_1);
      expect(plain(await ledger.transferOf(1n, 0n))).to.deep.equal({
        amount: AMOUNT_0,
        recordedAt: recordedAt0,
        state: TransferState.Pending,
      });
      expect(plain(await ledger.transferOf(1n, 1n))).to.deep.equal({
        amount: AMOUNT_1,
        recordedAt: recordedAt1,
        state: TransferState.Pending,
      });
      const p = await ledger.purchaseOf(1n);
      expect([p.delivered, p.transferCount, p.pendingCount, p.lastRecordedAt]).to.deep.equal([
        AMOUNT_0 + AMOUNT_1,
        2n,
        2n,
        recordedAt1,
      ]);
      expect((await ledger.meterOf(meter.address)).lastEnd).to.equal(end1);
      expect(await counts(ledger)).to.deep.equal(expected({ offers: 2n, purchases: 1n, transfers: 2n }));
    });

    it("keeps three transfers apart (index 2 in the mapping too) and delivers exactly the quantity bought", async function () {
      const { ledger, producer, purchaser, meter, end1, recordedAt0, recordedAt1 } = await loadFixture(transferred);
      const rest = QUANTITY - AMOUNT_0 - AMOUNT_1;
      const end2 = end1 + 100n;
      const recordedAt2 = recordedAt1 + 100n;
      await time.setNextBlockTimestamp(recordedAt2);
      await expect(ledger.connect(meter).recordTransfer(1n, meter.address, rest, end1, end2, "last"))
        .to.emit(ledger, "EnergyTransferred")
        .withArgs(1n, producer.address, purchaser.address, 2n, meter.address, rest, end1, end2, rest * RATE, "last");
      expect(plain(await ledger.transferOf(1n, 0n))).to.deep.equal({
        amount: AMOUNT_0,
        recordedAt: recordedAt0,
        state: TransferState.Pending,
      });
      expect(plain(await ledger.transferOf(1n, 1n))).to.deep.equal({
        amount: AMOUNT_1,
        recordedAt: recordedAt1,
        state: TransferState.Pending,
      });
      expect(plain(await ledger.transferOf(1n, 2n))).to.deep.equal({
        amount: rest,
        recordedAt: recordedAt2,
        state: TransferState.Pending,
      });
      expect((await ledger.purchaseOf(1n)).delivered).to.equal(QUANTITY);
      expect((await ledger.purchaseOf(1n)).transferCount).to.equal(3n);
      expect((await ledger.purchaseOf(1n)).lastRecordedAt).to.equal(recordedAt2);
      expect(await counts(ledger)).to.deep.equal(expected({ offers: 2n, purchases: 1n, transfers: 3n }));
    });

    it("accepts a window starting exactly at the meter's last end", async function () {
      const { ledger, meter, end1 } = await loadFixture(transferred);
      expect((await ledger.meterOf(meter.address)).lastEnd).to.equal(end1);
      await expect(ledger.connect(meter).recordTransfer(1n, meter.address, 1n, end1, end1 + 1n, DEVICE)).to.emit(
        ledger,
        "EnergyTransferred",
      );
    });

    it("accepts an amount of exactly ratedPower × (end − start) / 3600, rounded down", async function () {
      // meter3 is rated 1 kW: 10 s measure at most 10,000 / 3600 = 2 Wh.
      const { ledger, meter, meter3, purchasedAt } = await loadFixture(purchased);
      await expect(ledger.connect(meter3).recordTransfer(1n, meter3.address, 2n, purchasedAt, purchasedAt + 10n, "m3"))
        .to.emit(ledger, "EnergyTransferred");
      // meter is rated 36 kW: 36 s measure exactly 360 Wh.
      await expect(ledger.connect(meter).recordTransfer(1n, meter.address, 360n, purchasedAt, purchasedAt + 36n, "m1"))
        .to.emit(ledger, "EnergyTransferred");
    });

    it("accepts an end equal to the block's timestamp and a 64-byte device name", async function () {
      const { ledger, meter, producer, purchaser } = await loadFixture(purchased);
      const t = BigInt(await time.latest()) + 50n;
      const device = "d".repeat(Number(MAX_DEVICE_NAME));
      await time.setNextBlockTimestamp(t);
      await expect(ledger.connect(meter).recordTransfer(1n, meter.address, 5n, t - 10n, t, device))
        .to.emit(ledger, "EnergyTransferred")
        .withArgs(1n, producer.address, purchaser.address, 0n, meter.address, 5n, t - 10n, t, 5n * RATE, device);
    });

    it("bounds a meter's windows across purchases: its last end carries over to the next purchase", async function () {
      const f = await loadFixture(purchased);
      const { ledger, meter, purchaser2 } = f;
      // Purchase 2 is made first; then the meter measures a window for purchase 1 that lies after it.
      const purchasedAt2 = await blockTime(await ledger.connect(purchaser2).purchase(1n, 10n, { value: 10n * RATE }));
      const lastEnd = purchasedAt2 + 600n;
      const recordedAt1 = lastEnd + 60n;
      await sendAt(recordedAt1, () =>
        ledger.connect(meter).recordTransfer(1n, meter.address, AMOUNT_0, purchasedAt2, lastEnd, DEVICE),
      );
      // Purchase 2 is as old as that window's start, so only the meter's last end stops an overlap.
      await expectRejected(
        f,
        () => ledger.connect(meter).recordTransfer(2n, meter.address, 1n, lastEnd - 1n, lastEnd + 10n, DEVICE),
        "WindowOverlaps",
        [meter.address, lastEnd - 1n, lastEnd],
      );
      const recordedAt2 = recordedAt1 + 60n;
      await time.setNextBlockTimestamp(recordedAt2);
      await expect(ledger.connect(meter).recordTransfer(2n, meter.address, 1n, lastEnd, lastEnd + 10n, DEVICE)).to.emit(
        ledger,
        "EnergyTransferred",
      );
      expect((await ledger.meterOf(meter.address)).lastEnd).to.equal(lastEnd + 10n);
      expect((await ledger.purchaseOf(2n)).lastRecordedAt).to.equal(recordedAt2);
      expect((await ledger.purchaseOf(1n)).lastRecordedAt).to.equal(recordedAt1);
    });

    it("moves lastRecordedAt to the latest recording even when that transfer's window ends before the others'", async function () {
      const f = await loadFixture(transferred);
      const { ledger, producer, meter3, start0, end0, recordedAt1 } = f;
      const earlyEnd = start0 + 36n; // before end0 and end1: meter3 has never measured
      expect(earlyEnd).to.be.lessThan(end0);
      const recordedAt2 = recordedAt1 + 120n;
      await sendAt(recordedAt2, () => ledger.connect(producer).recordTransfer(1n, meter3.address, 1n, start0, earlyEnd, "m3"));
      expect((await ledger.purchaseOf(1n)).lastRecordedAt).to.equal(recordedAt2);
      expect(plain(await ledger.transferOf(1n, 2n))).to.deep.equal({
        amount: 1n,
        recordedAt: recordedAt2,
        state: TransferState.Pending,
      });
      expect((await ledger.meterOf(meter3.address)).lastEnd).to.equal(earlyEnd);
      // The bill waits for the latest recording's dispute window, not for the latest window end's.
      await time.setNextBlockTimestamp(recordedAt2 + DISPUTE_WINDOW);
      await expectRejected(f, () => ledger.connect(producer).recordBill(1n, DIGEST, CODEC_RAW), "AcknowledgementsPending", [
        1n,
        3n,
        recordedAt2 + DISPUTE_WINDOW,
      ]);
    });

    it("still records transfers after the offer is closed", async function () {
      const { ledger, producer, meter, end1 } = await loadFixture(transferred);
      await ledger.connect(producer).closeOffer(1n);
      await expect(ledger.connect(meter).recordTransfer(1n, meter.address, 1n, end1, end1 + 1n, DEVICE)).to.emit(
        ledger,
        "EnergyTransferred",
      );
    });

    it("uses the meter's new rated power after the producer updates it", async function () {
      const f = await loadFixture(purchased);
      const { ledger, producer, meter, purchasedAt } = f;
      await ledger.connect(producer).authorizeMeter(meter.address, 3_600n); // 1 Wh per second
      await expectRejected(
        f,
        () => ledger.connect(meter).recordTransfer(1n, meter.address, 11n, purchasedAt, purchasedAt + 10n, DEVICE),
        "DeliveryExceedsRatedPower",
        [meter.address, 11n, 10n],
      );
      await expect(ledger.connect(meter).recordTransfer(1n, meter.address, 10n, purchasedAt, purchasedAt + 10n, DEVICE))
        .to.emit(ledger, "EnergyTransferred");
    });
  });

  describe("rejections", function () {
    it("rejects an unknown purchase", async function () {
      const f = await loadFixture(purchased);
      const { ledger, meter, purchasedAt } = f;
      for (const id of [0n, 2n]) {
        await expectRejected(
          f,
          () => ledger.connect(meter).recordTransfer(id, meter.address, 1n, purchasedAt, purchasedAt + 60n, DEVICE),
          "UnknownPurchase",
          [id],
        );
      }
    });

    it("rejects a zero amount", async function () {
      const f = await loadFixture(purchased);
      await expectRejected(
        f,
        () => f.ledger.connect(f.meter).recordTransfer(1n, f.meter.address, 0n, f.purchasedAt, f.purchasedAt + 60n, DEVICE),
        "ZeroAmount",
      );
    });

    it("rejects a window that does not start before it ends", async function () {
      const f = await loadFixture(purchased);
      const t = f.purchasedAt + 100n;
      const record = (start: bigint, end: bigint) => () =>
        f.ledger.connect(f.meter).recordTransfer(1n, f.meter.address, 1n, start, end, DEVICE);
      await expectRejected(f, record(t, t), "InvalidWindow", [t, t]);
      await expectRejected(f, record(t + 1n, t), "InvalidWindow", [t + 1n, t]);
    });

    it("rejects a window ending one second after the block's timestamp", async function () {
      const f = await loadFixture(purchased);
      const t = BigInt(await time.latest()) + 50n;
      await time.setNextBlockTimestamp(t);
      await expectRejected(
        f,
        () => f.ledger.connect(f.meter).recordTransfer(1n, f.meter.address, 1n, t - 10n, t + 1n, DEVICE),
        "EndInFuture",
        [t + 1n, t],
      );
    });

    it("rejects an empty device name and one of 65 bytes", async function () {
      const f = await loadFixture(purchased);
      const record = (device: string) => () =>
        f.ledger.connect(f.meter).recordTransfer(1n, f.meter.address, 1n, f.purchasedAt, f.purchasedAt + 60n, device);
      await expectRejected(f, record(""), "EmptyDeviceName");
      await expectRejected(f, record("d".repeat(65)), "DeviceNameTooLong", [65n, MAX_DEVICE_NAME]);
      // 33 two-byte characters: 66 bytes.
      await expectRejected(f, record("é".repeat(33)), "DeviceNameTooLong", [66n, MAX_DEVICE_NAME]);
    });

    it("rejects a window starting one second before the meter's last end", async function () {
      const f = await loadFixture(transferred);
      await expectRejected(
        f,
        () => f.ledger.connect(f.meter).recordTransfer(1n, f.meter.address, 1n, f.end1 - 1n, f.end1 + 60n, DEVICE),
        "WindowOverlaps",
        [f.meter.address, f.end1 - 1n, f.end1],
      );
      // The producer naming the meter is held to the same bound.
      await expectRejected(
        f,
        () => f.ledger.connect(f.producer).recordTransfer(1n, f.meter.address, 1n, f.start0, f.end0, DEVICE),
        "WindowOverlaps",
        [f.meter.address, f.start0, f.end1],
      );
    });

    it("rejects one Wh more than the meter's rated power allows", async function () {
      const f = await loadFixture(purchased);
      const { ledger, meter, meter3, producer, purchasedAt } = f;
      await expectRejected(
        f,
        () => ledger.connect(meter3).recordTransfer(1n, meter3.address, 3n, purchasedAt, purchasedAt + 10n, "m3"),
        "DeliveryExceedsRatedPower",
        [meter3.address, 3n, 2n],
      );
      await expectRejected(
        f,
        () => ledger.connect(producer).recordTransfer(1n, meter.address, 361n, purchasedAt, purchasedAt + 36n, "m1"),
        "DeliveryExceedsRatedPower",
        [meter.address, 361n, 360n],
      );
      // 1 kW over 3599 s is 999.72 Wh: the bound rounds down to 999.
      await expectRejected(
        f,
        () => ledger.connect(meter3).recordTransfer(1n, meter3.address, 1_000n, purchasedAt, purchasedAt + 3_599n, "m3"),
        "DeliveryExceedsRatedPower",
        [meter3.address, 1_000n, 999n],
      );
      // A one-second window of a 1 kW meter measures nothing.
      await expectRejected(
        f,
        () => ledger.connect(meter3).recordTransfer(1n, meter3.address, 1n, purchasedAt, purchasedAt + 1n, "m3"),
        "DeliveryExceedsRatedPower",
        [meter3.address, 1n, 0n],
      );
    });

    it("rejects a delivered total one Wh above the quantity bought", async function () {
      const f = await loadFixture(transferred);
      const rest = QUANTITY - AMOUNT_0 - AMOUNT_1;
      await expectRejected(
        f,
        () => f.ledger.connect(f.meter).recordTransfer(1n, f.meter.address, rest + 1n, f.end1, f.end1 + 100n, DEVICE),
        "DeliveryExceedsPurchase",
        [1n, AMOUNT_0 + AMOUNT_1, rest + 1n, QUANTITY],
      );
    });

    it("rejects a single transfer above the quantity bought", async function () {
      const f = await loadFixture(purchased);
      await expectRejected(
        f,
        () =>
          f.ledger.connect(f.meter).recordTransfer(1n, f.meter.address, QUANTITY + 1n, f.purchasedAt, f.purchasedAt + 600n, DEVICE),
        "DeliveryExceedsPurchase",
        [1n, 0n, QUANTITY + 1n, QUANTITY],
      );
    });

    it("rejects a transfer for a billed purchase and for a closed one", async function () {
      const f = await loadFixture(transferred);
      const { ledger, purchaser, producer, meter, end1, purchaser2 } = f;
      await ledger.connect(purchaser).acknowledgeTransfer(1n, 0n);
      await ledger.connect(purchaser).acknowledgeTransfer(1n, 1n);
      await ledger.connect(producer).recordBill(1n, DIGEST, CODEC_RAW);
      await expectRejected(
        f,
        () => ledger.connect(meter).recordTransfer(1n, meter.address, 1n, end1, end1 + 1n, DEVICE),
        "PurchaseSettled",
        [1n, PurchaseStatus.Billed],
      );
      const at = await blockTime(await ledger.connect(purchaser2).purchase(1n, 10n, { value: 10n * RATE }));
      await time.increaseTo(at + BILLING_TIMEOUT + 1n);
      await ledger.connect(purchaser2).closePurchase(2n);
      // A window that would be accepted for an open purchase 2: after its purchase and the meter's last end.
      await expectRejected(
        f,
        () => ledger.connect(meter).recordTransfer(2n, meter.address, 1n, at, at + 1n, DEVICE),
        "PurchaseSettled",
        [2n, PurchaseStatus.Closed],
      );
    });

    it("rejects the transfer after MAX_TRANSFERS (transfer count set in storage)", async function () {
      const f = await loadFixture(transferred);
      const { ledger, meter, end1 } = f;
      const address = await ledger.getAddress();
      const slot = BigInt(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [1n, DELIVERIES_SLOT])));
      const word = BigInt(await networkHelpers.getStorageAt(address, slot));
      // Check the layout assumed here: delivered (bits 0-31), withheld (32-63), transferCount (64-79), pendingCount (80-95).
      expect(word & 0xffffffffn).to.equal(AMOUNT_0 + AMOUNT_1);
      expect((word >> 64n) & 0xffffn).to.equal(2n);
      expect((word >> 80n) & 0xffffn).to.equal(2n);
      const withCount = (n: bigint) => (word & ~(0xffffn << 64n)) | (n << 64n);

      await networkHelpers.setStorageAt(address, slot, withCount(MAX_TRANSFERS - 1n));
      expect((await ledger.purchaseOf(1n)).transferCount).to.equal(MAX_TRANSFERS - 1n);
      expect(await ledger.connect(meter).recordTransfer.staticCall(1n, meter.address, 1n, end1, end1 + 1n, DEVICE)).to.equal(
        MAX_TRANSFERS - 1n,
      );
      const recordedAt = BigInt(await time.latest()) + 10n;
      await sendAt(recordedAt, () => ledger.connect(meter).recordTransfer(1n, meter.address, 1n, end1, end1 + 1n, DEVICE));
      expect(plain(await ledger.transferOf(1n, MAX_TRANSFERS - 1n))).to.deep.equal({
        amount: 1n,
        recordedAt,
        state: TransferState.Pending,
      });
      expect((await ledger.purchaseOf(1n)).transferCount).to.equal(MAX_TRANSFERS);
      await expectRejected(
        f,
        () => ledger.connect(meter).recordTransfer(1n, meter.address, 1n, end1 + 1n, end1 + 2n, DEVICE),
        "TooManyTransfers",
        [1n, MAX_TRANSFERS],
      );
    });
  });

  describe("windows before the purchase", function () {
    it("rejects a window starting one second before the purchase with WindowBeforePurchase, and accepts one starting at it", async function () {
      const f = await loadFixture(purchased);
      const { ledger, producer, purchaser, meter, purchasedAt } = f;
      expect((await ledger.purchaseOf(1n)).purchasedAt).to.equal(purchasedAt);
      const end = purchasedAt + 60n;
      // Whether the meter records itself or the producer names it.
      for (const recorder of [meter, producer]) {
        await expectRejected(
          f,
          () => ledger.connect(recorder).recordTransfer(1n, meter.address, 1n, purchasedAt - 1n, end, DEVICE),
          "WindowBeforePurchase",
          [1n, purchasedAt - 1n, purchasedAt],
        );
      }
      await expect(ledger.connect(meter).recordTransfer(1n, meter.address, 1n, purchasedAt, end, DEVICE))
        .to.emit(ledger, "EnergyTransferred")
        .withArgs(1n, producer.address, purchaser.address, 0n, meter.address, 1n, purchasedAt, end, RATE, DEVICE);
    });

    it("checks the purchase's time after the window's shape and end, before the device name, the meter's last end and its rated power", async function () {
      const f = await loadFixture(transferred);
      const { ledger, meter, purchaser2, end1 } = f;
      // Purchase 2 is made after the meter's last end (end1), so a window from end1 − 1 starts before both.
      const purchasedAt2 = await blockTime(await ledger.connect(purchaser2).purchase(1n, 10n, { value: 10n * RATE }));
      const start = end1 - 1n;
      const record = (amount: bigint, from: bigint, to: bigint, device: string) => () =>
        ledger.connect(meter).recordTransfer(2n, meter.address, amount, from, to, device);
      await expectRejected(f, record(1n, start, start, DEVICE), "InvalidWindow", [start, start]);
      const now = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(now);
      await expectRejected(f, record(1n, start, now + 1n, DEVICE), "EndInFuture", [now + 1n, now]);
      const before = [2n, start, purchasedAt2];
      await expectRejected(f, record(1n, start, purchasedAt2, ""), "WindowBeforePurchase", before);
      await expectRejected(f, record(1n, start, purchasedAt2, "d".repeat(65)), "WindowBeforePurchase", before);
      await expectRejected(f, record(1n, start, purchasedAt2, DEVICE), "WindowBeforePurchase", before);
      await expectRejected(f, record(11n, start, start + 1n, DEVICE), "WindowBeforePurchase", before);
    });

    it("stops a freshly authorised meter from claiming a window that starts at 0 to dodge its rated power", async function () {
      const f = await loadFixture(purchased);
      const { ledger, producer, purchaser, purchasedAt } = f;
      const fresh = f.stranger;
      await ledger.connect(producer).authorizeMeter(fresh.address, 1_000n); // 1 kW, never measured
      expect(plain(await ledger.meterOf(fresh.address))).to.deep.equal({
        producer: producer.address,
        ratedPower: 1_000n,
        lastEnd: 0n,
        active: true,
      });
      const end = purchasedAt + 60n;
      // From 0 its rated power would allow far more than the whole purchase; from the purchase, 60 s allow 16 Wh.
      expect((1_000n * end) / 3600n).to.be.greaterThan(QUANTITY);
      for (const recorder of [fresh, producer]) {
        await expectRejected(
          f,
          () => ledger.connect(recorder).recordTransfer(1n, fresh.address, QUANTITY, 0n, end, "fresh"),
          "WindowBeforePurchase",
          [1n, 0n, purchasedAt],
        );
      }
      await expectRejected(
        f,
        () => ledger.connect(fresh).recordTransfer(1n, fresh.address, QUANTITY, purchasedAt, end, "fresh"),
        "DeliveryExceedsRatedPower",
        [fresh.address, QUANTITY, 16n],
      );
      await expect(ledger.connect(fresh).recordTransfer(1n, fresh.address, 16n, purchasedAt, end, "fresh"))
        .to.emit(ledger, "EnergyTransferred")
        .withArgs(1n, producer.address, purchaser.address, 0n, fresh.address, 16n, purchasedAt, end, 16n * RATE, "fresh");
    });

    it("gives a transfer recorded long after its window the full dispute window from its recording: backdating cannot skip it", async function () {
      const f = await loadFixture(purchased);
      const { ledger, producer, purchaser, meter, purchasedAt } = f;
      const start = purchasedAt + 60n;
      const end = start + 600n;
      // The producer records the window only when its end is ten dispute windows old.
      const recordedAt = end + 10n * DISPUTE_WINDOW;
      await sendAt(recordedAt, () => ledger.connect(producer).recordTransfer(1n, meter.address, AMOUNT_0, start, end, DEVICE));
      expect(plain(await ledger.transferOf(1n, 0n))).to.deep.equal({
        amount: AMOUNT_0,
        recordedAt,
        state: TransferState.Pending,
      });
      expect((await ledger.purchaseOf(1n)).lastRecordedAt).to.equal(recordedAt);
      const deadline = recordedAt + DISPUTE_WINDOW;
      const bill = () => ledger.connect(producer).recordBill(1n, DIGEST, CODEC_RAW);
      // It cannot bill at once, nor at the window's last second...
      await expectRejected(f, bill, "AcknowledgementsPending", [1n, 1n, deadline]);
      await time.setNextBlockTimestamp(deadline);
      await expectRejected(f, bill, "AcknowledgementsPending", [1n, 1n, deadline]);
      // ...in which the purchaser still disputes it, which keeps it unbilled.
      await time.setNextBlockTimestamp(deadline);
      await expect(ledger.connect(purchaser).disputeTransfer(1n, 0n, 4))
        .to.emit(ledger, "TransferDisputed")
        .withArgs(1n, producer.address, purchaser.address, 0n, 4);
      expect(BigInt(await time.latest())).to.equal(deadline);
      await expectRejected(f, bill, "DisputesOpen", [1n, 1n]);
    });
  });

  describe("roles", function () {
    it("rejects callers that are neither the producer nor the meter named", async function () {
      const f = await loadFixture(purchased);
      const { ledger, meter, purchasedAt } = f;
      for (const account of [f.stranger, f.purchaser, f.producer2, f.operator, f.meter3]) {
        await expectRejected(
          f,
          () => ledger.connect(account).recordTransfer(1n, meter.address, 1n, purchasedAt, purchasedAt + 60n, DEVICE),
          "NotProducerOrMeter",
          [1n, account.address],
        );
      }
    });

    it("rejects a meter of another producer recording for itself", async function () {
      const f = await loadFixture(purchased);
      await expectRejected(
        f,
        () => f.ledger.connect(f.meter2).recordTransfer(1n, f.meter2.address, 1n, f.purchasedAt, f.purchasedAt + 60n, DEVICE),
        "NotProducerOrMeter",
        [1n, f.meter2.address],
      );
    });

    it("rejects the producer naming another producer's meter, a stranger or itself when not a meter", async function () {
      const f = await loadFixture(purchased);
      for (const named of [f.meter2, f.stranger, f.producer]) {
        await expectRejected(
          f,
          () => f.ledger.connect(f.producer).recordTransfer(1n, named.address, 1n, f.purchasedAt, f.purchasedAt + 60n, DEVICE),
          "MeterNotAuthorized",
          [named.address, f.producer.address],
        );
      }
    });

    it("rejects a revoked meter, whether it records itself or the producer names it", async function () {
      const f = await loadFixture(purchased);
      await f.ledger.connect(f.producer).revokeMeter(f.meter.address);
      await expectRejected(
        f,
        () => f.ledger.connect(f.meter).recordTransfer(1n, f.meter.address, 1n, f.purchasedAt, f.purchasedAt + 60n, DEVICE),
        "NotProducerOrMeter",
        [1n, f.meter.address],
      );
      await expectRejected(
        f,
        () => f.ledger.connect(f.producer).recordTransfer(1n, f.meter.address, 1n, f.purchasedAt, f.purchasedAt + 60n, DEVICE),
        "MeterNotAuthorized",
        [f.meter.address, f.producer.address],
      );
    });

    it("lets the producer record as its own meter once it authorises itself", async function () {
      const { ledger, producer, purchaser, purchasedAt } = await loadFixture(purchased);
      await ledger.connect(producer).authorizeMeter(producer.address, RATED_POWER);
      await expect(ledger.connect(producer).recordTransfer(1n, producer.address, 1n, purchasedAt, purchasedAt + 60n, DEVICE))
        .to.emit(ledger, "EnergyTransferred")
        .withArgs(1n, producer.address, purchaser.address, 0n, producer.address, 1n, purchasedAt, purchasedAt + 60n, RATE, DEVICE);
    });

    it("rejects the meter recording on behalf of another meter of the same producer", async function () {
      const f = await loadFixture(purchased);
      await expectRejected(
        f,
        () => f.ledger.connect(f.meter).recordTransfer(1n, f.meter3.address, 1n, f.purchasedAt, f.purchasedAt + 10n, DEVICE),
        "NotProducerOrMeter",
        [1n, f.meter.address],
      );
    });
  });

  it("measures each transfer's dispute window from its own recording: index 0 closed while index 1 is still open", async function () {
    const f = await loadFixture(transferred);
    const { ledger, purchaser, recordedAt0 } = f;
    await time.setNextBlockTimestamp(recordedAt0 + DISPUTE_WINDOW + 1n);
    await expectRejected(f, () => ledger.connect(purchaser).disputeTransfer(1n, 0n, 1), "DisputeWindowClosed", [
      1n,
      0n,
      recordedAt0 + DISPUTE_WINDOW,
    ]);
    await time.setNextBlockTimestamp(recordedAt0 + DISPUTE_WINDOW + 1n);
    await expect(ledger.connect(purchaser).disputeTransfer(1n, 1n, 1)).to.emit(ledger, "TransferDisputed");
  });
});
