/**
 * Shared connection, constants, fixtures and helpers of the GridLedger mocha suite.
 *
 * Every test file imports this module, so they all share one simulated network; each test starts
 * from a fixture through `networkHelpers.loadFixture`, which restores a snapshot of the fixture's state.
 */
import { expect } from "chai";
import type { ContractTransactionResponse, Result } from "ethers";
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { GridLedger } from "../../types/ethers-contracts/index.js";

export const connection = await network.create();
export const { ethers, networkHelpers } = connection;
export const { time } = networkHelpers;

// ------------------------------------------------------------------ constants

/** Deployment windows of the fixtures: deliberately distinct (and not the Ignition defaults) so a swap shows. */
export const DISPUTE_WINDOW = 86_400n; // 1 day
export const RESOLUTION_WINDOW = 2n * 86_400n; // 2 days
export const BILLING_TIMEOUT = 5n * 86_400n; // 5 days
/** Longest dispute, resolution or billing window the constructor accepts: one year. */
export const MAX_WINDOW = 365n * 86_400n;

export const CAPACITY = 10_000n; // Wh
export const AVAILABLE = 6_000n; // Wh
export const RATE = 1_234_567n; // wei per Wh
export const LOCATION = "Berlin-Mitte/Feeder-7";
export const CAPACITY_2 = 20_000n;
export const AVAILABLE_2 = 15_000n;
export const RATE_2 = 7_654_321n;
export const LOCATION_2 = "Zürich-Nord"; // multi-byte UTF-8

/** 36 kW: a meter measures at most 10 Wh per second of window. */
export const RATED_POWER = 36_000n;
export const RATED_POWER_2 = 72_000n;

export const QUANTITY = 500n; // Wh bought in purchase 1
export const COST = QUANTITY * RATE;

/** The two transfers of `transferred`: index 0 (stored inline) by the meter, index 1 (mapping) by the producer. */
export const AMOUNT_0 = 200n;
export const AMOUNT_1 = 150n;
export const DEVICE = "inverter-A1";
export const DEVICE_1 = "inverter-A1/phase-2";

export const DIGEST = "0x" + "ab".repeat(32);
export const DIGEST_2 = "0x" + "cd".repeat(32);
export const CODEC_RAW = 0x55;
export const CODEC_DAG_PB = 0x70;

export const MAX_CAPACITY = 2n ** 40n - 1n;
export const MAX_QUANTITY = 2n ** 32n - 1n;
export const MAX_RATE = 2n ** 56n - 1n;
export const MAX_RATED_POWER = 2n ** 32n - 1n;
export const MAX_DEVICE_NAME = 64n;
export const MAX_TRANSFERS = 2n ** 16n - 1n;

export const TransferState = { None: 0n, Pending: 1n, Acknowledged: 2n, Disputed: 3n, Upheld: 4n, Rejected: 5n };
export const PurchaseStatus = { Open: 0n, Billed: 1n, Closed: 2n };

// ------------------------------------------------------------------- fixtures

export interface Accounts {
  operator: HardhatEthersSigner;
  producer: HardhatEthersSigner;
  purchaser: HardhatEthersSigner;
  meter: HardhatEthersSigner;
  producer2: HardhatEthersSigner;
  meter2: HardhatEthersSigner;
  purchaser2: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  meter3: HardhatEthersSigner;
  newOperator: HardhatEthersSigner;
}

export interface Deployed extends Accounts {
  ledger: GridLedger;
  /** Every account the suite uses, for balance snapshots. */
  all: HardhatEthersSigner[];
}

/** A fresh ledger with the fixture windows; no records. */
export async function deployLedger(): Promise<Deployed> {
  const [operator, producer, purchaser, meter, producer2, meter2, purchaser2, stranger, meter3, newOperator] =
    await ethers.getSigners();
  const ledger = await ethers.deployContract("GridLedger", [
    operator.address,
    DISPUTE_WINDOW,
    RESOLUTION_WINDOW,
    BILLING_TIMEOUT,
  ]);
  await ledger.waitForDeployment();
  const accounts = { operator, producer, purchaser, meter, producer2, meter2, purchaser2, stranger, meter3, newOperator };
  return { ledger, ...accounts, all: Object.values(accounts) };
}

