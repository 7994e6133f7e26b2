/**
 * The reading aggregator: accepts meters' signed readings, persists each before acknowledging it, and anchors
 * them in batches — one transaction for up to `batchSize` readings, or whatever has waited `maxAgeMs` — with the
 * full batch file on IPFS. A crash at any point loses nothing and anchors nothing twice: readings are on disk
 * before they are accepted, and an anchoring intent is on disk before its transaction is sent, so a restart
 * finds out from the chain whether that batch made it.
 */
import { existsSync } from "node:fs";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { getAddress, type TypedDataDomain } from "ethers";
import { canonicalJson } from "./bill.js";
import type { BillStore } from "./billStore.js";
import { cidToOnChain } from "./cid.js";
import { ledgerInterface, topicOf } from "./events.js";
import type { GridLedgerClient } from "./ledgerClient.js";
import { batchTree, LEAF_ENCODING, meterRanges, ReadingError, readingDomain, SequenceGuard, type Reading, type SignedReading } from "./readings.js";

export const BATCH_FORMAT = "gridledger-batch/1";

/** A batch file as stored on IPFS: every reading with its signature, in tree order. */
export interface BatchFile {
  format: typeof BATCH_FORMAT;
  chainId: string;
  contract: string;
  leafEncoding: string[];
  root: string;
  readings: { meter: string; kind: number; subject: string; value: string; start: string; end: string; seq: string; signature: string }[];
}

export interface AnchoredBatch {
  batchId: bigint;
  root: string;
  cid: string;
  count: number;
  hash: string;
  blockNumber: number;
}

export interface AggregatorOptions {
  client: GridLedgerClient;
  store: BillStore;
  /** Where pending readings and the anchoring intent are kept. */
  dataDir: string;
  batchSize?: number;
  maxAgeMs?: number;
  log?: (line: string) => void;
}

type AggregatorConfig = Required<Omit<AggregatorOptions, "log">> & { log: (line: string) => void };

/** Written before the anchoring transaction is sent: which readings it anchors. */
interface Intent {
  root: string;
  cid: string;
  count: number;
  fromBlock: number;
  ranges: { meter: string; firstSeq: string; lastSeq: string }[];
}

const encodeSigned = (s: SignedReading) =>
  JSON.stringify({ ...s.reading, kind: s.reading.kind, subject: String(s.reading.subject), value: String(s.reading.value), start: String(s.reading.start), end: String(s.reading.end), seq: String(s.reading.seq), signature: s.signature });

export function decodeSigned(line: string): SignedReading {
  const o = JSON.parse(line) as Record<string, string | number>;
  return {
    reading: {
      meter: getAddress(String(o.meter)),
      kind: Number(o.kind) as Reading["kind"],
      subject: BigInt(o.subject),
      value: BigInt(o.value),
      start: BigInt(o.start),
      end: BigInt(o.end),
      seq: BigInt(o.seq),
    },
    signature: String(o.signature),
  };
}

export class Aggregator {
  readonly domain: TypedDataDomain;
  readonly #o: AggregatorConfig;
  readonly #guard: SequenceGuard;
  #pending: SignedReading[];
  #oldestAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<AnchoredBatch | undefined> | undefined;
  #anchored = 0;

  private constructor(o: AggregatorConfig, guard: SequenceGuard, pending: SignedReading[]) {
    this.#o = o;
    this.#guard = guard;
    this.#pending = pending;
    this.#oldestAt = pending.length ? Date.now() : undefined;
    this.domain = readingDomain(o.client.chainId, o.client.address);
  }

