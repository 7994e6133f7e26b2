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
import { BATCH_FORMAT, signedReadingToJson, type BatchFile } from "./batchFile.js";
import { canonicalJson } from "./bill.js";
import type { BillStore } from "./billStore.js";
import { cidToOnChain } from "./cid.js";
import { ledgerInterface, topicOf } from "./events.js";
import type { GridLedgerClient } from "./ledgerClient.js";
import { checksumAddress } from "./keccak.js";
import { merkleRoot, readingLeafHash } from "./readingHashes.js";
import { ReadingJournal } from "./readingJournal.js";
import { checkFields, LEAF_ENCODING, meterRanges, ReadingError, readingDomain, SequenceGuard, type Reading, type SignedReading } from "./readings.js";
import type { SignatureBackend } from "./readingSignatures.js";
import { SignaturePool } from "./signaturePool.js";

export interface AnchoredBatch {
  batchId: bigint;
  root: string;
  cid: string;
  count: number;
  hash: string;
  blockNumber: number;
  gasUsed: bigint;
  /** gasUsed × the effective gas price, wei. */
  fee: bigint;
  /** Each meter's sequence range in the batch. */
  ranges: { meter: string; firstSeq: bigint; lastSeq: bigint }[];
}

export interface AggregatorOptions {
  client: GridLedgerClient;
  store: BillStore;
  /** Where pending readings and the anchoring intent are kept. */
  dataDir: string;
  batchSize?: number;
  maxAgeMs?: number;
  log?: (line: string) => void;
  /** Told of each batch this process anchors, once its readings are settled. */
  onAnchored?: (batch: AnchoredBatch) => void;
}

type AggregatorConfig = Required<Omit<AggregatorOptions, "log" | "onAnchored">> & Pick<AggregatorOptions, "onAnchored"> & { log: (line: string) => void };

/** Written before the anchoring transaction is sent: which readings it anchors. */
interface Intent {
  root: string;
  cid: string;
  count: number;
  fromBlock: number;
  ranges: { meter: string; firstSeq: string; lastSeq: string }[];
}

/** A reading accepted and not yet anchored, with its leaf hash (from the signature check) for the batch tree. */
type PendingReading = SignedReading & { leaf: string };

/** A reading's checks before its turn: its leaf hash when it passed them, else the refusal. */
type Verdict = { leaf: string; refusal?: undefined } | { leaf?: undefined; refusal: Error };

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

/**
 * A request's refusal: the reading at `index` broke a rule; the `accepted` readings before it were persisted.
 */
export class RefusedReading extends ReadingError {
  constructor(
    rule: ReadingError["rule"],
    message: string,
    readonly index: number,
    readonly accepted: number,
  ) {
    super(rule, message);
  }
}

/** Unsettled readings beyond this many batches make submitters wait for the anchoring under way. */
const BACKLOG_BATCHES = 2;

export class Aggregator {
  readonly domain: TypedDataDomain;
  /** How signatures are recovered: natively, or (without the binary) by ethers. */
  readonly signatureBackend: SignatureBackend;
  readonly #o: AggregatorConfig;
  readonly #guard: SequenceGuard;
  readonly #pool: SignaturePool;
  readonly #journal: ReadingJournal;
  /** Each meter's next sequence after its anchored readings: what state.json holds. */
  readonly #anchoredNext: Map<string, bigint>;
  #pending: PendingReading[];
  #oldestAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<AnchoredBatch | undefined> | undefined;
  /** Sequence checks and journal appends take their turns here, in the order requests arrived. */
  #admission: Promise<unknown> = Promise.resolve();
  /** Authorisation look-ups under way, by meter. */
  readonly #lookUps = new Map<string, Promise<boolean>>();
  #anchored = 0;

