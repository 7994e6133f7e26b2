/**
 * Batched readings: gas per reading and readings per second through the aggregator, per batch size. Readings are
 * signed beforehand (signing happens on the meters) and submitted as meters post them: requests of 100, several
 * in flight at once. The clock runs from the first submission to the last batch anchored, so it covers
 * signature checks, authorisation look-ups, the journal on disk, the batch file on IPFS and the anchoring.
 * Each size runs `rounds` times on a fresh aggregator (the same signed readings, new data directory, its
 * signature threads already started); the row reports the median. The result names how signatures were
 * recovered (libsecp256k1, or ethers when the native binding did not load).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import { Aggregator } from "../aggregator.js";
import { GridLedgerClient } from "../ledgerClient.js";
import { READING_KIND, readingDomain, signReading, type SignedReading } from "../readings.js";
import { signatureBackend, type SignatureBackend } from "../readingSignatures.js";
import { startLocalGrid } from "../sim/localGrid.js";
import { median } from "../stats.js";

/** Readings per request, and requests in flight at once. */
const REQUEST_SIZE = 100;
const IN_FLIGHT = 8;

/**
 * Readings per batch size: at least 1,000, at least three batches, and up to ten batches (10,000 readings) where
 * a batch fills in well under a second, so that the rate is a sustained one: with three batches of 1,000 the
 * first batch's wait and the last one's anchoring, which nothing overlaps, were a third of the time.
 */
export const defaultReadingsPerSize = (size: number): number => Math.max(size * 3, Math.min(size * 10, 10_000), 1_000);

export interface BatchingRow {
  size: number;
  batches: number;
  readings: number;
  gasPerBatch: number;
  gasPerReading: number;
  /** Median over the rounds. */
  readingsPerSec: number;
  /** Each round's readings per second. */
  readingsPerSecRounds: number[];
}

export interface BatchingResult {
  meters: number;
  rounds: number;
  /** How the aggregator recovered signatures. */
  signatureBackend: SignatureBackend;
  batches: BatchingRow[];
}

export async function measureBatching(options: {
  sizes: number[];
  readingsPerSize?: (size: number) => number;
  rounds?: number;
  meters?: number;
  log?: (line: string) => void;
}): Promise<BatchingResult> {
  const log = options.log ?? (() => undefined);
  const rounds = options.rounds ?? 3;
  const readingsPerSize = options.readingsPerSize ?? defaultReadingsPerSize;
  const meterCount = options.meters ?? 4;
  const grid = await startLocalGrid({ accounts: 3, gasLimit: 1_000_000_000n });
  const dirs: string[] = [];
  try {
    const producer = await GridLedgerClient.connect(await grid.provider.getSigner(1), { address: grid.address });
    const aggregatorClient = await GridLedgerClient.connect(await grid.provider.getSigner(2), { address: grid.address });
    const { id: offerId } = await producer.openOffer({ capacity: 1_000_000n, available: 500_000n, rate: 1n, location: "Bench grid" });
    const domain = readingDomain(grid.chainId, grid.address);
    // Each batch size gets fresh meters, and each round a fresh aggregator, so sequences start at 1.
    const sign = async (count: number): Promise<SignedReading[]> => {
      const meters = Array.from({ length: meterCount }, () => Wallet.createRandom());
      for (const meter of meters) await producer.authorizeMeter({ meter: meter.address, ratedPower: 10_000n });
      const nextSeq = new Map<string, bigint>(meters.map((m) => [m.address, 1n]));
      const out: SignedReading[] = [];
      for (let i = 0; i < count; i++) {
        const meter = meters[i % meters.length];
        const seq = nextSeq.get(meter.address)!;
        nextSeq.set(meter.address, seq + 1n);
        out.push(await signReading(meter, domain, { kind: READING_KIND.storage, subject: offerId, value: 400_000n - BigInt(i % 1000), start: 1_700_000_000n + seq, end: 1_700_000_001n + seq, seq }));
      }
      return out;
    };

    const rows: BatchingRow[] = [];
    let backend: SignatureBackend | undefined;
    for (const size of options.sizes) {
      const total = Math.max(size, readingsPerSize(size));
      const readings = await sign(total);
      const perSec: number[] = [];
      const gasUsed: bigint[] = [];
      let batches = 0;
      for (let round = 1; round <= rounds; round++) {
        const dir = await mkdtemp(path.join(tmpdir(), "gridledger-bench-agg-"));
        dirs.push(dir);
        const before = Number(await aggregatorClient.contract.batchCount());
        const aggregator = await Aggregator.open({ client: aggregatorClient, store: grid.store!, dataDir: dir, batchSize: size, maxAgeMs: 3_600_000 });
        backend ??= aggregator.signatureBackend;
        const started = performance.now();
        let next = 0;
        const poster = async () => {
          while (next < readings.length) {
            const from = next;
            next += REQUEST_SIZE;
            await aggregator.submitMany(readings.slice(from, from + REQUEST_SIZE));
          }
        };
        await Promise.all(Array.from({ length: IN_FLIGHT }, poster));
        await aggregator.drain();
        const seconds = (performance.now() - started) / 1000;
        await aggregator.stop();
        perSec.push(Math.round(total / seconds));
        const after = Number(await aggregatorClient.contract.batchCount());
        batches = after - before;
        for (let id = before + 1; id <= after; id++) {
          const batch = await aggregatorClient.batchOf(BigInt(id));
          const receipt = await grid.provider.getTransactionReceipt(batch!.transactionHash);
          if (Number(batch!.count) === size) gasUsed.push(receipt!.gasUsed);
        }
        log(`batching: size ${size}, round ${round}/${rounds}: ${perSec.at(-1)} readings/s (${total} readings, ${batches} batches)`);
      }
      const gasPerBatch = gasUsed.length ? Number(gasUsed.reduce((a, b) => a + b, 0n) / BigInt(gasUsed.length)) : 0;
      const row: BatchingRow = {
        size,
        batches,
        readings: total,
        gasPerBatch,
        gasPerReading: Math.round((gasPerBatch / size) * 10) / 10,
        readingsPerSec: Math.round(median(perSec)),
        readingsPerSecRounds: perSec,
      };
      rows.push(row);
      log(`batching: size ${size}: ${row.gasPerReading} gas/reading, ${row.readingsPerSec} readings/s median of ${rounds} (${total} readings, ${row.batches} batches)`);
    }
    return { meters: meterCount, rounds, signatureBackend: backend ?? signatureBackend, batches: rows };
  } finally {
    await grid.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
}
