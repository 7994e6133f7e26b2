import { expect } from "chai";
import {
  AMOUNT_0,
  AMOUNT_1,
  BILLING_TIMEOUT,
  CODEC_RAW,
  DEVICE,
  DIGEST,
  MAX_RATED_POWER,
  QUANTITY,
  RATE,
  RATE_2,
  RATED_POWER,
  RATED_POWER_2,
  blockTime,
  ethers,
  expectRejected,
  networkHelpers,
  openOffers,
  plain,
  time,
  transferred,
} from "./fixtures.js";
import type { Deployed, Transferred } from "./fixtures.js";

const { loadFixture } = networkHelpers;

/** `transferred` with both transfers acknowledged and purchase 1 billed: producer and purchaser hold balances. */
async function billed(): Promise<Transferred> {
  const f = await transferred();
  await f.ledger.connect(f.purchaser).acknowledgeTransfer(1n, 0n);
  await f.ledger.connect(f.purchaser).acknowledgeTransfer(1n, 1n);
  await f.ledger.connect(f.producer).recordBill(1n, DIGEST, CODEC_RAW);
  return f;
}

const PRODUCER_AMOUNT = (AMOUNT_0 + AMOUNT_1) * RATE;
const REFUND = (QUANTITY - AMOUNT_0 - AMOUNT_1) * RATE;

