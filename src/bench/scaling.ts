/**
 * Scaling: with 1,000 / 10,000 / 100,000 records on chain, what reading them costs (one page of history, one
 * purchaser's page, the record counts) and what a new record costs in gas. Records are seeded from many unlocked
 * development accounts at once (anvil signs; a block per transaction), then measured through the core client.
 */
import { Interface, Wallet, id as keccakText, type JsonRpcSigner } from "ethers";
import { gridLedgerAbi } from "../generated/contracts.js";
import { GridLedgerClient, type RecordCounts } from "../ledgerClient.js";
import { median } from "../stats.js";
import { deployGridLedger } from "../sim/localGrid.js";
import type { ReceiptPollingProvider } from "../sim/provider.js";
import type { RpcCall } from "../jsonRpcBatch.js";
import { hex, minedNonces, minerWatchdog, rpc, rpcBatch, waitForNonces } from "./rpc.js";

export interface ScalingOptions {
  url: string;
  operator: JsonRpcSigner;
  provider: ReceiptPollingProvider;
  /** Record totals to measure at, ascending. */
  levels: number[];
  /** Unlocked development accounts to seed from (at least 8). */
  devAccounts: string[];
  log?: (line: string) => void;
}

export interface ScalingLevel {
  records: number;
  blocks: number;
  seedSeconds: number;
  /** ms, medians of repeated reads. */
  historyPageMs: number;
  purchaserPageMs: number;
  purchaserPageEvents: number;
  countsMs: number;
  /** A purchaser with one record, made before all the others: the page reads back to the deployment. */
  sparsePurchaserPageMs: number;
  gas: { purchase: number; storageReading: number };
}

export interface ScalingResult {
  levels: ScalingLevel[];
  /** Blocks mined by evm_mine for transactions anvil's automine left in its pool (see minerWatchdog). */
  minerNudges: number;
  pageSize: number;
  trackedShare: number;
  logRange: number;
  method: string;
}

const ledger = new Interface(gridLedgerAbi);
const RATE = 1n; // wei per Wh: seeding purchases cost next to nothing
const QUANTITY = 100n;
const PAGE = 50;
/** One seeded record in this many is a purchase of the tracked purchaser. */
const TRACKED_EVERY = 50;

const total = (c: RecordCounts) => Number(c.offers + c.storageReadings + c.purchases + c.transfers + c.acknowledgements + c.bills);

