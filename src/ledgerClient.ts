/**
 * The typed GridLedger client: one method per action, readers for records, counts and history.
 * Works with any ethers signer (a key or keystore on a device, a browser wallet, a JSON-RPC account),
 * or read-only with a provider.
 */
import { AbiCoder, Contract, getAddress, type ContractRunner, type Provider, type Signer, type TransactionReceipt } from "ethers";
import { z } from "zod";
import type { GridLedger } from "../types/ethers-contracts/GridLedger.js";
import { cidToOnChain } from "./cid.js";
import { compareEvents, ledgerInterface, parseLedgerLog, PRODUCER_EVENTS, PURCHASE_EVENTS, topicOf, type EventKind, type EventOf, type LedgerEvent } from "./events.js";
import { gridLedgerAbi, gridLedgerDeployments } from "./generated/contracts.js";
import { decodeLedgerError } from "./ledgerErrors.js";
import type { MinedTx } from "./receiptFormat.js";
import { ReceiptPoller } from "./receiptPoller.js";
import { staticArgsEncoder } from "./staticAbi.js";
import { validate } from "./schemas.js";
import { TxSender, type TxSenderOptions, type TxStatus } from "./txSender.js";

export const PURCHASE_STATUS = ["open", "billed", "closed"] as const;
export const TRANSFER_STATE = ["none", "pending", "acknowledged", "disputed", "upheld", "rejected"] as const;
export type PurchaseStatus = (typeof PURCHASE_STATUS)[number];
export type TransferState = (typeof TRANSFER_STATE)[number];

export const WRITE_METHODS = [
  "openOffer",
  "recordStorage",
  "closeOffer",
  "purchase",
  "recordTransfer",
  "acknowledgeTransfer",
  "disputeTransfer",
  "resolveDispute",
  "expireDispute",
  "recordBill",
  "closePurchase",
  "withdraw",
  "authorizeMeter",
  "revokeMeter",
  "transferOperator",
  "anchorBatch",
  "recordTransferFromReadings",
] as const;
export type WriteMethod = (typeof WRITE_METHODS)[number];

/** What every write gives back: where it was mined, what it cost, and the id of the record it made. */
export interface WriteResult<Id = bigint> {
  hash: string;
  blockNumber: number;
  gasUsed: bigint;
  /** What the transaction cost its sender, wei: gas used × the price paid. */
  fee: bigint;
  id: Id;
  /** ethers' receipt, made when first read. */
  readonly receipt: TransactionReceipt;
}

export interface Offer {
  offerId: bigint;
  producer: string;
  capacity: bigint;
  available: bigint;
  rate: bigint;
  location: string;
  open: boolean;
}

export interface Purchase {
  purchaseId: bigint;
  purchaser: string;
  offerId: bigint;
  quantity: bigint;
  cost: bigint;
  purchasedAt: bigint;
  delivered: bigint;
  withheld: bigint;
  transferCount: number;
  pendingCount: number;
  openDisputes: number;
  /** When the last transfer was recorded (its dispute window runs from then), unix seconds. */
  lastRecordedAt: bigint;
  status: PurchaseStatus;
  billBlock: number;
}

export interface Transfer {
  purchaseId: bigint;
  index: number;
  amount: bigint;
  /** When the transfer was recorded: its dispute window runs from then, unix seconds. */
  recordedAt: bigint;
  state: TransferState;
}

export interface Meter {
  meter: string;
  producer: string;
  ratedPower: bigint;
  lastEnd: bigint;
  active: boolean;
}

export interface RecordCounts {
  offers: bigint;
  storageReadings: bigint;
  purchases: bigint;
  transfers: bigint;
  acknowledgements: bigint;
  bills: bigint;
}

/** Which events a history query returns. Filters combine with AND. */
export interface HistoryFilter {
  kinds?: readonly EventKind[];
  producer?: string;
  purchaser?: string;
  offerId?: bigint;
  purchaseId?: bigint;
  fromBlock?: number;
  toBlock?: number;
  /** Unix seconds, inclusive. */
  fromTime?: bigint;
  toTime?: bigint;
}