/**
 * Offer 1 by `producer` (meter `meter`, 36 kW) and offer 2 by `producer2` (meter `meter2`, 72 kW).
 * `meter3` is a second meter of `producer` with a rated power of 1 kW.
 */
export async function openOffers(): Promise<Deployed> {
  const f = await deployLedger();
  const { ledger, producer, producer2, meter, meter2, meter3 } = f;
  await ledger.connect(producer).openOffer(CAPACITY, AVAILABLE, RATE, LOCATION);
  await ledger.connect(producer2).openOffer(CAPACITY_2, AVAILABLE_2, RATE_2, LOCATION_2);
  await ledger.connect(producer).authorizeMeter(meter.address, RATED_POWER);
  await ledger.connect(producer2).authorizeMeter(meter2.address, RATED_POWER_2);
  await ledger.connect(producer).authorizeMeter(meter3.address, 1_000n);
  return f;
}

export interface Purchased extends Deployed {
  /** Block timestamp of purchase 1. */
  purchasedAt: bigint;
}

/** `openOffers` plus purchase 1: `purchaser` buys QUANTITY Wh of offer 1; then an hour passes. */
export async function purchased(): Promise<Purchased> {
  const f = await openOffers();
  const tx = await f.ledger.connect(f.purchaser).purchase(1n, QUANTITY, { value: COST });
  const purchasedAt = await blockTime(tx);
  await time.increase(3600);
  return { ...f, purchasedAt };
}

export interface Transferred extends Purchased {
  start0: bigint;
  end0: bigint;
  start1: bigint;
  end1: bigint;
  /** Block timestamp of the transaction that recorded transfer 0: its dispute window runs from here. */
  recordedAt0: bigint;
  /** Block timestamp of the transaction that recorded transfer 1 (RECORD_GAP after transfer 0): purchase 1's lastRecordedAt. */
  recordedAt1: bigint;
}

/** Seconds between the recordings of the two transfers of `transferred`: their windows' deadlines differ by this much. */
export const RECORD_GAP = 900n;

/**
 * `purchased` plus two transfers of purchase 1, both measured on `meter`:
 * index 0 (inline slot) recorded by the meter, index 1 (mapping) recorded by the producer naming the meter.
 * Windows: [purchasedAt + 600, purchasedAt + 1200] and [purchasedAt + 1200, purchasedAt + 1800], both after the
 * purchase and long over when recorded: transfer 0 is recorded at recordedAt0 (a minute after the hour that
 * follows the purchase), transfer 1 at recordedAt1 = recordedAt0 + RECORD_GAP.
 */
export async function transferred(): Promise<Transferred> {
  const f = await purchased();
  const { ledger, meter, producer } = f;
  const start0 = f.purchasedAt + 600n;
  const end0 = start0 + 600n;
  const start1 = end0;
  const end1 = start1 + 600n;
  const recordedAt0 = BigInt(await time.latest()) + 60n;
  const recordedAt1 = recordedAt0 + RECORD_GAP;
  await sendAt(recordedAt0, () => ledger.connect(meter).recordTransfer(1n, meter.address, AMOUNT_0, start0, end0, DEVICE));
  await sendAt(recordedAt1, () =>
    ledger.connect(producer).recordTransfer(1n, meter.address, AMOUNT_1, start1, end1, DEVICE_1),
  );
  return { ...f, start0, end0, start1, end1, recordedAt0, recordedAt1 };
}

/** `transferred` plus both transfers disputed by the purchaser (reasons 3 and 7). */
export async function disputed(): Promise<Transferred> {
  const f = await transferred();
  await f.ledger.connect(f.purchaser).disputeTransfer(1n, 0n, 3);
  await f.ledger.connect(f.purchaser).disputeTransfer(1n, 1n, 7);
  return f;
}

