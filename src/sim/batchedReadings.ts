/**
 * The simulator's batched readings: an aggregator (the Aggregator and HTTP intake of `gridledger aggregate`) on
 * 127.0.0.1 with its own funded account; each meter signs its storage readings (EIP-712) and posts them to it, one
 * at a time and in sequence order, as a device would. A reading's action is mined once the batch holding it is
 * anchored (its gas and fee: its share of the batch's), failed when the aggregator refused it or it was accepted
 * but never anchored. When the last reading has been posted, whatever is pending is anchored at once.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Wallet } from "ethers";
import { Aggregator, type AnchoredBatch } from "../aggregator.js";
import { startAggregatorService } from "../aggregatorService.js";
import { signedReadingToJson } from "../batchFile.js";
import type { BillStore } from "../billStore.js";
import { parseLedgerLog, topicOf } from "../events.js";
import type { GridLedgerClient } from "../ledgerClient.js";
import { describeError } from "../ledgerErrors.js";
import { READING_KIND, signReading } from "../readings.js";
import type { SignatureBackend } from "../readingSignatures.js";
import type { Outcome } from "./metrics.js";
import type { ActionOf } from "./plan.js";

/** What became of the batched readings, from the aggregator and from the chain. */
export interface BatchedReadings {
  batchSize: number;
  maxAgeMs: number;
  /** The account that anchored the batches. */
  aggregator: string;
  signatureBackend: SignatureBackend;
  /** Signed by the meters and posted. */
  signed: number;
  /** Accepted (on the aggregator's disk). */
  accepted: number;
  /** Anchored, as the aggregator reported its batches. */
  anchored: number;
  /** The aggregator account's BatchAnchored events on chain during the run: batches, and the readings they count. */
  chain: { batches: number; readings: number };
  /** Gas and fee of each batch this run anchored. */
  batches: { count: number; gasUsed: bigint; fee: bigint }[];
  /** When the first reading was posted and the last batch anchored (performance.now()). */
  firstPostMs: number | undefined;
  lastAnchoredMs: number | undefined;
}

/** A reading the aggregator accepted: its outcome comes with its batch. */
export interface PostedReading {
  anchored: Promise<Outcome>;
}

/** What a reading's action needs from the run. */
export interface ReadingContext {
  /** The producer's offer: the reading's subject (undefined when it was not opened). */
  offerId: bigint | undefined;
  meter: Wallet;
  /** Runs `post` at the action's time (or skips it): the run's scheduler. */
  schedule: (post: () => Promise<Outcome | PostedReading>) => Promise<Outcome | PostedReading>;
  /** Books the action as sent. */
  sent: () => void;
}

/** How long a meter waits for the aggregator's answer to one post. */
const POST_TIMEOUT_MS = 60_000;

export class ReadingBatcher {
  readonly url: string;
  readonly #o: { batchSize: number; maxAgeMs: number; log: (line: string) => void };
  readonly #client: GridLedgerClient;
  readonly #aggregator: Aggregator;
  readonly #service: { close(): Promise<void> };
  readonly #dir: string;
  readonly #fromBlock: number;
  /** Readings not yet through their post: at zero, the rest is anchored. */
  #toPost: number;
  /** Each meter's next sequence number, and the end of its last post (posts go one after another). */
  readonly #nextSeq: bigint[];
  readonly #posting: Promise<unknown>[];
  /** Accepted readings waiting for their batch, by "meter:seq". */
  readonly #waiting = new Map<string, { resolve: (o: Outcome) => void; callMs: number; sentMs: number }>();
  readonly #batches: BatchedReadings["batches"] = [];
  #signed = 0;
  #accepted = 0;
  #anchored = 0;
  #firstPostMs: number | undefined;
  #lastAnchoredMs: number | undefined;
  #startS = 0n;
  #drained: Promise<void> | undefined;
  #closed: Promise<void> | undefined;

  private constructor(o: { batchSize: number; maxAgeMs: number; log: (line: string) => void }, client: GridLedgerClient, aggregator: Aggregator, service: { url: string; close(): Promise<void> }, dir: string, fromBlock: number, readings: number, meters: number) {
    this.#o = o;
    this.#client = client;
    this.#aggregator = aggregator;
    this.#service = service;
    this.url = service.url;
    this.#dir = dir;
    this.#fromBlock = fromBlock;
    this.#toPost = readings;
    this.#nextSeq = Array.from({ length: meters }, () => 1n);
    this.#posting = Array.from({ length: meters }, () => Promise.resolve());
  }