export interface HistoryPage {
  events: LedgerEvent[];
  /** Pass as `before` to read the next (older) page; undefined when there is none. */
  next: HistoryCursor | undefined;
}
export interface HistoryCursor {
  blockNumber: number;
  logIndex: number;
}

export interface ClientOptions extends TxSenderOptions {
  /** The contract's address; by default the generated deployment for the runner's chain. */
  address?: string;
  /** The first block to read logs from; by default the deployment block, else 0. */
  fromBlock?: number;
  /** Largest block range of one eth_getLogs call (public nodes limit it). */
  logRange?: number;
  /**
   * A fixed gas limit per write method, sent without estimating first: one round trip less per write, for
   * devices that record many events a second. A call that reverts is then mined as failed (its gas spent, its
   * nonce used) and reported from its receipt with the decoded custom error, instead of being refused before
   * sending. Methods not named here are estimated.
   */
  gasLimits?: Partial<Record<WriteMethod, bigint>>;
}

const gasLimitsSchema = z.object({
  gasLimits: z
    .partialRecord(z.enum(WRITE_METHODS), z.bigint().min(21_000n, "must be at least 21000, the gas of the simplest transaction"))
    .optional(),
});

export class GridLedgerClient {
  readonly address: string;
  readonly chainId: bigint;
  readonly provider: Provider;
  readonly contract: GridLedger;
  readonly fromBlock: number;
  readonly logRange: number;
  readonly #sender: TxSender | undefined;
  readonly #gasLimits: Partial<Record<WriteMethod, bigint>>;

  private constructor(args: {
    address: string;
    chainId: bigint;
    provider: Provider;
    runner: ContractRunner;
    signer: Signer | undefined;
    options: ClientOptions;
    fromBlock: number;
  }) {
    this.address = args.address;
    this.chainId = args.chainId;
    this.provider = args.provider;
    // The shared Interface: parsing the ABI again for every client costs about a millisecond.
    this.contract = new Contract(args.address, ledgerInterface, args.runner) as unknown as GridLedger;
    this.fromBlock = args.fromBlock;
    this.logRange = args.options.logRange ?? 10_000;
    this.#sender = args.signer ? new TxSender(args.signer, args.options) : undefined;
    this.#gasLimits = { ...args.options.gasLimits };
  }

  /** Connects to GridLedger on the runner's chain. A signer can write; a provider only reads. */
  static async connect(runner: Signer | Provider, options: ClientOptions = {}): Promise<GridLedgerClient> {
    validate(gasLimitsSchema, { gasLimits: options.gasLimits });
    const signer = "signTransaction" in runner || "getAddress" in runner ? (runner as Signer) : undefined;
    const provider = signer ? signer.provider : (runner as Provider);
    if (!provider) throw new Error("the signer has no provider: connect it to an RPC node first");
    const { chainId } = await provider.getNetwork();
    const deployment = gridLedgerDeployments[Number(chainId)];
    const address = options.address ?? deployment?.address;
    if (!address) {
      throw new Error(
        `GridLedger is not deployed on chain ${chainId}: run \`npm run deploy -- --network <name>\` or pass its address`,
      );
    }
    if ((await provider.getCode(address)) === "0x") {
      throw new Error(`no contract at ${address} on chain ${chainId}: deploy GridLedger there or fix the address`);
    }
    const fromBlock = options.fromBlock ?? (options.address ? 0 : (deployment?.deployedAtBlock ?? 0));
    // A client that can send: the receipt poller reads the chain's head now, so that its first writes are
    // found in the blocks it follows instead of each being looked up.
    if (signer) await ReceiptPoller.for(provider).follow();
    return new GridLedgerClient({ address: getAddress(address), chainId, provider, runner, signer, options, fromBlock });
  }