// -------------------------------------------------------------------- helpers

/** The timestamp of the block that mined a transaction. */
export async function blockTime(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("transaction dropped");
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  if (block === null) throw new Error("block not found");
  return BigInt(block.timestamp);
}

/**
 * Sends a transaction in a block mined at exactly `timestamp` and returns it, so that times the contract takes
 * from `block.timestamp` (a transfer's `recordedAt`, a purchase's `purchasedAt`) are known to the second.
 */
export async function sendAt(
  timestamp: bigint,
  send: () => Promise<ContractTransactionResponse>,
): Promise<ContractTransactionResponse> {
  await time.setNextBlockTimestamp(timestamp);
  const tx = await send();
  expect(await blockTime(tx)).to.equal(timestamp);
  return tx;
}

/** The fee a transaction cost its sender, wei. */
export async function fee(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("transaction dropped");
  return receipt.gasUsed * receipt.gasPrice;
}

/** Converts an ethers `Result` (a struct read back from a view) into a plain object so chai deep-equal shows real diffs. */
export function plain(value: unknown): Record<string, unknown> {
  return (value as Result).toObject(true);
}

/** Everything observable about the ledger: counts, offers, purchases with all their transfers, meters, balances. */
export async function snapshotState(f: Deployed): Promise<Record<string, unknown>> {
  const { ledger } = f;
  const counts = await ledger.recordCounts();
  const offers: unknown[] = [];
  for (let id = 1n; id <= counts.offers; id++) offers.push(plain(await ledger.offerOf(id)));
  const purchases: unknown[] = [];
  for (let id = 1n; id <= counts.purchases; id++) {
    const p = await ledger.purchaseOf(id);
    const transfers: unknown[] = [];
    // Read every transfer, except for a purchase whose count was forced up in storage: then the first two and the last.
    const indices =
      p.transferCount <= 16n
        ? Array.from({ length: Number(p.transferCount) }, (_, i) => BigInt(i))
        : [0n, 1n, p.transferCount - 1n];
    for (const i of indices) transfers.push(plain(await ledger.transferOf(id, i)));
    purchases.push({ purchase: plain(p), transfers, billBlock: await ledger.billBlockOf(id) });
  }
  const meters: Record<string, unknown> = {};
  const balances: Record<string, bigint> = {};
  for (const account of f.all) {
    meters[account.address] = plain(await ledger.meterOf(account.address));
    balances[account.address] = await ledger.balanceOf(account.address);
  }
  return {
    counts: plain(counts),
    offers,
    purchases,
    meters,
    balances,
    operator: await ledger.operator(),
    ether: await ethers.provider.getBalance(await ledger.getAddress()),
  };
}

/**
 * Asserts that `action` reverts with exactly `error(...args)` and that no observable state of the ledger changed.
 */
export async function expectRejected(
  f: Deployed,
  action: () => Promise<unknown>,
  error: string,
  args: unknown[] = [],
): Promise<void> {
  const before = await snapshotState(f);
  await expect(action()).to.be.revertedWithCustomError(f.ledger, error).withArgs(...args);
  const after = await snapshotState(f);
  expect(after).to.deep.equal(before);
}

/** The record counts as a plain object. */
export async function counts(ledger: GridLedger): Promise<Record<string, bigint>> {
  const c = await ledger.recordCounts();
  return {
    offers: c.offers,
    storageReadings: c.storageReadings,
    purchases: c.purchases,
    transfers: c.transfers,
    acknowledgements: c.acknowledgements,
    bills: c.bills,
  };
}

/** Builds a RecordCounts expectation, zero where not given. */
export function expected(c: Partial<Record<string, bigint>>): Record<string, bigint> {
  return {
    offers: 0n,
    storageReadings: 0n,
    purchases: 0n,
    transfers: 0n,
    acknowledgements: 0n,
    bills: 0n,
    ...c,
  };
}