  /** Starts the aggregator (data in a temp dir) and its intake on a free loopback port. */
  static async open(o: { client: GridLedgerClient; store: BillStore; batchSize: number; maxAgeMs: number; readings: number; meters: number; log: (line: string) => void }): Promise<ReadingBatcher> {
    const dir = await mkdtemp(path.join(tmpdir(), "gridledger-sim-aggregator-"));
    let batcher: ReadingBatcher | undefined;
    let aggregator: Aggregator | undefined;
    try {
      const fromBlock = await o.client.headBlock();
      aggregator = await Aggregator.open({
        client: o.client,
        store: o.store,
        dataDir: dir,
        batchSize: o.batchSize,
        maxAgeMs: o.maxAgeMs,
        log: (line) => {
          if (!/ anchored \d+ readings /.test(line)) o.log(line);
        },
        onAnchored: (batch) => {
          if (batcher) batcher.#settle(batch);
        },
      });
      const service = await startAggregatorService({ aggregator, port: 0 });
      batcher = new ReadingBatcher({ batchSize: o.batchSize, maxAgeMs: o.maxAgeMs, log: o.log }, o.client, aggregator, service, dir, fromBlock, o.readings, o.meters);
      aggregator.start();
      return batcher;
    } catch (error) {
      await aggregator?.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The readings' windows start here: the run's start, in seconds. */
  startClock(): void {
    this.#startS = BigInt(Math.floor(Date.now() / 1000));
  }

  /** A reading's action: signed and posted at its time, then mined with its batch (or failed, or skipped). */
  async reading(action: ActionOf<"recordStorage">, context: ReadingContext): Promise<Outcome> {
    let posted: Outcome | PostedReading;
    try {
      posted = await context.schedule(() => this.#post(action, context));
    } finally {
      if (--this.#toPost === 0) this.#drained ??= this.#drain();
    }
    return "status" in posted ? posted : posted.anchored;
  }

  /** After the last reading's action settled: the books, with the chain's BatchAnchored events counted. */
  async finish(): Promise<BatchedReadings> {
    await this.#drained;
    await this.close();
    const me = await this.#client.account();
    const logs = await this.#client.provider.getLogs({
      address: this.#client.address,
      fromBlock: this.#fromBlock,
      toBlock: "latest",
      topics: [topicOf("BatchAnchored"), null, "0x" + me.slice(2).toLowerCase().padStart(64, "0")],
    });
    const chain = { batches: 0, readings: 0 };
    for (const log of logs) {
      const event = parseLedgerLog(log);
      if (event?.kind !== "BatchAnchored") continue;
      chain.batches++;
      chain.readings += Number(event.count);
    }
    return {
      batchSize: this.#o.batchSize,
      maxAgeMs: this.#o.maxAgeMs,
      aggregator: me,
      signatureBackend: this.#aggregator.signatureBackend,
      signed: this.#signed,
      accepted: this.#accepted,
      anchored: this.#anchored,
      chain,
      batches: this.#batches,
      firstPostMs: this.#firstPostMs,
      lastAnchoredMs: this.#lastAnchoredMs,
    };
  }

  /** Stops the intake and the aggregator and removes its data (every batch is on chain and on IPFS). */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#service.close();
      await this.#aggregator.stop();
      await rm(this.#dir, { recursive: true, force: true });
    })();
    return this.#closed;
  }

  /** Signs and posts the reading after the meter's previous one; accepted, it waits for its batch. */
  async #post(action: ActionOf<"recordStorage">, context: ReadingContext): Promise<Outcome | PostedReading> {
    if (context.offerId === undefined) return { status: "skipped", reason: "the producer's offer was not opened" };
    const m = action.actor.index;
    const previous = this.#posting[m];
    let release!: () => void;
    this.#posting[m] = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      const callMs = performance.now();
      const seq = this.#nextSeq[m];
      const start = this.#startS + BigInt(Math.floor(action.timing.phase === "run" && "atMs" in action.timing ? action.timing.atMs / 1000 : 0));
      const signed = await signReading(context.meter, this.#aggregator.domain, { kind: READING_KIND.storage, subject: context.offerId, value: action.available, start, end: start + 1n, seq });
      this.#signed++;
      context.sent();
      const sentMs = performance.now();
      this.#firstPostMs ??= sentMs;
      // Registered before the post: its batch may be anchored before the answer is read.
      const key = `${signed.reading.meter}:${seq}`;
      const anchored = new Promise<Outcome>((resolve) => this.#waiting.set(key, { resolve, callMs, sentMs }));
      const refused = (reason: string, detail: string): Outcome => {
        this.#waiting.delete(key);
        return { status: "failed", reason, detail, stage: "broadcast", attempts: 1 };
      };
      let response: Response;
      try {
        response = await fetch(`${this.url}/readings`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(signedReadingToJson(signed)),
          signal: AbortSignal.timeout(POST_TIMEOUT_MS),
        });
      } catch (error) {
        return refused("aggregator unreachable", describeError(error));
      }
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      if (response.status !== 202) return refused(response.status === 422 ? "refused by the aggregator" : `aggregator answered ${response.status}`, body.error ?? "");
      this.#nextSeq[m] = seq + 1n;
      this.#accepted++;
      // Not awaited here: the meter's next reading need not wait for this one's batch.
      return { anchored };
    } finally {
      release();
    }
  }

  /** Settles the readings of an anchored batch: mined, with their share of its gas and fee. */
  #settle(batch: AnchoredBatch): void {
    const now = performance.now();
    this.#lastAnchoredMs = now;
    this.#anchored += batch.count;
    this.#batches.push({ count: batch.count, gasUsed: batch.gasUsed, fee: batch.fee });
    const count = BigInt(batch.count);
    for (const range of batch.ranges) {
      // Bounded by the batch's count: the ranges cover exactly its readings.
      for (let seq = range.firstSeq; seq <= range.lastSeq; seq++) {
        const key = `${range.meter}:${seq}`;
        const waiting = this.#waiting.get(key);
        if (!waiting) continue;
        this.#waiting.delete(key);
        waiting.resolve({
          status: "mined",
          hash: batch.hash,
          blockNumber: batch.blockNumber,
          gasUsed: (batch.gasUsed + count / 2n) / count,
          fee: batch.fee / count,
          id: batch.batchId,
          callToMinedMs: now - waiting.callMs,
          submitToMinedMs: now - waiting.sentMs,
        });
      }
    }
  }

  /** Anchors whatever is pending; readings still waiting after that were accepted but not anchored. */
  async #drain(): Promise<void> {
    let detail = "the aggregator had nothing left to anchor";
    try {
      await this.#aggregator.drain();
    } catch (error) {
      detail = describeError(error);
      this.#o.log(`aggregator: the last readings could not be anchored: ${detail}`);
    }
    for (const waiting of this.#waiting.values()) waiting.resolve({ status: "failed", reason: "accepted, not anchored", detail, stage: "receipt", attempts: 1 });
    this.#waiting.clear();
  }
}