  /**
   * The latest block number, asked of the node each time. ethers caches getBlockNumber() for a polling interval
   * and repeats of the same call for 250 ms, and a stale head would hide the newest records; `eth_blockNumber`
   * sent directly is never cached.
   */
  async headBlock(): Promise<number> {
    const raw = this.provider as Provider & { send?: (method: string, params: unknown[]) => Promise<unknown> };
    if (typeof raw.send === "function") return Number(BigInt(String(await raw.send("eth_blockNumber", []))));
    const block = await this.provider.getBlock("latest");
    if (!block) throw new Error("the RPC node returned no latest block");
    return block.number;
  }

  /** The account that signs this client's writes. */
  async account(): Promise<string> {
    return this.#requireSender().signer.getAddress();
  }

  // --------------------------------------------------------------- writes

  async openOffer(
    input: { capacity: bigint; available: bigint; rate: bigint; location: string },
    onStatus?: (s: TxStatus) => void,
  ): Promise<WriteResult> {
    const receipt = await this.#send("openOffer", [input.capacity, input.available, input.rate, input.location], 0n, onStatus);
    return this.#result(receipt, "OfferOpened", (e) => e.offerId);
  }

  async recordStorage(input: { offerId: bigint; available: bigint }, onStatus?: (s: TxStatus) => void): Promise<WriteResult> {
    const receipt = await this.#send("recordStorage", [input.offerId, input.available], 0n, onStatus);
    return this.#result(receipt, "StorageRecorded", (e) => e.offerId);
  }

  async closeOffer(input: { offerId: bigint }, onStatus?: (s: TxStatus) => void): Promise<WriteResult> {
    const receipt = await this.#send("closeOffer", [input.offerId], 0n, onStatus);
    return this.#result(receipt, "OfferClosed", (e) => e.offerId);
  }

  /** Buys `quantity` Wh, paying the exact cost read from the offer; `maxCost` guards against a surprise. */
  async purchase(
    input: { offerId: bigint; quantity: bigint; maxCost?: bigint },
    onStatus?: (s: TxStatus) => void,
  ): Promise<WriteResult> {
    const cost = await this.quote(input.offerId, input.quantity);
    if (input.maxCost !== undefined && cost > input.maxCost) {
      throw new Error(`maxCost: the cost ${cost} wei exceeds the maximum ${input.maxCost} wei`);
    }
    const receipt = await this.#send("purchase", [input.offerId, input.quantity], cost, onStatus);
    return this.#result(receipt, "EnergyPurchased", (e) => e.purchaseId);
  }

  /** The exact cost of buying `quantity` Wh from an offer: rate × quantity, wei. */
  async quote(offerId: bigint, quantity: bigint): Promise<bigint> {
    return (await this.offer(offerId)).rate * quantity;
  }

  async recordTransfer(
    input: { purchaseId: bigint; meter: string; amount: bigint; start: bigint; end: bigint; device: string },
    onStatus?: (s: TxStatus) => void,
  ): Promise<WriteResult<number>> {
    const args = [input.purchaseId, input.meter, input.amount, input.start, input.end, input.device];
    const receipt = await this.#send("recordTransfer", args, 0n, onStatus);
    return this.#result(receipt, "EnergyTransferred", (e) => e.index);
  }

  async acknowledgeTransfer(input: { purchaseId: bigint; index: number | bigint }, onStatus?: (s: TxStatus) => void): Promise<WriteResult<number>> {
    const receipt = await this.#send("acknowledgeTransfer", [input.purchaseId, input.index], 0n, onStatus);
    return this.#result(receipt, "TransferAcknowledged", (e) => e.index);
  }

  async disputeTransfer(
    input: { purchaseId: bigint; index: number | bigint; reason: number },
    onStatus?: (s: TxStatus) => void,
  ): Promise<WriteResult<number>> {
    const receipt = await this.#send("disputeTransfer", [input.purchaseId, input.index, input.reason], 0n, onStatus);
    return this.#result(receipt, "TransferDisputed", (e) => e.index);
  }

