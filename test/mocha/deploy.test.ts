import { expect } from "chai";
import GridLedgerModule, {
  DEFAULT_BILLING_TIMEOUT,
  DEFAULT_DISPUTE_WINDOW,
  DEFAULT_RESOLUTION_WINDOW,
} from "../../ignition/modules/GridLedger.js";
import {
  BILLING_TIMEOUT,
  CODEC_DAG_PB,
  CODEC_RAW,
  DISPUTE_WINDOW,
  MAX_CAPACITY,
  MAX_DEVICE_NAME,
  MAX_QUANTITY,
  MAX_RATE,
  MAX_RATED_POWER,
  MAX_TRANSFERS,
  MAX_WINDOW,
  RESOLUTION_WINDOW,
  connection,
  deployLedger,
  ethers,
  expected,
  counts,
  networkHelpers,
  plain,
} from "./fixtures.js";

const { loadFixture } = networkHelpers;

describe("GridLedger: deployment", function () {
  it("stores the operator and the three windows and emits OperatorTransferred(0, operator)", async function () {
    const { ledger, operator } = await loadFixture(deployLedger);
    expect(await ledger.operator()).to.equal(operator.address);
    expect(await ledger.disputeWindow()).to.equal(DISPUTE_WINDOW);
    expect(await ledger.resolutionWindow()).to.equal(RESOLUTION_WINDOW);
    expect(await ledger.billingTimeout()).to.equal(BILLING_TIMEOUT);
    const deployment = ledger.deploymentTransaction();
    expect(deployment).to.not.equal(null);
    await expect(deployment!).to.emit(ledger, "OperatorTransferred").withArgs(ethers.ZeroAddress, operator.address);
  });

  it("deploys with an operator other than the deployer", async function () {
    const [deployer, , , , , , , , , other] = await ethers.getSigners();
    const ledger = await ethers.deployContract("GridLedger", [other.address, 1n, 2n, 3n], deployer);
    expect(await ledger.operator()).to.equal(other.address);
    expect(await ledger.disputeWindow()).to.equal(1n);
    expect(await ledger.resolutionWindow()).to.equal(2n);
    expect(await ledger.billingTimeout()).to.equal(3n);
    await expect(ledger.deploymentTransaction()!)
      .to.emit(ledger, "OperatorTransferred")
      .withArgs(ethers.ZeroAddress, other.address);
  });

  it("starts with no records, no balances and the documented bounds", async function () {
    const { ledger, all } = await loadFixture(deployLedger);
    expect(await counts(ledger)).to.deep.equal(expected({}));
    for (const account of all) {
      expect(await ledger.balanceOf(account.address)).to.equal(0n);
      expect(plain(await ledger.meterOf(account.address))).to.deep.equal({
        producer: ethers.ZeroAddress,
        ratedPower: 0n,
        lastEnd: 0n,
        active: false,
      });
    }
    expect(await ethers.provider.getBalance(await ledger.getAddress())).to.equal(0n);
    expect(await ledger.MAX_CAPACITY()).to.equal(MAX_CAPACITY);
    expect(await ledger.MAX_QUANTITY()).to.equal(MAX_QUANTITY);
    expect(await ledger.MAX_RATE()).to.equal(MAX_RATE);
    expect(await ledger.MAX_RATED_POWER()).to.equal(MAX_RATED_POWER);
    expect(await ledger.MAX_DEVICE_NAME()).to.equal(MAX_DEVICE_NAME);
    expect(await ledger.MAX_TRANSFERS()).to.equal(MAX_TRANSFERS);
    expect(await ledger.MAX_WINDOW()).to.equal(MAX_WINDOW);
    expect(await ledger.CODEC_RAW()).to.equal(CODEC_RAW);
    expect(await ledger.CODEC_DAG_PB()).to.equal(CODEC_DAG_PB);
  });

  it("rejects unknown ids in the views", async function () {
    const { ledger } = await loadFixture(deployLedger);
    await expect(ledger.offerOf(0n)).to.be.revertedWithCustomError(ledger, "UnknownOffer").withArgs(0n);
    await expect(ledger.offerOf(1n)).to.be.revertedWithCustomError(ledger, "UnknownOffer").withArgs(1n);
    await expect(ledger.purchaseOf(1n)).to.be.revertedWithCustomError(ledger, "UnknownPurchase").withArgs(1n);
    await expect(ledger.transferOf(1n, 0n)).to.be.revertedWithCustomError(ledger, "UnknownPurchase").withArgs(1n);
    await expect(ledger.billBlockOf(1n)).to.be.revertedWithCustomError(ledger, "UnknownPurchase").withArgs(1n);
  });

  describe("constructor rejections", function () {
    const good = async () => (await ethers.getSigners())[0].address;

    it("rejects a zero operator with ZeroAddress", async function () {
      const { ledger } = await loadFixture(deployLedger);
      await expect(
        ethers.deployContract("GridLedger", [ethers.ZeroAddress, DISPUTE_WINDOW, RESOLUTION_WINDOW, BILLING_TIMEOUT]),
      ).to.be.revertedWithCustomError(ledger, "ZeroAddress");
    });

    it("rejects a zero dispute window with ZeroWindow", async function () {
      const { ledger } = await loadFixture(deployLedger);
      await expect(
        ethers.deployContract("GridLedger", [await good(), 0n, RESOLUTION_WINDOW, BILLING_TIMEOUT]),
      ).to.be.revertedWithCustomError(ledger, "ZeroWindow");
    });

    it("rejects a zero resolution window with ZeroWindow", async function () {
      const { ledger } = await loadFixture(deployLedger);
      await expect(
        ethers.deployContract("GridLedger", [await good(), DISPUTE_WINDOW, 0n, BILLING_TIMEOUT]),
      ).to.be.revertedWithCustomError(ledger, "ZeroWindow");
    });

    it("rejects a zero billing timeout with ZeroWindow", async function () {
      const { ledger } = await loadFixture(deployLedger);
      await expect(
        ethers.deployContract("GridLedger", [await good(), DISPUTE_WINDOW, RESOLUTION_WINDOW, 0n]),
      ).to.be.revertedWithCustomError(ledger, "ZeroWindow");
    });

    it("accepts windows of one second", async function () {
      const ledger = await ethers.deployContract("GridLedger", [await good(), 1n, 1n, 1n]);
      expect(await ledger.disputeWindow()).to.equal(1n);
    });

    /** Deploys with `windows`, expecting `error(...args)`, and checks that nothing was deployed. */
    async function expectDeployRejected(windows: bigint[], error: string, args: unknown[]): Promise<void> {
      const { ledger } = await loadFixture(deployLedger);
      const [deployer] = await ethers.getSigners();
      const nonce = await ethers.provider.getTransactionCount(deployer.address);
      const at = ethers.getCreateAddress({ from: deployer.address, nonce });
      await expect(ethers.deployContract("GridLedger", [deployer.address, ...windows], deployer))
        .to.be.revertedWithCustomError(ledger, error)
        .withArgs(...args);
      expect(await ethers.provider.getCode(at)).to.equal("0x");
    }

    it("accepts all three windows at exactly 365 days", async function () {
      const ledger = await ethers.deployContract("GridLedger", [await good(), MAX_WINDOW, MAX_WINDOW, MAX_WINDOW]);
      expect(MAX_WINDOW).to.equal(365n * 24n * 3600n);
      expect(await ledger.disputeWindow()).to.equal(MAX_WINDOW);
      expect(await ledger.resolutionWindow()).to.equal(MAX_WINDOW);
      expect(await ledger.billingTimeout()).to.equal(MAX_WINDOW);
    });

    const windowNames = ["dispute window", "resolution window", "billing timeout"];
    const withWindow = (i: number, value: bigint): bigint[] => {
      const windows = [DISPUTE_WINDOW, RESOLUTION_WINDOW, BILLING_TIMEOUT];
      windows[i] = value;
      return windows;
    };

    windowNames.forEach((name, i) => {
      it(`rejects a ${name} of 365 days + 1 s with WindowTooLong(window, 365 days); 365 days exactly is accepted`, async function () {
        const accepted = await ethers.deployContract("GridLedger", [await good(), ...withWindow(i, MAX_WINDOW)]);
        const stored = [await accepted.disputeWindow(), await accepted.resolutionWindow(), await accepted.billingTimeout()];
        expect(stored).to.deep.equal(withWindow(i, MAX_WINDOW));
        await expectDeployRejected(withWindow(i, MAX_WINDOW + 1n), "WindowTooLong", [MAX_WINDOW + 1n, MAX_WINDOW]);
        await expectDeployRejected(withWindow(i, 2n ** 256n - 1n), "WindowTooLong", [2n ** 256n - 1n, MAX_WINDOW]);
      });
    });

    it("names the longest window in WindowTooLong when several are too long", async function () {
      await expectDeployRejected([MAX_WINDOW + 5n, MAX_WINDOW + 9n, MAX_WINDOW + 1n], "WindowTooLong", [
        MAX_WINDOW + 9n,
        MAX_WINDOW,
      ]);
      await expectDeployRejected([MAX_WINDOW + 1n, MAX_WINDOW, MAX_WINDOW + 7n], "WindowTooLong", [MAX_WINDOW + 7n, MAX_WINDOW]);
    });

    it("rejects a zero window with ZeroWindow before a window that is too long", async function () {
      await expectDeployRejected([0n, MAX_WINDOW + 1n, MAX_WINDOW + 1n], "ZeroWindow", []);
      await expectDeployRejected([MAX_WINDOW + 1n, MAX_WINDOW + 1n, 0n], "ZeroWindow", []);
    });
  });

  describe("Ignition module", function () {
    it("deploys with the default windows (24 h, 72 h, 7 d) and the deploying account as operator", async function () {
      const [deployer] = await ethers.getSigners();
      const { ledger: deployed } = await connection.ignition.deploy(GridLedgerModule, {
        deploymentId: "mocha-defaults",
      });
      const ledger = await ethers.getContractAt("GridLedger", await deployed.getAddress());
      expect(DEFAULT_DISPUTE_WINDOW).to.equal(24n * 3600n);
      expect(DEFAULT_RESOLUTION_WINDOW).to.equal(72n * 3600n);
      expect(DEFAULT_BILLING_TIMEOUT).to.equal(7n * 24n * 3600n);
      expect(await ledger.operator()).to.equal(deployer.address);
      expect(await ledger.disputeWindow()).to.equal(24n * 3600n);
      expect(await ledger.resolutionWindow()).to.equal(72n * 3600n);
      expect(await ledger.billingTimeout()).to.equal(7n * 24n * 3600n);
      expect(await counts(ledger)).to.deep.equal(expected({}));
    });

    it("takes the operator and the windows as parameters", async function () {
      const signers = await ethers.getSigners();
      const chosen = signers[9];
      const { ledger: deployed } = await connection.ignition.deploy(GridLedgerModule, {
        deploymentId: "mocha-parameters",
        parameters: {
          GridLedger: { operator: chosen.address, disputeWindow: 11n, resolutionWindow: 22n, billingTimeout: 33n },
        },
      });
      const ledger = await ethers.getContractAt("GridLedger", await deployed.getAddress());
      expect(await ledger.operator()).to.equal(chosen.address);
      expect(await ledger.disputeWindow()).to.equal(11n);
      expect(await ledger.resolutionWindow()).to.equal(22n);
      expect(await ledger.billingTimeout()).to.equal(33n);
      const logs = await ledger.queryFilter(ledger.filters.OperatorTransferred());
      expect(logs.map((l) => [l.args.previousOperator, l.args.newOperator])).to.deep.equal([
        [ethers.ZeroAddress, chosen.address],
      ]);
    });
  });
});
