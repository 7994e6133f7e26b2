import { expect } from "chai";
import {
  AVAILABLE,
  AVAILABLE_2,
  CAPACITY,
  CAPACITY_2,
  COST,
  LOCATION,
  LOCATION_2,
  MAX_CAPACITY,
  MAX_RATE,
  QUANTITY,
  RATE,
  RATE_2,
  counts,
  deployLedger,
  expectRejected,
  expected,
  networkHelpers,
  openOffers,
  plain,
  purchased,
} from "./fixtures.js";

const { loadFixture } = networkHelpers;

describe("GridLedger: offers and storage readings", function () {
  describe("openOffer", function () {
    it("opens offer 1 with its fields, emits OfferOpened and counts it", async function () {
      const { ledger, producer } = await loadFixture(deployLedger);
      expect(await ledger.connect(producer).openOffer.staticCall(CAPACITY, AVAILABLE, RATE, LOCATION)).to.equal(1n);
      await expect(ledger.connect(producer).openOffer(CAPACITY, AVAILABLE, RATE, LOCATION))
        .to.emit(ledger, "OfferOpened")
        .withArgs(1n, producer.address, CAPACITY, AVAILABLE, RATE, LOCATION);
      expect(plain(await ledger.offerOf(1n))).to.deep.equal({
        producer: producer.address,
        capacity: CAPACITY,
        available: AVAILABLE,
        rate: RATE,
        location: LOCATION,
        open: true,
      });
      expect(await counts(ledger)).to.deep.equal(expected({ offers: 1n }));
    });

    it("numbers offers from 1 upwards across producers and keeps multi-byte locations", async function () {
      const { ledger, producer, producer2 } = await loadFixture(deployLedger);
      await ledger.connect(producer).openOffer(CAPACITY, AVAILABLE, RATE, LOCATION);
      await expect(ledger.connect(producer2).openOffer(CAPACITY_2, AVAILABLE_2, RATE_2, LOCATION_2))
        .to.emit(ledger, "OfferOpened")
        .withArgs(2n, producer2.address, CAPACITY_2, AVAILABLE_2, RATE_2, LOCATION_2);
      expect((await ledger.offerOf(2n)).location).to.equal(LOCATION_2);
      expect((await ledger.offerOf(2n)).producer).to.equal(producer2.address);
      expect((await ledger.offerOf(1n)).producer).to.equal(producer.address);
      expect(await counts(ledger)).to.deep.equal(expected({ offers: 2n }));
    });

    it("accepts the bounds: capacity MAX_CAPACITY, available = capacity, rate MAX_RATE, a 31-byte location", async function () {
      const { ledger, producer } = await loadFixture(deployLedger);
      const location = "x".repeat(31);
      await expect(ledger.connect(producer).openOffer(MAX_CAPACITY, MAX_CAPACITY, MAX_RATE, location))
        .to.emit(ledger, "OfferOpened")
        .withArgs(1n, producer.address, MAX_CAPACITY, MAX_CAPACITY, MAX_RATE, location);
      expect(plain(await ledger.offerOf(1n))).to.deep.equal({
        producer: producer.address,
        capacity: MAX_CAPACITY,
        available: MAX_CAPACITY,
        rate: MAX_RATE,
        location,
        open: true,
      });
    });

    it("accepts an offer with nothing available and a 1-byte location", async function () {
      const { ledger, producer } = await loadFixture(deployLedger);
      await expect(ledger.connect(producer).openOffer(1n, 0n, 1n, "a"))
        .to.emit(ledger, "OfferOpened")
        .withArgs(1n, producer.address, 1n, 0n, 1n, "a");
      expect((await ledger.offerOf(1n)).available).to.equal(0n);
    });

    const rejections: [string, () => [bigint, bigint, bigint, string], string, unknown[]][] = [
      ["a zero capacity", () => [0n, 0n, RATE, LOCATION], "ZeroCapacity", []],
      ["a capacity above MAX_CAPACITY", () => [MAX_CAPACITY + 1n, 0n, RATE, LOCATION], "CapacityTooLarge", [MAX_CAPACITY + 1n, MAX_CAPACITY]],
      ["available above capacity", () => [CAPACITY, CAPACITY + 1n, RATE, LOCATION], "AvailableExceedsCapacity", [CAPACITY + 1n, CAPACITY]],
      ["a zero rate", () => [CAPACITY, AVAILABLE, 0n, LOCATION], "ZeroRate", []],
      ["a rate above MAX_RATE", () => [CAPACITY, AVAILABLE, MAX_RATE + 1n, LOCATION], "RateTooLarge", [MAX_RATE + 1n, MAX_RATE]],
      ["an empty location", () => [CAPACITY, AVAILABLE, RATE, ""], "EmptyLocation", []],
      ["a 32-byte location", () => [CAPACITY, AVAILABLE, RATE, "y".repeat(32)], "LocationTooLong", [32n, 31n]],
      // 16 two-byte characters: 16 characters but 32 bytes.
      ["a location of 32 UTF-8 bytes", () => [CAPACITY, AVAILABLE, RATE, "ü".repeat(16)], "LocationTooLong", [32n, 31n]],
    ];
    for (const [what, args, error, errorArgs] of rejections) {
      it(`rejects ${what} with ${error}`, async function () {
        const f = await loadFixture(openOffers);
        await expectRejected(f, () => f.ledger.connect(f.producer).openOffer(...args()), error, errorArgs);
      });
    }
  });

  describe("recordStorage", function () {
    it("records a reading by the producer: StorageRecorded with the producer as recorder", async function () {
      const { ledger, producer } = await loadFixture(openOffers);
      await expect(ledger.connect(producer).recordStorage(1n, 4_321n))
        .to.emit(ledger, "StorageRecorded")
        .withArgs(1n, producer.address, producer.address, 4_321n);
      expect((await ledger.offerOf(1n)).available).to.equal(4_321n);
      expect(await counts(ledger)).to.deep.equal(expected({ offers: 2n, storageReadings: 1n }));
    });

    it("records a reading by the producer's active meter: the meter is the recorder", async function () {
      const { ledger, producer, meter } = await loadFixture(openOffers);
      await expect(ledger.connect(meter).recordStorage(1n, CAPACITY))
        .to.emit(ledger, "StorageRecorded")
        .withArgs(1n, producer.address, meter.address, CAPACITY);
      await expect(ledger.connect(meter).recordStorage(1n, 0n))
        .to.emit(ledger, "StorageRecorded")
        .withArgs(1n, producer.address, meter.address, 0n);
      expect((await ledger.offerOf(1n)).available).to.equal(0n);
      expect(await counts(ledger)).to.deep.equal(expected({ offers: 2n, storageReadings: 2n }));
    });

    it("changes only the offer read: the other offer keeps its storage", async function () {
      const { ledger, producer2 } = await loadFixture(openOffers);
      await ledger.connect(producer2).recordStorage(2n, 1n);
      expect((await ledger.offerOf(1n)).available).to.equal(AVAILABLE);
      expect((await ledger.offerOf(2n)).available).to.equal(1n);
    });

    it("lets a reading raise the available storage that purchases can then buy", async function () {
      const { ledger, producer, purchaser } = await loadFixture(openOffers);
      await ledger.connect(producer).recordStorage(1n, CAPACITY);
      await expect(ledger.connect(purchaser).purchase(1n, CAPACITY, { value: CAPACITY * RATE })).to.emit(
        ledger,
        "EnergyPurchased",
      );
      expect((await ledger.offerOf(1n)).available).to.equal(0n);
    });

    it("rejects available storage above the capacity", async function () {
      const f = await loadFixture(openOffers);
      await expectRejected(
        f,
        () => f.ledger.connect(f.meter).recordStorage(1n, CAPACITY + 1n),
        "AvailableExceedsCapacity",
        [CAPACITY + 1n, CAPACITY],
      );
    });

    it("rejects an unknown offer", async function () {
      const f = await loadFixture(openOffers);
      await expectRejected(f, () => f.ledger.connect(f.producer).recordStorage(3n, 1n), "UnknownOffer", [3n]);
      await expectRejected(f, () => f.ledger.connect(f.producer).recordStorage(0n, 1n), "UnknownOffer", [0n]);
    });

    it("rejects a closed offer, for the producer and for its meter", async function () {
      const f = await loadFixture(openOffers);
      await f.ledger.connect(f.producer).closeOffer(1n);
      await expectRejected(f, () => f.ledger.connect(f.producer).recordStorage(1n, 1n), "OfferNotOpen", [1n]);
      await expectRejected(f, () => f.ledger.connect(f.meter).recordStorage(1n, 1n), "OfferNotOpen", [1n]);
    });

    it("rejects a stranger, the purchaser-to-be and another producer with NotProducerOrMeter", async function () {
      const f = await loadFixture(openOffers);
      for (const account of [f.stranger, f.purchaser, f.producer2, f.operator]) {
        await expectRejected(f, () => f.ledger.connect(account).recordStorage(1n, 1n), "NotProducerOrMeter", [
          1n,
          account.address,
        ]);
      }
    });

    it("rejects a meter of another producer", async function () {
      const f = await loadFixture(openOffers);
      await expectRejected(f, () => f.ledger.connect(f.meter2).recordStorage(1n, 1n), "NotProducerOrMeter", [
        1n,
        f.meter2.address,
      ]);
      await expectRejected(f, () => f.ledger.connect(f.meter).recordStorage(2n, 1n), "NotProducerOrMeter", [
        2n,
        f.meter.address,
      ]);
    });

    it("rejects a revoked meter", async function () {
      const f = await loadFixture(openOffers);
      await f.ledger.connect(f.producer).revokeMeter(f.meter.address);
      await expectRejected(f, () => f.ledger.connect(f.meter).recordStorage(1n, 1n), "NotProducerOrMeter", [
        1n,
        f.meter.address,
      ]);
    });
  });

  describe("closeOffer", function () {
    it("closes the offer: OfferClosed, open false, nothing available, readings and purchases refused", async function () {
      const f = await loadFixture(openOffers);
      const { ledger, producer, purchaser } = f;
      await expect(ledger.connect(producer).closeOffer(1n)).to.emit(ledger, "OfferClosed").withArgs(1n, producer.address);
      expect(plain(await ledger.offerOf(1n))).to.deep.equal({
        producer: producer.address,
        capacity: CAPACITY,
        available: 0n,
        rate: RATE,
        location: LOCATION,
        open: false,
      });
      expect((await ledger.offerOf(2n)).open).to.equal(true);
      expect(await counts(ledger)).to.deep.equal(expected({ offers: 2n }));
      await expectRejected(f, () => ledger.connect(purchaser).purchase(1n, 1n, { value: RATE }), "OfferNotOpen", [1n]);
    });

    it("rejects closing twice", async function () {
      const f = await loadFixture(openOffers);
      await f.ledger.connect(f.producer).closeOffer(1n);
      await expectRejected(f, () => f.ledger.connect(f.producer).closeOffer(1n), "OfferNotOpen", [1n]);
    });

    it("rejects an unknown offer", async function () {
      const f = await loadFixture(openOffers);
      await expectRejected(f, () => f.ledger.connect(f.producer).closeOffer(9n), "UnknownOffer", [9n]);
    });

    it("rejects anyone but the producer, including its own meter, with NotProducer", async function () {
      const f = await loadFixture(openOffers);
      for (const account of [f.meter, f.stranger, f.producer2, f.meter2, f.operator]) {
        await expectRejected(f, () => f.ledger.connect(account).closeOffer(1n), "NotProducer", [1n, account.address]);
      }
    });

    it("leaves purchases already made open for delivery, billing and their escrow", async function () {
      const f = await loadFixture(purchased);
      const { ledger, producer, meter, purchasedAt } = f;
      await ledger.connect(producer).closeOffer(1n);
      const p = await ledger.purchaseOf(1n);
      expect(p.quantity).to.equal(QUANTITY);
      expect(p.cost).to.equal(COST);
      await expect(
        ledger.connect(meter).recordTransfer(1n, meter.address, QUANTITY, purchasedAt, purchasedAt + 60n, "dev"),
      ).to.emit(ledger, "EnergyTransferred");
      expect((await ledger.purchaseOf(1n)).delivered).to.equal(QUANTITY);
    });
  });
});