export async function measureScaling(o: ScalingOptions): Promise<ScalingResult> {
  const log = o.log ?? (() => {});
  if (o.devAccounts.length < 8) throw new Error("scaling: needs at least 8 unlocked development accounts");
  const { address, deployedAtBlock } = await deployGridLedger(o.operator);
  const [, producer, tracked, sparse, ...rest] = o.devAccounts;
  const meters = rest.slice(0, Math.floor(rest.length / 2));
  const purchasers = rest.slice(meters.length);
  const reader = await GridLedgerClient.connect(o.provider, { address, fromBlock: deployedAtBlock });

  // Setup through plain calls from the unlocked accounts.
  const send = (from: string, data: string, value = 0n, nonce?: number): RpcCall => ({
    method: "eth_sendTransaction",
    params: [
      {
        from,
        to: address,
        data,
        value: hex(value),
        gas: hex(300_000),
        // Priced well above the base fee, so that no seeded transaction waits in the pool for the fee to fall.
        maxFeePerGas: hex(100_000_000_000n),
        maxPriorityFeePerGas: hex(1_000_000_000n),
        ...(nonce === undefined ? {} : { nonce: hex(nonce) }),
      },
    ],
  });
  const mined = async (hash: unknown) => {
    for (let i = 0; i < 500; i++) {
      const receipt = await rpc<{ status: string } | null>(o.url, "eth_getTransactionReceipt", [hash]);
      if (receipt) {
        if (receipt.status !== "0x1") throw new Error(`scaling: setup transaction ${String(hash)} reverted`);
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`scaling: setup transaction ${String(hash)} was not mined`);
  };
  await mined(await rpc(o.url, "eth_sendTransaction", send(producer, ledger.encodeFunctionData("openOffer", [10n ** 12n, 10n ** 12n, RATE, "Scaling substation"])).params));
  const offerId = 1n;
  for (const m of meters) await mined(await rpc(o.url, "eth_sendTransaction", send(producer, ledger.encodeFunctionData("authorizeMeter", [m, 10_000n])).params));
  const purchaseData = ledger.encodeFunctionData("purchase", [offerId, QUANTITY]);
  await mined(await rpc(o.url, "eth_sendTransaction", send(sparse, purchaseData, RATE * QUANTITY).params));

  // The gas of a new record is measured through the client from fresh accounts at each level: anvil 1.7.1 was
  // seen to leave an account's second transaction unmined in its pool after a burst of seeding (evm_mine left it
  // out too), while first transactions always went through.
  const recordClients = async (level: number) => {
    const gasMeter = new Wallet(keccakText(`gridledger-bench/scaling/meter/${level}`), o.provider);
    const gasPurchaser = new Wallet(keccakText(`gridledger-bench/scaling/purchaser/${level}`), o.provider);
    await rpcBatch(o.url, [gasMeter, gasPurchaser].map((w) => ({ method: "anvil_setBalance", params: [w.address, hex(10n ** 21n)] })));
    await mined(await rpc(o.url, "eth_sendTransaction", send(producer, ledger.encodeFunctionData("authorizeMeter", [gasMeter.address, 10_000n])).params));
    const options = { address, fromBlock: deployedAtBlock, confirmTimeoutMs: 30_000 };
    return { meterClient: await GridLedgerClient.connect(gasMeter, options), purchaserClient: await GridLedgerClient.connect(gasPurchaser, options) };
  };

  // Seeding: a steady mix, so that every part of the chain looks alike.
  const seeders = [tracked, ...meters, ...purchasers];
  const nonces = new Map<string, number>();
  for (const [i, n] of (await minedNonces(o.url, seeders)).entries()) nonces.set(seeders[i], n);
  let slot = 0;
  /** The record of the next slot: who sends it and what. */
  const nextRecord = (): { from: string; data: string; value: bigint } => {
    const i = slot++;
    if (i % TRACKED_EVERY === 0) return { from: tracked, data: purchaseData, value: RATE * QUANTITY };
    if (i % 2 === 0) return { from: purchasers[(i >> 1) % purchasers.length], data: purchaseData, value: RATE * QUANTITY };
    return { from: meters[(i >> 1) % meters.length], data: ledger.encodeFunctionData("recordStorage", [offerId, 10n ** 12n - BigInt(i)]), value: 0n };
  };
  /**
   * The next `count` records, split into lanes of accounts (an account belongs to one lane), each lane a list of
   * rounds with at most one transaction per account. Lanes run concurrently, a lane's rounds one after another, so
   * two transactions of one account are never in flight in concurrent requests: anvil's pool can leave an
   * account's next nonce parked as "queued" when they are.
   */
  const LANES = 4;
  const laneOf = new Map(seeders.map((a, i) => [a, i % LANES]));
  const nextLanes = (count: number): RpcCall[][][] => {
    const lanes: RpcCall[][][] = Array.from({ length: LANES }, () => []);
    const open: { round: RpcCall[]; senders: Set<string> }[] = Array.from({ length: LANES }, () => ({ round: [], senders: new Set() }));
    for (let k = 0; k < count; k++) {
      const r = nextRecord();
      const lane = laneOf.get(r.from)!;
      const current = open[lane];
      if (current.senders.has(r.from)) {
        lanes[lane].push(current.round);
        open[lane] = { round: [], senders: new Set() };
      }
      open[lane].senders.add(r.from);
      const nonce = nonces.get(r.from)!;
      nonces.set(r.from, nonce + 1);
      open[lane].round.push(send(r.from, r.data, r.value, nonce));
    }
    open.forEach((o, lane) => o.round.length && lanes[lane].push(o.round));
    return lanes;
  };

  const levels: ScalingLevel[] = [];
  const watchdog = minerWatchdog(o.url);
  try {
  for (const level of o.levels) {
    const t0 = performance.now();
    let have = total(await reader.counts());
    let lastLog = performance.now();
    while (have < level) {
      // Seeding mines by hand: automine off, each lane's round sent as one JSON-RPC batch and mined with evm_mine.
      // (anvil 1.7.1's automine stops mining altogether after a burst of concurrent requests: every later
      // transaction then waits for an evm_mine. Measured, and the reason for this.) Automine is back on for the
      // measurements, which send through the client as any user would.
      await rpc(o.url, "evm_setAutomine", [false]);
      try {
        let sent = 0;
        await Promise.all(
          nextLanes(level - have).map(async (rounds) => {
            for (const round of rounds) {
              await rpcBatch(o.url, round, 120_000);
              await rpc(o.url, "evm_mine");
              sent += round.length;
              if (performance.now() - lastLog > 5_000) {
                lastLog = performance.now();
                log(`scaling: seeding ${have + sent}/${level} records`);
              }
            }
          }),
        );
        await waitForNonces(o.url, seeders, seeders.map((s) => nonces.get(s)!), 180_000, 50, async () => {
          await rpc(o.url, "evm_mine");
        });
      } catch (error) {
        const pool = await rpc(o.url, "txpool_status").catch(() => "unknown");
        throw new Error(`scaling: seeding stalled: ${(error as Error).message}; txpool ${JSON.stringify(pool)}`);
      } finally {
        await rpc(o.url, "evm_setAutomine", [true]);
      }
      have = total(await reader.counts());
    }
    const seedSeconds = (performance.now() - t0) / 1000;
    const timed = async (runs: number, read: () => Promise<unknown>) => {
      await read(); // warm
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const s = performance.now();
        await read();
        times.push(performance.now() - s);
      }
      return Math.round(median(times) * 100) / 100;
    };
    const historyPageMs = await timed(5, () => reader.history({}, { size: PAGE }));
    let purchaserPageEvents = 0;
    const purchaserPageMs = await timed(5, async () => {
      purchaserPageEvents = (await reader.history({ purchaser: tracked }, { size: PAGE })).events.length;
    });
    const countsMs = await timed(5, () => reader.counts());
    const sparsePurchaserPageMs = await timed(3, () => reader.history({ purchaser: sparse }, { size: PAGE }));
    const { meterClient, purchaserClient } = await recordClients(level);
    const purchase = await purchaserClient.purchase({ offerId, quantity: QUANTITY });
    const reading = await meterClient.recordStorage({ offerId, available: 10n ** 12n - 7n });
    const blocks = (await o.provider.getBlockNumber()) - deployedAtBlock;
    const row: ScalingLevel = {
      records: total(await reader.counts()),
      blocks,
      seedSeconds: Math.round(seedSeconds * 10) / 10,
      historyPageMs,
      purchaserPageMs,
      purchaserPageEvents,
      countsMs,
      sparsePurchaserPageMs,
      gas: { purchase: Number(purchase.gasUsed), storageReading: Number(reading.gasUsed) },
    };
    levels.push(row);
    log(
      `scaling: ${row.records} records (${blocks} blocks, seeded in ${row.seedSeconds} s): history page ${historyPageMs} ms, ` +
        `purchaser page ${purchaserPageMs} ms, counts ${countsMs} ms, sparse purchaser ${sparsePurchaserPageMs} ms, ` +
        `gas purchase ${row.gas.purchase}, reading ${row.gas.storageReading}`,
    );
  }
  } finally {
    watchdog.stop();
  }
  if (watchdog.nudges() > 0) log(`scaling: mined ${watchdog.nudges()} block(s) by hand for transactions anvil's automine left in its pool`);
  return {
    minerNudges: watchdog.nudges(),
    levels,
    pageSize: PAGE,
    trackedShare: 1 / TRACKED_EVERY,
    logRange: reader.logRange,
    method:
      `Records seeded from ${seeders.length} unlocked anvil accounts at once (four lanes of accounts in parallel, each sending JSON-RPC batches of one transaction per account, each batch mined with evm_mine: anvil 1.7.1's automine stops after such bursts): ` +
      `half storage readings, half purchases, one record in ${TRACKED_EVERY} a purchase of the tracked purchaser. At ` +
      `each level, through GridLedgerClient: history() newest page of ${PAGE}; history({ purchaser }) page of ${PAGE} for the ` +
      "tracked purchaser; recordCounts(); history({ purchaser }) for a purchaser whose only record is the first one (the read " +
      "walks back to the deployment block: the worst case); and the gas of one new purchase and one new reading. Read times are " +
      "medians of 5 (3 for the sparse purchaser) after one warm-up read.",
  };
}