describe("GridLedger: meters, operator and withdrawals", function () {
  describe("authorizeMeter", function () {
    it("authorises a meter: MeterAuthorized and meterOf", async function () {
      const { ledger, producer, stranger } = await loadFixture(openOffers);
      await expect(ledger.connect(producer).authorizeMeter(stranger.address, 5_000n))
        .to.emit(ledger, "MeterAuthorized")
        .withArgs(stranger.address, producer.address, 5_000n);
      expect(plain(await ledger.meterOf(stranger.address))).to.deep.equal({
        producer: producer.address,
        ratedPower: 5_000n,
        lastEnd: 0n,
        active: true,
      });
    });

    it("lets the producer change its meter's rated power, keeping its last end", async function () {
      const { ledger, producer, meter, end1 } = await loadFixture(transferred);
      await expect(ledger.connect(producer).authorizeMeter(meter.address, MAX_RATED_POWER))
        .to.emit(ledger, "MeterAuthorized")
        .withArgs(meter.address, producer.address, MAX_RATED_POWER);
      expect(plain(await ledger.meterOf(meter.address))).to.deep.equal({
        producer: producer.address,
        ratedPower: MAX_RATED_POWER,
        lastEnd: end1,
        active: true,
      });
    });

    it("rejects the zero address", async function () {
      const f = await loadFixture(openOffers);
      await expectRejected(f, () => f.ledger.connect(f.producer).authorizeMeter(ethers.ZeroAddress, RATED_POWER), "ZeroAddress");
    });

    it("rejects a rated power of 0 or above MAX_RATED_POWER", async function () {
      const f = await loadFixture(openOffers);
      for (const power of [0n, MAX_RATED_POWER + 1n]) {
        await expectRejected(
          f,
          () => f.ledger.connect(f.producer).authorizeMeter(f.stranger.address, power),
          "RatedPowerOutOfRange",
          [power, MAX_RATED_POWER],
        );
        // Updating an existing meter is bound the same way.
        await expectRejected(
          f,
          () => f.ledger.connect(f.producer).authorizeMeter(f.meter.address, power),
          "RatedPowerOutOfRange",
          [power, MAX_RATED_POWER],
        );
      }
    });

    it("rejects a meter active for another producer", async function () {
      const f = await loadFixture(openOffers);
      await expectRejected(
        f,
        () => f.ledger.connect(f.producer2).authorizeMeter(f.meter.address, RATED_POWER),
        "MeterOwnedByOther",
        [f.meter.address, f.producer.address],
      );
      await expectRejected(
        f,
        () => f.ledger.connect(f.producer).authorizeMeter(f.meter2.address, RATED_POWER),
        "MeterOwnedByOther",
        [f.meter2.address, f.producer2.address],
      );
    });
  });

  describe("revokeMeter", function () {
    it("revokes: MeterRevoked, inactive, producer and last end kept", async function () {
      const { ledger, producer, meter, end1 } = await loadFixture(transferred);
      await expect(ledger.connect(producer).revokeMeter(meter.address))
        .to.emit(ledger, "MeterRevoked")
        .withArgs(meter.address, producer.address);
      expect(plain(await ledger.meterOf(meter.address))).to.deep.equal({
        producer: producer.address,
        ratedPower: RATED_POWER,
        lastEnd: end1,
        active: false,
      });
    });

    it("rejects another producer, the meter itself, a second revocation and an unknown meter", async function () {
      const f = await loadFixture(openOffers);
      const { ledger, producer, producer2, meter, stranger } = f;
      await expectRejected(f, () => ledger.connect(producer2).revokeMeter(meter.address), "MeterNotAuthorized", [
        meter.address,
        producer2.address,
      ]);
      await expectRejected(f, () => ledger.connect(meter).revokeMeter(meter.address), "MeterNotAuthorized", [
        meter.address,
        meter.address,
      ]);
      await expectRejected(f, () => ledger.connect(producer).revokeMeter(stranger.address), "MeterNotAuthorized", [
        stranger.address,
        producer.address,
      ]);
      await ledger.connect(producer).revokeMeter(meter.address);
      await expectRejected(f, () => ledger.connect(producer).revokeMeter(meter.address), "MeterNotAuthorized", [
        meter.address,
        producer.address,
      ]);
    });

    it("keeps the meter's last end across revoke and re-authorisation by the same producer", async function () {
      const f = await loadFixture(transferred);
      const { ledger, producer, meter, purchaser, end1 } = f;
      await ledger.connect(producer).revokeMeter(meter.address);
      await expect(ledger.connect(producer).authorizeMeter(meter.address, RATED_POWER))
        .to.emit(ledger, "MeterAuthorized")
        .withArgs(meter.address, producer.address, RATED_POWER);
      expect((await ledger.meterOf(meter.address)).lastEnd).to.equal(end1);
      await expectRejected(
        f,
        () => ledger.connect(meter).recordTransfer(1n, meter.address, 1n, end1 - 1n, end1 + 1n, DEVICE),
        "WindowOverlaps",
        [meter.address, end1 - 1n, end1],
      );
      await expect(ledger.connect(meter).recordTransfer(1n, meter.address, 1n, end1, end1 + 1n, DEVICE))
        .to.emit(ledger, "EnergyTransferred")
        .withArgs(1n, producer.address, purchaser.address, 2n, meter.address, 1n, end1, end1 + 1n, RATE, DEVICE);
    });

    it("lets another producer take over a revoked meter, which keeps its last end and leaves its old producer", async function () {
      const f = await loadFixture(transferred);
      const { ledger, producer, producer2, meter, purchaser2, end1 } = f;
      // Purchase 2 (of producer2's offer) is made before the meter's last window, measured for purchase 1.
      const purchasedAt2 = await blockTime(await ledger.connect(purchaser2).purchase(2n, 1n, { value: RATE_2 }));
      const lastEnd = purchasedAt2 + 60n;
      await time.increaseTo(lastEnd);
      await ledger.connect(meter).recordTransfer(1n, meter.address, 1n, end1, lastEnd, DEVICE);
      await ledger.connect(producer).revokeMeter(meter.address);
      await expect(ledger.connect(producer2).authorizeMeter(meter.address, RATED_POWER_2))
        .to.emit(ledger, "MeterAuthorized")
        .withArgs(meter.address, producer2.address, RATED_POWER_2);
      expect(plain(await ledger.meterOf(meter.address))).to.deep.equal({
        producer: producer2.address,
        ratedPower: RATED_POWER_2,
        lastEnd,
        active: true,
      });
      // Its first producer cannot take it back while producer2 holds it.
      await expectRejected(
        f,
        () => ledger.connect(producer).authorizeMeter(meter.address, RATED_POWER),
        "MeterOwnedByOther",
        [meter.address, producer2.address],
      );
      // It no longer acts for its first producer...
      await expectRejected(f, () => ledger.connect(meter).recordStorage(1n, 1n), "NotProducerOrMeter", [1n, meter.address]);
      await expectRejected(
        f,
        () => ledger.connect(meter).recordTransfer(1n, meter.address, 1n, lastEnd, lastEnd + 1n, DEVICE),
        "NotProducerOrMeter",
        [1n, meter.address],
      );
      // ...but does for producer2, with its windows still after the last one it measured for producer.
      await expect(ledger.connect(meter).recordStorage(2n, 1n))
        .to.emit(ledger, "StorageRecorded")
        .withArgs(2n, producer2.address, meter.address, 1n);
      await expectRejected(
        f,
        () => ledger.connect(meter).recordTransfer(2n, meter.address, 1n, lastEnd - 1n, lastEnd + 1n, DEVICE),
        "WindowOverlaps",
        [meter.address, lastEnd - 1n, lastEnd],
      );
      await expect(ledger.connect(meter).recordTransfer(2n, meter.address, 1n, lastEnd, lastEnd + 1n, DEVICE))
        .to.emit(ledger, "EnergyTransferred")
        .withArgs(2n, producer2.address, purchaser2.address, 0n, meter.address, 1n, lastEnd, lastEnd + 1n, RATE_2, DEVICE);
    });
  });

  describe("transferOperator", function () {
    it("hands the role over: OperatorTransferred, operator(), and the old operator loses it", async function () {
      const f = await loadFixture(openOffers);
      const { ledger, operator, newOperator } = f;
      await expect(ledger.connect(operator).transferOperator(newOperator.address))
        .to.emit(ledger, "OperatorTransferred")
        .withArgs(operator.address, newOperator.address);
      expect(await ledger.operator()).to.equal(newOperator.address);
      await expectRejected(f, () => ledger.connect(operator).transferOperator(operator.address), "NotOperator", [
        operator.address,
      ]);
      await expect(ledger.connect(newOperator).transferOperator(operator.address))
        .to.emit(ledger, "OperatorTransferred")
        .withArgs(newOperator.address, operator.address);
      expect(await ledger.operator()).to.equal(operator.address);
    });

    it("rejects anyone but the operator", async function () {
      const f = await loadFixture(openOffers);
      for (const account of [f.newOperator, f.producer, f.purchaser, f.stranger]) {
        await expectRejected(f, () => f.ledger.connect(account).transferOperator(account.address), "NotOperator", [
          account.address,
        ]);
      }
    });

    it("rejects the zero address", async function () {
      const f = await loadFixture(openOffers);
      await expectRejected(f, () => f.ledger.connect(f.operator).transferOperator(ethers.ZeroAddress), "ZeroAddress");
    });
  });

  describe("withdraw", function () {
    it("pays the producer its balance: Withdrawn, ETH moved, balance zeroed, the purchaser's balance untouched", async function () {
      const { ledger, producer, purchaser } = await loadFixture(billed);
      const ledgerAddress = await ledger.getAddress();
      const tx = ledger.connect(producer).withdraw();
      await expect(tx).to.emit(ledger, "Withdrawn").withArgs(producer.address, PRODUCER_AMOUNT);
      await expect(tx).to.changeEtherBalances(ethers, [producer, ledgerAddress, purchaser], [PRODUCER_AMOUNT, -PRODUCER_AMOUNT, 0n]);
      expect(await ledger.balanceOf(producer.address)).to.equal(0n);
      expect(await ledger.balanceOf(purchaser.address)).to.equal(REFUND);
      expect(await ethers.provider.getBalance(ledgerAddress)).to.equal(REFUND);
    });

    it("pays the purchaser its refund, once", async function () {
      const f = await loadFixture(billed);
      const { ledger, purchaser } = f;
      await expect(ledger.connect(purchaser).withdraw()).to.changeEtherBalances(
        ethers,
        [purchaser, await ledger.getAddress()],
        [REFUND, -REFUND],
      );
      await expectRejected(f, () => ledger.connect(purchaser).withdraw(), "NothingToWithdraw", [purchaser.address]);
    });

    it("rejects an account with nothing to withdraw", async function () {
      const f = await loadFixture(billed);
      for (const account of [f.stranger, f.meter, f.operator, f.producer2]) {
        await expectRejected(f, () => f.ledger.connect(account).withdraw(), "NothingToWithdraw", [account.address]);
      }
    });
  });

  describe("reentrancy", function () {
    interface Attack extends Deployed {
      attacker: Awaited<ReturnType<typeof deployAttacker>>;
      amount: bigint;
    }

    async function deployAttacker(f: Deployed) {
      return ethers.deployContract("ReentrantWithdrawer", [await f.ledger.getAddress()], f.stranger);
    }

    /** A ReentrantWithdrawer that bought 10 Wh and closed the purchase unbilled: it holds a refund of 10 × RATE. */
    async function attackerWithRefund(): Promise<Attack> {
      const f = await openOffers();
      const attacker = await deployAttacker(f);
      const amount = 10n * RATE;
      const tx = await attacker.connect(f.stranger).buy(1n, 10n, { value: amount });
      await time.increaseTo((await blockTime(tx)) + BILLING_TIMEOUT + 1n);
      await attacker.connect(f.stranger).close(1n);
      return { ...f, attacker, amount };
    }

    it("holds the attacker's refund, which only the attacker's deployer can drive", async function () {
      const { ledger, attacker, amount, purchaser } = await loadFixture(attackerWithRefund);
      const address = await attacker.getAddress();
      expect(await ledger.balanceOf(address)).to.equal(amount);
      expect((await ledger.purchaseOf(1n)).purchaser).to.equal(address);
      await expect(attacker.connect(purchaser).withdraw())
        .to.be.revertedWithCustomError(attacker, "NotOwner")
        .withArgs(purchaser.address);
      expect(await ledger.balanceOf(address)).to.equal(amount);
    });

    it("makes the whole withdrawal fail when the receiver re-enters withdraw and lets the revert bubble", async function () {
      const f = await loadFixture(attackerWithRefund);
      const { ledger, attacker, amount, stranger } = f;
      const address = await attacker.getAddress();
      expect(await attacker.mode()).to.equal(0n); // Reenter
      await expectRejected(f, () => attacker.connect(stranger).withdraw(), "ReentrancyGuardReentrantCall");
      expect(await ledger.balanceOf(address)).to.equal(amount);
      expect(await ethers.provider.getBalance(address)).to.equal(0n);
      expect(await attacker.reentryAttempts()).to.equal(0n);
    });

    it("pays exactly once when the receiver catches the failed re-entry", async function () {
      const { ledger, attacker, amount, stranger } = await loadFixture(attackerWithRefund);
      const address = await attacker.getAddress();
      const ledgerAddress = await ledger.getAddress();
      await attacker.connect(stranger).setMode(1n); // ReenterAndCatch
      const before = await ethers.provider.getBalance(ledgerAddress);
      const tx = attacker.connect(stranger).withdraw();
      await expect(tx).to.emit(ledger, "Withdrawn").withArgs(address, amount);
      const receipt = (await (await tx).wait())!;
      const withdrawn = receipt.logs.filter((log) => ledger.interface.parseLog(log)?.name === "Withdrawn");
      expect(withdrawn).to.have.length(1);
      expect(await ethers.provider.getBalance(address)).to.equal(amount);
      expect(await ethers.provider.getBalance(ledgerAddress)).to.equal(before - amount);
      expect(await ledger.balanceOf(address)).to.equal(0n);
      expect(await attacker.reentryAttempts()).to.equal(1n);
      expect(await attacker.reentrySuccesses()).to.equal(0n);
      // The re-entry failed on the guard, not on the zeroed balance.
      expect(await attacker.lastRevertData()).to.equal(ledger.interface.getError("ReentrancyGuardReentrantCall")!.selector);
    });

    it("keeps the balance when the receiver refuses the payment, and pays it later", async function () {
      const f = await loadFixture(attackerWithRefund);
      const { ledger, attacker, amount, stranger } = f;
      const address = await attacker.getAddress();
      await attacker.connect(stranger).setMode(2n); // Refuse
      const before = await ethers.provider.getBalance(await ledger.getAddress());
      await expect(attacker.connect(stranger).withdraw())
        .to.be.revertedWithCustomError(attacker, "PaymentRefused")
        .withArgs(amount);
      expect(await ledger.balanceOf(address)).to.equal(amount);
      expect(await ethers.provider.getBalance(await ledger.getAddress())).to.equal(before);
      await attacker.connect(stranger).setMode(1n);
      await expect(attacker.connect(stranger).withdraw()).to.emit(ledger, "Withdrawn").withArgs(address, amount);
      expect(await ethers.provider.getBalance(address)).to.equal(amount);
    });
  });
});