  async resolveDispute(
    input: { purchaseId: bigint; index: number | bigint; upheld: boolean },
    onStatus?: (s: TxStatus) => void,
  ): Promise<WriteResult<number>> {
    const receipt = await this.#send("resolveDispute", [input.purchaseId, input.index, input.upheld], 0n, onStatus);
    return this.#result(receipt, "DisputeResolved", (e) => e.index);
  }

  async expireDispute(input: { purchaseId: bigint; index: number | bigint }, onStatus?: (s: TxStatus) => void): Promise<WriteResult<number>> {
    const receipt = await this.#send("expireDispute", [input.purchaseId, input.index], 0n, onStatus);
    return this.#result(receipt, "DisputeResolved", (e) => e.index);
  }

  /** Records a bill's CID (a CIDv1 string) for a purchase, settling it. */
  async recordBill(input: { purchaseId: bigint; cid: string }, onStatus?: (s: TxStatus) => void): Promise<WriteResult> {
    const { digest, codec } = cidToOnChain(input.cid);
    const receipt = await this.#send("recordBill", [input.purchaseId, digest, codec], 0n, onStatus);
    return this.#result(receipt, "BillRecorded", (e) => e.purchaseId);
  }

  async closePurchase(input: { purchaseId: bigint }, onStatus?: (s: TxStatus) => void): Promise<WriteResult> {
    const receipt = await this.#send("closePurchase", [input.purchaseId], 0n, onStatus);
    return this.#result(receipt, "PurchaseClosed", (e) => e.purchaseId);
  }

  /** Anchors a batch of signed readings by its Merkle root; the id is the batch id. */
  async anchorBatch(
    input: { root: string; cidDigest: string; cidCodec: number; count: bigint; ranges: readonly { meter: string; firstSeq: bigint; lastSeq: bigint }[] },
    onStatus?: (s: TxStatus) => void,
  ): Promise<WriteResult> {
    const ranges = input.ranges.map((r) => [r.meter, r.firstSeq, r.lastSeq]);
    const receipt = await this.#send("anchorBatch", [input.root, input.cidDigest, input.cidCodec, input.count, ranges], 0n, onStatus);
    return this.#result(receipt, "BatchAnchored", (e) => e.batchId);
  }

  /** Records one transfer from readings proven against an anchored batch (Merkle multi-proof). */
  async recordTransferFromReadings(
    input: {
      purchaseId: bigint;
      batchId: bigint;
      readings: readonly { meter: string; kind: number; subject: bigint; value: bigint; start: bigint; end: bigint; seq: bigint }[];
      proof: readonly string[];
      proofFlags: readonly boolean[];
      device: string;
    },
    onStatus?: (s: TxStatus) => void,
  ): Promise<WriteResult<number>> {
    const readings = input.readings.map((r) => [r.meter, r.kind, r.subject, r.value, r.start, r.end, r.seq]);
    const args = [input.purchaseId, input.batchId, readings, input.proof, input.proofFlags, input.device];
    const receipt = await this.#send("recordTransferFromReadings", args, 0n, onStatus);
    return this.#result(receipt, "EnergyTransferred", (e) => e.index);
  }

  /** Whether a leaf is in an anchored batch, checked by the contract's view. */
  async verifyReadingOnChain(batchId: bigint, leaf: string, proof: readonly string[]): Promise<boolean> {
    return this.#read(() => this.contract.verifyReading(batchId, leaf, [...proof]));
  }

  /** The BatchAnchored log of a batch. */
  async batchOf(batchId: bigint): Promise<EventOf<"BatchAnchored"> | undefined> {
    const [event] = await this.#logs(["BatchAnchored"], [batchId], this.fromBlock, "latest");
    return event as EventOf<"BatchAnchored"> | undefined;
  }

  /** Withdraws the caller's whole balance; the id is the amount paid, wei. */
  async withdraw(onStatus?: (s: TxStatus) => void): Promise<WriteResult> {
    const receipt = await this.#send("withdraw", [], 0n, onStatus);
    return this.#result(receipt, "Withdrawn", (e) => e.amount);
  }