  private constructor(o: AggregatorConfig, guard: SequenceGuard, anchoredNext: Map<string, bigint>, pending: PendingReading[], pool: SignaturePool, backend: SignatureBackend) {
    this.#o = o;
    this.signatureBackend = backend;
    this.#guard = guard;
    this.#anchoredNext = anchoredNext;
    this.#pending = pending;
    this.#pool = pool;
    this.#journal = new ReadingJournal(paths(o.dataDir).pending);
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
    const anchoredNext = new Map(Object.entries(nextSeqs).map(([m, n]) => [getAddress(m), BigInt(n)] as const));
    const guard = new SequenceGuard(anchoredNext);
    const pool = new SignaturePool(readingDomain(o.client.chainId, o.client.address));
    const pending: PendingReading[] = [];
    try {
      const backend = await pool.ready;
      o.log(`aggregator: signatures checked with ${backend} on ${pool.size} threads`);
      if (existsSync(files.pending)) {
        const lines = (await readFile(files.pending, "utf8")).split("\n");
        const decoded = lines.map((line) => {
          if (!line.trim()) return undefined;
          try {
            return decodeSigned(line);
          } catch (error) {
            return error as Error;
          }
        });
        const readable = decoded.filter((d): d is SignedReading => d !== undefined && !(d instanceof Error));
        const checks = await pool.check(readable);
        const checkOf = new Map(readable.map((d, i) => [d, checks[i]]));
        for (const [i, d] of decoded.entries()) {
          if (d === undefined) continue;
          try {
            if (d instanceof Error) throw d;
            // Replaying through the guard rebuilds each meter's sequence exactly as it was accepted.
            const check = checkOf.get(d)!;
            if (d.reading.seq >= guard.next(d.reading.meter)) {
              checkFields(d.reading);
              if (check.refusal) throw check.refusal;
              guard.advance(d.reading);
            }
            // Lines below the guard were accepted before (their verdict is not asked again): their leaf is hashed here.
            pending.push({ ...d, leaf: check.leaf ?? readingLeafHash(d.reading) });
          } catch (error) {
            // Only the last line can be torn by a crash mid-write; it was never acknowledged.
            if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim())) throw new Error(`${files.pending} line ${i + 1} is corrupted: ${(error as Error).message}`);
          }
        }
      }
      const aggregator = new Aggregator(o, guard, anchoredNext, pending, pool, backend);
      await aggregator.#recoverIntent();
      return aggregator;
    } catch (error) {
      await pool.close();
      throw error;
    }
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
   * next sequence number. Persisted before this resolves; a full batch starts anchoring right away.
   */
  async submit(signed: SignedReading): Promise<void> {
    await this.submitMany([signed]);
  }

  /**
   * Accepts several readings in order, with one disk write for all of them (and for whatever other requests
   * reached the journal at the same time). On the first refused reading the ones before it are kept
   * (persisted) and a RefusedReading names its position. Requests may overlap: signatures and authorisations
   * are checked at once, sequences in the order the requests arrived.
   */
  async submitMany(list: readonly SignedReading[]): Promise<void> {
    const checked = this.#check(list);
    const admitted = this.#admission.then(async () => {
      await this.#backlog();
      return this.#admit(list, await checked);
    });
    this.#admission = admitted.catch(() => undefined);
    const { durable, failure } = await admitted;
    await durable;
    this.#anchorFull();
    if (failure) throw failure;
  }

  /**
   * Backpressure, in a request's turn and before it is admitted: while BACKLOG_BATCHES batches or more are
   * pending, wait for the anchoring under way. Waiting after admission instead let every request in flight add
   * its readings first, and each small batch then rewrote a journal of all of them. Bounded: each round anchors
   * a batch (no admission happens meanwhile) or ends the wait; when anchoring fails the request is admitted
   * all the same (the journal keeps it; the age timer and later requests retry).
   */
  async #backlog(): Promise<void> {
    while (this.#pending.length >= BACKLOG_BATCHES * this.#o.batchSize) {
      this.#anchorFull();
      const flushing = this.#flushing;
      if (!flushing || !(await flushing.then(() => true, () => false))) return;
    }
  }

  /**
   * The checks that need no order, all at once: each reading's fields, its signature (on the thread pool), its
   * meter's authorisation (one look-up per meter per request). Per reading: its leaf hash, or the refusal.
   */
  async #check(list: readonly SignedReading[]): Promise<Verdict[]> {
    const meters = new Map<string, Promise<boolean> | Error>();
    for (const { reading } of list) {
      if (meters.has(reading.meter)) continue;
      let address: string;
      try {
        address = checksumAddress(reading.meter);
      } catch (error) {
        meters.set(reading.meter, error as Error);
        continue;
      }
      meters.set(reading.meter, this.#isActive(address));
    }
    const [signatures, active] = await Promise.all([
      this.#pool.check(list),
      Promise.all([...meters].map(async ([meter, lookUp]) => [meter, lookUp instanceof Error ? lookUp : await lookUp] as const)),
    ]);
    const activeOf = new Map(active);
    return list.map((signed, i): Verdict => {
      const meter = activeOf.get(signed.reading.meter);
      if (meter instanceof Error) return { refusal: meter };
      if (!meter) return { refusal: new ReadingError("signature", `meter ${getAddress(signed.reading.meter)} is not an active meter of any producer`) };
      try {
        checkFields(signed.reading);
      } catch (error) {
        return { refusal: error as Error };
      }
      return signatures[i];
    });
  }

  /**
   * Whether the meter is active, read from the chain. Requests that arrive while a look-up of the same meter is
   * under way share it: its answer is at most one call older than one of their own, and a meter's readings in
   * many concurrent requests cost one call instead of one each.
   */
  #isActive(meter: string): Promise<boolean> {
    let lookUp = this.#lookUps.get(meter);
    if (!lookUp) {
      lookUp = this.#o.client.meterOf(meter).then((m) => m.active);
      this.#lookUps.set(meter, lookUp);
      const forget = () => this.#lookUps.delete(meter);
      lookUp.then(forget, forget);
    }
    return lookUp;
  }

  /** In arrival order: the sequence rule, then the journal append of the readings accepted. */
  #admit(list: readonly SignedReading[], verdicts: Verdict[]): { durable: Promise<void>; failure?: RefusedReading | Error } {
    const accepted: PendingReading[] = [];
    let failure: RefusedReading | Error | undefined;
    for (const [i, signed] of list.entries()) {
      try {
        const { leaf, refusal } = verdicts[i];
        if (refusal) throw refusal;
        this.#guard.advance(signed.reading);
        // Kept with the meter's checksummed address: the batch file, the tree and the ranges use it.
        accepted.push({ reading: { ...signed.reading, meter: checksumAddress(signed.reading.meter) }, signature: signed.signature, leaf });
      } catch (error) {
        const rule = error instanceof ReadingError ? error.rule : "signature";
        failure = list.length > 1 ? new RefusedReading(rule, `reading ${i}: ${(error as Error).message}`, i, i) : error instanceof ReadingError ? new RefusedReading(rule, error.message, 0, 0) : (error as Error);
        break;
      }
    }
    if (accepted.length === 0) return { durable: Promise.resolve(), failure };
    const durable = this.#journal.append(accepted.map(encodeSigned), () => {
      this.#pending.push(...accepted);
      this.#oldestAt ??= Date.now();
    });
    return { durable, failure };
  }

  /** Starts anchoring when a full batch is pending and no anchoring is under way. */
  #anchorFull(): void {
    if (this.#flushing || this.#pending.length < this.#o.batchSize) return;
    this.flush().catch((error: unknown) => this.#o.log(`aggregator: anchoring failed, will retry: ${(error as Error).message}`));
  }

  /** Flushes on age: call `start()` once; `stop()` ends it. */
  start(): void {
    this.#timer ??= setInterval(() => {
      if (this.#oldestAt !== undefined && Date.now() - this.#oldestAt >= this.#o.maxAgeMs) {
        this.flush().catch((error: unknown) => this.#o.log(`aggregator: anchoring failed, will retry: ${(error as Error).message}`));
      }
    }, Math.min(1_000, this.#o.maxAgeMs));
  }

  /** Ends the age flush, waits for the anchoring under way, and releases the threads and the journal. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#admission;
    await this.#flushing?.catch(() => undefined);
    await this.#journal.close();
    await this.#pool.close();
  }

  /** Anchors up to `batchSize` pending readings now; resolves with the batch, or undefined when none were pending. */
  flush(): Promise<AnchoredBatch | undefined> {
    this.#flushing ??= this.#anchorNext().then(
      (batch) => {
        this.#flushing = undefined;
        this.#anchorFull();
        return batch;
      },
      (error: unknown) => {
        this.#flushing = undefined;
        throw error;
      },
    );
    return this.#flushing;
  }

  /** Anchors batch after batch until nothing is pending; resolves with the batches anchored. */
  async drain(): Promise<AnchoredBatch[]> {
    const batches: AnchoredBatch[] = [];
    // Each round anchors at least one reading or stops: bounded by the readings pending.
    while (this.#pending.length > 0) {
      const batch = await this.flush();
      if (batch) batches.push(batch);
      else if (this.#pending.length === 0) break;
    }
    return batches;
  }

  async #anchorNext(): Promise<AnchoredBatch | undefined> {
    const batch = this.#pending.slice(0, this.#o.batchSize);
    if (batch.length === 0) return undefined;
    const readings = batch.map((s) => s.reading);
    const root = merkleRoot(batch.map((s) => s.leaf));
    const file: BatchFile = {
      format: BATCH_FORMAT,
      chainId: this.#o.client.chainId.toString(),
      contract: this.#o.client.address,
      leafEncoding: LEAF_ENCODING,
      root,
      readings: batch.map(signedReadingToJson),
    };
    const cid = await this.#o.store.put(new TextEncoder().encode(canonicalJson(file)));
    const ranges = meterRanges(readings);
    const intent: Intent = {
      root,
      cid,
      count: batch.length,
      fromBlock: await this.#o.client.headBlock(),
      ranges: ranges.map((r) => ({ meter: r.meter, firstSeq: r.firstSeq.toString(), lastSeq: r.lastSeq.toString() })),
    };
    await writeAtomic(paths(this.#o.dataDir).intent, JSON.stringify(intent));
    const { digest, codec } = cidToOnChain(cid);
    const receipt = await this.#o.client.anchorBatch({ root, cidDigest: digest, cidCodec: codec, count: BigInt(batch.length), ranges });
    await this.#settle(intent);
    this.#anchored += batch.length;
    const anchored: AnchoredBatch = {
      batchId: receipt.id,
      root,
      cid,
      count: batch.length,
      hash: receipt.hash,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
      fee: receipt.fee,
      ranges,
    };
    this.#o.log(`aggregator: batch ${anchored.batchId} anchored ${anchored.count} readings (${cid})`);
    this.#o.onAnchored?.(anchored);
    return anchored;
  }

  /**
   * Drops an anchored batch's readings (by meter and sequence range, so doing it twice changes nothing) from the
   * pending file, then forgets the intent. The sequence state (each meter's next sequence after its anchored
   * readings) is written first: a crash in between leaves readings that the intent's recovery drops again, never
   * a gap.
   */
  async #settle(intent: Intent): Promise<void> {
    const ranges = new Map(intent.ranges.map((x) => [getAddress(x.meter), { first: BigInt(x.firstSeq), last: BigInt(x.lastSeq) }] as const));
    for (const [meter, { last }] of ranges) {
      if (last + 1n > (this.#anchoredNext.get(meter) ?? 1n)) this.#anchoredNext.set(meter, last + 1n);
    }
    const files = paths(this.#o.dataDir);
    await writeAtomic(files.state, JSON.stringify({ nextSeq: Object.fromEntries([...this.#anchoredNext].map(([m, n]) => [m, n.toString()])) }));
    // Filtered when the rewrite takes its turn, after every append before it is on disk and in #pending.
    await this.#journal.rewrite(() => {
      this.#pending = this.#pending.filter(({ reading: r }) => {
        const range = ranges.get(r.meter);
        return !(range && r.seq >= range.first && r.seq <= range.last);
      });
      return this.#pending.map(encodeSigned).join("\n") + (this.#pending.length ? "\n" : "");
    });
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

function paths(dataDir: string) {
  return {
    pending: path.join(dataDir, "pending.jsonl"),
    state: path.join(dataDir, "state.json"),
    intent: path.join(dataDir, "intent.json"),
  };
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

