/**
 * An in-process Hardhat chain with GridLedger deployed, and clients for its actors.
 */
import { network } from "hardhat";
import { GridLedgerClient, type ClientOptions } from "../../src/ledgerClient.js";

export const DAY = 86_400n;
export const RATE = 200_000_000_000n; // 0.0002 ETH per kWh, in wei per Wh

export async function ledgerFixture(options: ClientOptions = {}) {
  const connection = await network.create();
  const { ethers, networkHelpers } = connection;
  const [operator, producer, meter, purchaser, other] = await ethers.getSigners();
  const contract = await ethers.deployContract("GridLedger", [operator.address, DAY, 3n * DAY, 7n * DAY]);
  const address = await contract.getAddress();
  const connect = (signer: Parameters<typeof GridLedgerClient.connect>[0]) => GridLedgerClient.connect(signer, { ...options, address });
  return {
    connection,
    ethers,
    networkHelpers,
    address,
    accounts: { operator, producer, meter, purchaser, other },
    operator: await connect(operator),
    producer: await connect(producer),
    meter: await connect(meter),
    purchaser: await connect(purchaser),
    other: await connect(other),
    reader: await connect(ethers.provider),
    connect,
  };
}

export type LedgerFixture = Awaited<ReturnType<typeof ledgerFixture>>;

/** Offer → purchase → transfer, ready to be acknowledged and billed. Returns the ids. */
export async function deliveredPurchase(f: LedgerFixture, quantity = 5_000n, delivered = quantity) {
  await f.producer.authorizeMeter({ meter: f.accounts.meter.address, ratedPower: 10_000n });
  const { id: offerId } = await f.producer.openOffer({ capacity: 100_000n, available: 80_000n, rate: RATE, location: "North substation" });
  const { id: purchaseId } = await f.purchaser.purchase({ offerId, quantity });
  const { purchasedAt } = await f.reader.purchaseOf(purchaseId);
  // Deliver over the next hour: windows start at or after the purchase and end in the past.
  await f.networkHelpers.time.increase(7200);
  const meterState = await f.reader.meterOf(f.accounts.meter.address);
  const start = meterState.lastEnd > purchasedAt ? meterState.lastEnd : purchasedAt;
  const { id: index } = await f.meter.recordTransfer({
    purchaseId,
    meter: f.accounts.meter.address,
    amount: delivered,
    start,
    end: start + 3600n,
    device: "inverter-1",
  });
  return { offerId, purchaseId, index };
}