  async authorizeMeter(input: { meter: string; ratedPower: bigint }, onStatus?: (s: TxStatus) => void): Promise<WriteResult<string>> {
    const receipt = await this.#send("authorizeMeter", [input.meter, input.ratedPower], 0n, onStatus);
    return this.#result(receipt, "MeterAuthorized", (e) => e.meter);
  }

  async revokeMeter(input: { meter: string }, onStatus?: (s: TxStatus) => void): Promise<WriteResult<string>> {
    const receipt = await this.#send("revokeMeter", [input.meter], 0n, onStatus);
    return this.#result(receipt, "MeterRevoked", (e) => e.meter);
  }

  async transferOperator(input: { newOperator: string }, onStatus?: (s: TxStatus) => void): Promise<WriteResult<string>> {
    const receipt = await this.#send("transferOperator", [input.newOperator], 0n, onStatus);
    return this.#result(receipt, "OperatorTransferred", (e) => e.newOperator);
  }

  /** The gas and fee a write would cost now, without sending it (the paper's cost table, live). */
  async estimate(method: WriteMethod, args: readonly unknown[], value = 0n): Promise<{ gas: bigint; fee: bigint }> {
    const from = await this.account();
    try {
      const data = encodeWrite(method, args);
      const gas = await this.provider.estimateGas({ from, to: this.address, data, value });
      const fees = await this.provider.getFeeData();
      return { gas, fee: gas * (fees.maxFeePerGas ?? fees.gasPrice ?? 0n) };
    } catch (error) {
      throw decodeLedgerError(error);
    }
  }

  // ---------------------------------------------------------------- reads

  async offer(offerId: bigint): Promise<Offer> {
    const o = await this.#read(() => this.contract.offerOf(offerId));
    return { offerId, producer: o.producer, capacity: o.capacity, available: o.available, rate: o.rate, location: o.location, open: o.open };
  }

  async purchaseOf(purchaseId: bigint): Promise<Purchase> {
    const p = await this.#read(() => this.contract.purchaseOf(purchaseId));
    return {
      purchaseId,
      purchaser: p.purchaser,
      offerId: p.offerId,
      quantity: p.quantity,
      cost: p.cost,
      purchasedAt: p.purchasedAt,
      delivered: p.delivered,
      withheld: p.withheld,
      transferCount: Number(p.transferCount),
      pendingCount: Number(p.pendingCount),
      openDisputes: Number(p.openDisputes),
      lastRecordedAt: p.lastRecordedAt,
      status: PURCHASE_STATUS[Number(p.status)],
      billBlock: Number(p.billBlock),
    };
  }

  async transferOf(purchaseId: bigint, index: number): Promise<Transfer> {
    const t = await this.#read(() => this.contract.transferOf(purchaseId, index));
    return { purchaseId, index, amount: t.amount, recordedAt: t.recordedAt, state: TRANSFER_STATE[Number(t.state)] };
  }

  async meterOf(meter: string): Promise<Meter> {
    const m = await this.#read(() => this.contract.meterOf(meter));
    return { meter: getAddress(meter), producer: m.producer, ratedPower: m.ratedPower, lastEnd: m.lastEnd, active: m.active };
  }

  async balanceOf(account: string): Promise<bigint> {
    return this.#read(() => this.contract.balanceOf(account));
  }

  async counts(): Promise<RecordCounts> {
    const c = await this.#read(() => this.contract.recordCounts());
    return {
      offers: c.offers,
      storageReadings: c.storageReadings,
      purchases: c.purchases,
      transfers: c.transfers,
      acknowledgements: c.acknowledgements,
      bills: c.bills,
    };
  }

  async operator(): Promise<string> {
    return this.#read(() => this.contract.operator());
  }

  async windows(): Promise<{ disputeWindow: bigint; resolutionWindow: bigint; billingTimeout: bigint }> {
    const [disputeWindow, resolutionWindow, billingTimeout] = await Promise.all([
      this.contract.disputeWindow(),
      this.contract.resolutionWindow(),
      this.contract.billingTimeout(),
    ]);
    return { disputeWindow, resolutionWindow, billingTimeout };
  }