  /** Opens the aggregator on its data directory, finishing whatever a crash interrupted. */
  static async open(options: AggregatorOptions): Promise<Aggregator> {
    const o = { batchSize: 1_000, maxAgeMs: 30_000, log: () => undefined, ...options };
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1 || o.batchSize > 100_000) throw new Error(`batchSize: must be a whole number 1..100000 (got ${o.batchSize})`);
    if (!(o.maxAgeMs > 0)) throw new Error(`maxAgeMs: must be greater than 0 (got ${o.maxAgeMs})`);
    await mkdir(o.dataDir, { recursive: true });
    const files = paths(o.dataDir);
    const nextSeqs = existsSync(files.state) ? (JSON.parse(await readFile(files.state, "utf8")) as { nextSeq: Record<string, string> }).nextSeq : {};
    const guard = new SequenceGuard(Object.entries(nextSeqs).map(([m, n]) => [m, BigInt(n)]));
    const pending: SignedReading[] = [];
    if (existsSync(files.pending)) {
      const lines = (await readFile(files.pending, "utf8")).split("\n");
      for (const [i, line] of lines.entries()) {
        if (!line.trim()) continue;
        try {
          const signed = decodeSigned(line);
          // Replaying through the guard rebuilds each meter's sequence exactly as it was accepted.
          if (signed.reading.seq >= guard.next(signed.reading.meter)) guard.accept(readingDomain(o.client.chainId, o.client.address), signed);
          pending.push(signed);
        } catch (error) {
          // Only the last line can be torn by a crash mid-write; it was never acknowledged.
          if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim())) throw new Error(`${files.pending} line ${i + 1} is corrupted: ${(error as Error).message}`);
        }
      }
    }
    const aggregator = new Aggregator(o, guard, pending);
    await aggregator.#recoverIntent();
    return aggregator;
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Readings anchored by this process since it opened. */
  get anchoredCount(): number {
    return this.#anchored;
  }

  nextSeq(meter: string): bigint {
    return this.#guard.next(meter);
  }

  /**
   * Accepts a signed reading: signature for this chain and contract, the meter active for some producer, the
   * next sequence number. Persisted before this resolves; a full batch is anchored right away.
   */
  async submit(signed: SignedReading): Promise<void> {
    await this.submitMany([signed]);
  }

  /**
   * Accepts several readings in order, with one disk write for all of them. On the first refused reading the
   * ones before it are kept (persisted) and the error names its position.
   */
  async submitMany(list: readonly SignedReading[]): Promise<void> {
    const active = new Map<string, boolean>();
    const accepted: SignedReading[] = [];
    let failure: Error | undefined;
    for (const [i, signed] of list.entries()) {
      try {
        const meter = getAddress(signed.reading.meter);
        if (!active.has(meter)) active.set(meter, (await this.#o.client.meterOf(meter)).active);
        if (!active.get(meter)) throw new ReadingError("signature", `meter ${meter} is not an active meter of any producer`);
        this.#guard.accept(this.domain, signed);
        accepted.push(signed);
      } catch (error) {
        failure = list.length > 1 ? new ReadingError((error as ReadingError).rule ?? "signature", `reading ${i}: ${(error as Error).message}`) : (error as Error);
        break;
      }
    }
    if (accepted.length) {
      await appendLines(paths(this.#o.dataDir).pending, accepted.map(encodeSigned));
      this.#pending.push(...accepted);
      this.#oldestAt ??= Date.now();
    }
    while (this.#pending.length >= this.#o.batchSize) await this.flush();
    if (failure) throw failure;
  }

  /** Flushes on age: call `start()` once; `stop()` ends it. */
  start(): void {
    this.#timer ??= setInterval(() => {
      if (this.#oldestAt !== undefined && Date.now() - this.#oldestAt >= this.#o.maxAgeMs) {
        this.flush().catch((error: unknown) => this.#o.log(`aggregator: anchoring failed, will retry: ${(error as Error).message}`));
      }
    }, Math.min(1_000, this.#o.maxAgeMs));
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#flushing?.catch(() => undefined);
  }

  /** Anchors up to `batchSize` pending readings now; resolves with the batch, or undefined when none were pending. */
  flush(): Promise<AnchoredBatch | undefined> {
    this.#flushing ??= this.#anchorNext().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  async #anchorNext(): Promise<AnchoredBatch | undefined> {
    const batch = this.#pending.slice(0, this.#o.batchSize);
    if (batch.length === 0) return undefined;
    const readings = batch.map((s) => s.reading);
    const tree = batchTree(readings);
    const file: BatchFile = {
      format: BATCH_FORMAT,
      chainId: this.#o.client.chainId.toString(),
      contract: this.#o.client.address,
      leafEncoding: LEAF_ENCODING,
      root: tree.root,
      readings: batch.map((s) => JSON.parse(encodeSigned(s))),
    };
    const cid = await this.#o.store.put(new TextEncoder().encode(canonicalJson(file)));
    const ranges = meterRanges(readings);
    const intent: Intent = {
      root: tree.root,
      cid,
      count: batch.length,
      fromBlock: await this.#o.client.headBlock(),
      ranges: ranges.map((r) => ({ meter: r.meter, firstSeq: r.firstSeq.toString(), lastSeq: r.lastSeq.toString() })),
    };
    await writeAtomic(paths(this.#o.dataDir).intent, JSON.stringify(intent));
    const { digest, codec } = cidToOnChain(cid);
    const receipt = await this.#o.client.anchorBatch({ root: tree.root, cidDigest: digest, cidCodec: codec, count: BigInt(batch.length), ranges });
    await this.#settle(intent);
    this.#anchored += batch.length;
    const anchored = { batchId: receipt.id, root: tree.root, cid, count: batch.length, hash: receipt.hash, blockNumber: receipt.blockNumber };
    this.#o.log(`aggregator: batch ${anchored.batchId} anchored ${anchored.count} readings (${cid})`);
    return anchored;
  }

  /**
   * Drops an anchored batch's readings (by meter and sequence range, so doing it twice changes nothing) from the
   * pending file, then forgets the intent. The sequence state is written first: a crash in between leaves
   * readings that the intent's recovery drops again, never a gap.
   */
  async #settle(intent: Intent): Promise<void> {
    const anchored = (r: Reading) =>
      intent.ranges.some((x) => getAddress(x.meter) === getAddress(r.meter) && r.seq >= BigInt(x.firstSeq) && r.seq <= BigInt(x.lastSeq));
    this.#pending = this.#pending.filter((s) => !anchored(s.reading));
    const files = paths(this.#o.dataDir);
    await writeAtomic(files.state, JSON.stringify({ nextSeq: Object.fromEntries(this.#guard.entries().map(([m, n]) => [m, n.toString()])) }));
    await writeAtomic(files.pending, this.#pending.map(encodeSigned).join("\n") + (this.#pending.length ? "\n" : ""));
    await rm(files.intent, { force: true });
    this.#oldestAt = this.#pending.length ? Date.now() : undefined;
  }

  /** After a crash with an intent on disk: if the chain holds that batch, settle it; otherwise anchor it again. */
  async #recoverIntent(): Promise<void> {
    const file = paths(this.#o.dataDir).intent;
    if (!existsSync(file)) return;
    const intent = JSON.parse(await readFile(file, "utf8")) as Intent;
    const me = await this.#o.client.account();
    const logs = await this.#o.client.provider.getLogs({
      address: this.#o.client.address,
      fromBlock: intent.fromBlock,
      toBlock: "latest",
      topics: [topicOf("BatchAnchored"), null, "0x" + me.slice(2).toLowerCase().padStart(64, "0")],
    });
    const found = logs.some((log) => ledgerInterface.parseLog(log)?.args[2] === intent.root);
    if (found) {
      this.#o.log(`aggregator: batch ${intent.root} was anchored before the restart; its readings are settled`);
      await this.#settle(intent);
    } else {
      this.#o.log(`aggregator: batch ${intent.root} was not anchored before the restart; anchoring it again`);
      await rm(file, { force: true });
    }
  }
}

/** Reads a batch file back, checking its format. */
export function parseBatchFile(bytes: Uint8Array): BatchFile {
  const file = JSON.parse(new TextDecoder().decode(bytes)) as BatchFile;
  if (file.format !== BATCH_FORMAT) throw new Error(`batch file: format must be "${BATCH_FORMAT}"`);
  return file;
}

export const batchFileReadings = (file: BatchFile): SignedReading[] => file.readings.map((r) => decodeSigned(JSON.stringify(r)));

function paths(dataDir: string) {
  return {
    pending: path.join(dataDir, "pending.jsonl"),
    state: path.join(dataDir, "state.json"),
    intent: path.join(dataDir, "intent.json"),
  };
}

/** Appends lines and waits until they are on disk. */
async function appendLines(file: string, lines: readonly string[]): Promise<void> {
  const handle = await open(file, "a");
  try {
    await handle.appendFile(lines.join("\n") + "\n");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}

