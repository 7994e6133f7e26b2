import { expect } from "chai";
import {
  AVAILABLE,
  AVAILABLE_2,
  COST,
  MAX_CAPACITY,
  MAX_QUANTITY,
  PurchaseStatus,
  QUANTITY,
  RATE,
  RATE_2,
  blockTime,
  counts,
  ethers,
  expectRejected,
  expected,
  fee,
  networkHelpers,
  openOffers,
  plain,
} from "./fixtures.js";

const { loadFixture } = networkHelpers;

describe("GridLedger: purchases", function () {
  it("buys into escrow: EnergyPurchased, the offer's storage lowered, the purchase stored and counted", async function () {
    const { ledger, producer, purchaser } = await loadFixture(openOffers);
    const ledgerAddress = await ledger.getAddress();
    expect(await ledger.connect(purchaser).purchase.staticCall(1n, QUANTITY, { value: COST })).to.equal(1n);
    const tx = ledger.connect(purchaser).purchase(1n, QUANTITY, { value: COST });
    await expect(tx)
      .to.emit(ledger, "EnergyPurchased")
      .withArgs(1n, producer.address, purchaser.address, 1n, QUANTITY, COST);
    await expect(tx).to.changeEtherBalances(ethers, [purchaser, ledgerAddress, producer], [-COST, COST, 0n]);
    const at = await blockTime(await tx);
    expect((await ledger.offerOf(1n)).available).to.equal(AVAILABLE - QUANTITY);
    expect(plain(await ledger.purchaseOf(1n))).to.deep.equal({
      purchaser: purchaser.address,
      offerId: 1n,
      quantity: QUANTITY,
      cost: COST,
      purchasedAt: at,
      delivered: 0n,
      withheld: 0n,
      transferCount: 0n,
      pendingCount: 0n,
      openDisputes: 0n,
      lastRecordedAt: 0n,
      status: PurchaseStatus.Open,
      billBlock: 0n,
    });
    expect(await ledger.billBlockOf(1n)).to.equal(0n);
    expect(await ledger.balanceOf(producer.address)).to.equal(0n);
    expect(await ledger.balanceOf(purchaser.address)).to.equal(0n);
    expect(await counts(ledger)).to.deep.equal(expected({ offers: 2n, purchases: 1n }));
  });

  it("numbers purchases from 1 across offers and purchasers and escrows the sum of their costs", async function () {
    const { ledger, producer2, purchaser, purchaser2 } = await loadFixture(openOffers);
    await ledger.connect(purchaser).purchase(1n, QUANTITY, { value: COST });
    await expect(ledger.connect(purchaser2).purchase(2n, 7n, { value: 7n * RATE_2 }))
      .to.emit(ledger, "EnergyPurchased")
      .withArgs(2n, producer2.address, purchaser2.address, 2n, 7n, 7n * RATE_2);
    await ledger.connect(purchaser2).purchase(1n, 1n, { value: RATE });
    expect((await ledger.purchaseOf(2n)).purchaser).to.equal(purchaser2.address);
    expect((await ledger.purchaseOf(2n)).offerId).to.equal(2n);
    expect((await ledger.purchaseOf(3n)).offerId).to.equal(1n);
    expect((await ledger.offerOf(1n)).available).to.equal(AVAILABLE - QUANTITY - 1n);
    expect((await ledger.offerOf(2n)).available).to.equal(AVAILABLE_2 - 7n);
    expect(await ethers.provider.getBalance(await ledger.getAddress())).to.equal(COST + 7n * RATE_2 + RATE);
    expect(await counts(ledger)).to.deep.equal(expected({ offers: 2n, purchases: 3n }));
  });

  it("lets a purchase take all the available storage, after which one more Wh is refused", async function () {
    const f = await loadFixture(openOffers);
    const { ledger, purchaser, purchaser2 } = f;
    await ledger.connect(purchaser).purchase(1n, AVAILABLE, { value: AVAILABLE * RATE });
    expect((await ledger.offerOf(1n)).available).to.equal(0n);
    await expectRejected(
      f,
      () => ledger.connect(purchaser2).purchase(1n, 1n, { value: RATE }),
      "QuantityExceedsAvailable",
      [1n, 1n, 0n],
    );
  });

  it("charges the purchaser exactly the cost plus gas", async function () {
    const { ledger, purchaser } = await loadFixture(openOffers);
    const before = await ethers.provider.getBalance(purchaser.address);
    const tx = await ledger.connect(purchaser).purchase(1n, QUANTITY, { value: COST });
    const paid = await fee(tx);
    expect(await ethers.provider.getBalance(purchaser.address)).to.equal(before - COST - paid);
  });

  it("accepts a purchase of exactly MAX_QUANTITY", async function () {
    const { ledger, producer, purchaser } = await loadFixture(openOffers);
    await ledger.connect(producer).openOffer(MAX_CAPACITY, MAX_QUANTITY, 1n, "big");
    await expect(ledger.connect(purchaser).purchase(3n, MAX_QUANTITY, { value: MAX_QUANTITY }))
      .to.emit(ledger, "EnergyPurchased")
      .withArgs(1n, producer.address, purchaser.address, 3n, MAX_QUANTITY, MAX_QUANTITY);
    expect((await ledger.purchaseOf(1n)).quantity).to.equal(MAX_QUANTITY);
  });

  describe("rejections", function () {
    it("rejects an unknown offer", async function () {
      const f = await loadFixture(openOffers);
      await expectRejected(f, () => f.ledger.connect(f.purchaser).purchase(3n, 1n, { value: RATE }), "UnknownOffer", [3n]);
      await expectRejected(f, () => f.ledger.connect(f.purchaser).purchase(0n, 1n, { value: 0n }), "UnknownOffer", [0n]);
    });

    it("rejects a zero quantity", async function () {
      const f = await loadFixture(openOffers);
      await expectRejected(f, () => f.ledger.connect(f.purchaser).purchase(1n, 0n, { value: 0n }), "ZeroQuantity");
    });

    it("rejects a quantity above the available storage", async function () {
      const f = await loadFixture(openOffers);
      await expectRejected(
        f,
        () => f.ledger.connect(f.purchaser).purchase(1n, AVAILABLE + 1n, { value: (AVAILABLE + 1n) * RATE }),
        "QuantityExceedsAvailable",
        [1n, AVAILABLE + 1n, AVAILABLE],
      );
    });

    it("rejects a closed offer with OfferNotOpen", async function () {
      const f = await loadFixture(openOffers);
      await f.ledger.connect(f.producer).closeOffer(1n);
      await expectRejected(f, () => f.ledger.connect(f.purchaser).purchase(1n, 1n, { value: RATE }), "OfferNotOpen", [1n]);
    });

    it("rejects a quantity above MAX_QUANTITY even when that much is available", async function () {
      const f = await loadFixture(openOffers);
      await f.ledger.connect(f.producer).openOffer(MAX_CAPACITY, MAX_QUANTITY + 1n, 1n, "big");
      await expectRejected(
        f,
        () => f.ledger.connect(f.purchaser).purchase(3n, MAX_QUANTITY + 1n, { value: MAX_QUANTITY + 1n }),
        "QuantityTooLarge",
        [MAX_QUANTITY + 1n, MAX_QUANTITY],
      );
    });

    it("rejects a payment one wei short, one wei over, or missing", async function () {
      const f = await loadFixture(openOffers);
      const buy = (value: bigint) => () => f.ledger.connect(f.purchaser).purchase(1n, QUANTITY, { value });
      await expectRejected(f, buy(COST - 1n), "WrongPayment", [COST, COST - 1n]);
      await expectRejected(f, buy(COST + 1n), "WrongPayment", [COST, COST + 1n]);
      await expectRejected(f, buy(0n), "WrongPayment", [COST, 0n]);
    });

    it("prices with the offer's own rate", async function () {
      const f = await loadFixture(openOffers);
      await expectRejected(
        f,
        () => f.ledger.connect(f.purchaser).purchase(2n, 10n, { value: 10n * RATE }),
        "WrongPayment",
        [10n * RATE_2, 10n * RATE],
      );
    });
  });
});