  /** The bill CID recorded for a purchase, read from its BillRecorded log; undefined when not billed. */
  async billOf(purchaseId: bigint): Promise<EventOf<"BillRecorded"> | undefined> {
    const { billBlock, status } = await this.purchaseOf(purchaseId);
    if (status !== "billed") return undefined;
    const [event] = await this.#logs(["BillRecorded"], [purchaseId], billBlock, billBlock);
    if (!event) throw new Error(`purchase ${purchaseId} is billed in block ${billBlock} but its BillRecorded log is missing`);
    return event as EventOf<"BillRecorded">;
  }

  /** Every event of one purchase, oldest first. */
  async purchaseEvents(purchaseId: bigint, fromBlock = this.fromBlock): Promise<LedgerEvent[]> {
    return this.#logs(PURCHASE_EVENTS, [purchaseId], fromBlock, "latest");
  }

  /**
   * One page of history, newest first. Pages read backwards through block ranges, so one page costs the
   * same however many records the chain holds.
   */
  async history(filter: HistoryFilter = {}, page: { size?: number; before?: HistoryCursor } = {}): Promise<HistoryPage> {
    const size = page.size ?? 50;
    const { kinds, topic1, topic2, topic3 } = this.#topics(filter);
    const latest = await this.headBlock();
    let floor = Math.max(this.fromBlock, filter.fromBlock ?? 0);
    let to = Math.min(page.before?.blockNumber ?? latest, filter.toBlock ?? latest);
    if (filter.fromTime !== undefined) floor = Math.max(floor, await this.blockAtTime(filter.fromTime, latest));
    if (filter.toTime !== undefined) to = Math.min(to, (await this.blockAtTime(filter.toTime + 1n, latest)) - 1);
    const events: LedgerEvent[] = [];
    // Start with as many blocks as the page has rows and widen while the blocks read are sparse: a dense chain
    // reads about one page of logs, a sparse one a few growing ranges.
    let range = Math.min(this.logRange, Math.max(size, 16));
    while (to >= floor && events.length < size) {
      const from = Math.max(floor, to - range + 1);
      const found = (await this.#logs(kinds, topic1, from, to, topic2, topic3))
        .filter((e) => !page.before || compareEvents(e, page.before) < 0)
        .sort((a, b) => compareEvents(b, a));
      for (const e of found) events.push(e);
      to = from - 1;
      if (found.length < (size - events.length + found.length) / 2) range = Math.min(this.logRange, range * 4);
    }
    const result = events.slice(0, size);
    const last = result.at(-1);
    const more = events.length > size || (last !== undefined && to >= floor);
    return { events: result, next: more && last ? { blockNumber: last.blockNumber, logIndex: last.logIndex } : undefined };
  }

  /** Logs of the given kinds in a block range, parsed, oldest first; split into `logRange` pieces. */
  async #logs(
    kinds: readonly EventKind[],
    topic1: readonly (bigint | string)[] | undefined,
    fromBlock: number,
    toBlock: number | "latest",
    topic2?: readonly string[],
    topic3?: readonly string[],
  ): Promise<LedgerEvent[]> {
    const last = toBlock === "latest" ? await this.headBlock() : toBlock;
    const out: LedgerEvent[] = [];
    for (let from = fromBlock; from <= last; from += this.logRange) {
      const to = Math.min(last, from + this.logRange - 1);
      const topics = [kinds.map(topicOf), topicList(topic1), topicList(topic2), topicList(topic3)];
      // A node matches only logs with at least as many topics as the filter: drop trailing wildcards.
      while (topics.at(-1) === null) topics.pop();
      const logs = await this.provider.getLogs({ address: this.address, fromBlock: from, toBlock: to, topics });
      for (const log of logs) {
        const event = parseLedgerLog(log);
        if (event) out.push(event);
      }
    }
    return out.sort(compareEvents);
  }

  #topics(filter: HistoryFilter) {
    let kinds: readonly EventKind[] = filter.kinds ?? [
      "OfferOpened",
      "StorageRecorded",
      "OfferClosed",
      ...PURCHASE_EVENTS,
      "MeterAuthorized",
      "MeterRevoked",
    ];
    let topic1: (bigint | string)[] | undefined;
    if (filter.purchaseId !== undefined) {
      kinds = kinds.filter((k) => PURCHASE_EVENTS.includes(k));
      topic1 = [filter.purchaseId];
    }
    if (filter.offerId !== undefined) {
      // Offer events carry the offer id as a topic; a purchase's events name their offer only in EnergyPurchased.
      kinds = kinds.filter((k) => k === "OfferOpened" || k === "StorageRecorded" || k === "OfferClosed");
      topic1 = [filter.offerId];
    }
    if (filter.producer !== undefined) kinds = kinds.filter((k) => PRODUCER_EVENTS.includes(k));
    if (filter.purchaser !== undefined) kinds = kinds.filter((k) => PURCHASE_EVENTS.includes(k));
    return {
      kinds,
      topic1,
      topic2: filter.producer ? [filter.producer] : undefined,
      topic3: filter.purchaser ? [filter.purchaser] : undefined,
    };
  }

  /** The first block at or after a unix time (latest + 1 when none is), by binary search: O(log blocks). */
  async blockAtTime(time: bigint, latest?: number): Promise<number> {
    let lo = this.fromBlock;
    let hi = (latest ?? (await this.headBlock())) + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const block = await this.provider.getBlock(mid);
      if (block && BigInt(block.timestamp) >= time) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  // ------------------------------------------------------------- internal

  #requireSender(): TxSender {
    if (!this.#sender) throw new Error("this client is read-only: connect it with a signer to send transactions");
    return this.#sender;
  }

  async #send(method: WriteMethod, args: readonly unknown[], value: bigint, onStatus?: (s: TxStatus) => void) {
    const sender = this.#requireSender();
    const data = encodeWrite(method, args);
    return sender.send({ to: this.address, data, value, gasLimit: this.#gasLimits[method] }, onStatus);
  }

  #result<K extends EventKind, Id>(mined: MinedTx, kind: K, id: (e: EventOf<K>) => Id): WriteResult<Id> {
    const event = mined.logs
      .filter((log) => log.address.toLowerCase() === this.address.toLowerCase())
      .map(parseLedgerLog)
      .find((e): e is EventOf<K> => e?.kind === kind);
    if (!event) throw new Error(`transaction ${mined.hash} was mined without a ${kind} event`);
    return {
      hash: mined.hash,
      blockNumber: mined.blockNumber,
      gasUsed: mined.gasUsed,
      fee: mined.fee,
      id: id(event),
      get receipt() {
        return mined.receipt;
      },
    };
  }

  async #read<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw decodeLedgerError(error);
    }
  }
}

/**
 * Each write's parameters, selector and word-by-word encoder, found once: ethers' encodeFunctionData looks the
 * function up by name and hashes its signature for the selector on every call.
 */
const WRITE_FRAGMENTS = new Map(
  WRITE_METHODS.map((m) => {
    const fragment = ledgerInterface.getFunction(m)!;
    return [m, { inputs: fragment.inputs, selector: fragment.selector, encodeStatic: staticArgsEncoder(fragment.inputs) }] as const;
  }),
);

/** The calldata of a write: its selector and ABI-encoded arguments, as encodeFunctionData gives. */
function encodeWrite(method: WriteMethod, args: readonly unknown[]): string {
  const { inputs, selector, encodeStatic } = WRITE_FRAGMENTS.get(method)!;
  return selector + (encodeStatic?.(args) ?? AbiCoder.defaultAbiCoder().encode(inputs, args).slice(2));
}

function topicList(values: readonly (bigint | string)[] | undefined): string[] | null {
  if (!values) return null;
  return values.map((v) => (typeof v === "bigint" ? "0x" + v.toString(16).padStart(64, "0") : "0x" + v.toLowerCase().replace(/^0x/, "").padStart(64, "0")));
}
