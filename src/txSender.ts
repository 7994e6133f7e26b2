/**
 * Sends transactions from one account safely under concurrency: nonces are assigned in order under a lock, a
 * reverting call is reported with its decoded custom error, and a transaction that is dropped or underpriced is
 * resubmitted with the same nonce and higher fees, or reported: never silently lost.
 *
 * With a key held here (an ethers Wallet: devices, scripts) the sender builds and signs each transaction itself
 * and sends it with one eth_sendRawTransaction: fee data comes from a short per-provider cache, the chain id is
 * read once, and the lock covers only taking the nonce, signing and queueing the transaction, so many
 * transactions of one account are in flight at once (at most `maxInFlight`). They leave in nonce order through
 * the provider's send queue (sendQueue.ts: one request per account out at a time, the accounts sharing a few
 * requests, each a JSON-RPC batch of what was signed meanwhile). Receipts come from one poller per provider that follows the chain's blocks
 * (receiptPoller.ts). Other signers (a node's unlocked account, a browser wallet) sign and send through ethers,
 * one at a time under the lock, as the wallet wants.
 *
 * Transactions are encoded here (txEncoding.ts, ethers' bytes) and signed with libsecp256k1 in Node when its
 * binding loads, ethers' pure-JS secp256k1 otherwise (a browser): the same bytes either way (txSigning.ts). The
 * JS signer costs this process about 0.6-0.9 ms of CPU a transaction, the native one under 0.1 ms.
 *
 * Gas: without a gas limit the call is estimated first, outside the lock (it needs no nonce), so a call that
 * would revert fails there, before it takes a nonce. With a gas limit given (a device sending many readings a
 * second sets one per method) there is no estimate: a reverting call is mined as failed, uses its nonce (the
 * sequence stays intact) and is reported from its receipt, its custom error decoded by replaying the call.
 */
import {
  BaseWallet,
  getBigInt,
  isError,
  resolveAddress,
  type FeeData,
  type Provider,
  type Signer,
  type TransactionReceipt,
  type TransactionRequest,
} from "ethers";
import { z } from "zod";
import { cachedFeeData } from "./feeCache.js";
import { checksumAddress } from "./keccak.js";
import { decodeLedgerError } from "./ledgerErrors.js";
import { MinedTx } from "./receiptFormat.js";
import { ReceiptPoller } from "./receiptPoller.js";
import { SendQueue, sendRawTransaction, settle, type SendOutcome } from "./sendQueue.js";
import { validate } from "./schemas.js";
import { signTransaction, type UnsignedTx } from "./txEncoding.js";
import { digestSigner } from "./txSigning.js";

/** Where a transaction stands, reported to `onStatus` as it moves on. */
export type TxStatus =
  | { stage: "signing" }
  | { stage: "pending"; hash: string; nonce: number | undefined }
  | { stage: "resubmitted"; hash: string; nonce: number; attempt: number }
  | { stage: "mined"; hash: string; blockNumber: number };

export interface TxSenderOptions {
  /** How long to wait for a receipt before checking whether the transaction was dropped, ms. */
  confirmTimeoutMs?: number;
  /** How many times a dropped or underpriced transaction is resubmitted before it is reported. */
  maxResubmits?: number;
  /** Fee increase per resubmission, percent (nodes need at least 10% to replace). */
  feeBumpPercent?: number;
  /**
   * Whether this sender assigns nonces itself. True for keys held here (devices, scripts); false for
   * wallets that assign their own (a browser wallet), where sends are still serialised.
   */
  manageNonce?: boolean;
  /**
   * How long fee data read from the node is reused by the senders on one provider, ms; 0 reads it for every
   * transaction. Only for keys held here: other signers leave fees to their wallet or node.
   */
  feeCacheMs?: number;
  /** Most transactions of this sender between signing and receipt at once; more wait for a slot. */
  maxInFlight?: number;
}

const optionsSchema = z.object({
  confirmTimeoutMs: z.number().int().positive().optional(),
  maxResubmits: z.number().int().min(0).optional(),
  feeBumpPercent: z.number().int().min(10, "must be at least 10: nodes refuse a smaller raise as a replacement").optional(),
  manageNonce: z.boolean().optional(),
  feeCacheMs: z.number().int().min(0).optional(),
  maxInFlight: z.number().int().positive().optional(),
});

/** A transaction that was sent but could not be seen mined. */
export class TxNotMinedError extends Error {
  override readonly name = "TxNotMinedError";
  constructor(
    readonly hash: string,
    readonly nonce: number | undefined,
    reason: string,
  ) {
    super(`transaction ${hash}${nonce === undefined ? "" : ` (nonce ${nonce})`} was not mined: ${reason}`);
  }
}

/** A transaction that was mined but reverted, when replaying it does not say why. */
export class TxRevertedError extends Error {
  override readonly name = "TxRevertedError";
  constructor(
    readonly receipt: TransactionReceipt,
    reason?: string,
    cause?: unknown,
  ) {
    super(`transaction ${receipt.hash} reverted in block ${receipt.blockNumber}${reason ? `: ${reason}` : ""}`, { cause });
  }
}

/**
 * Headroom over the estimate. An estimate is the least gas that succeeds on the state it was made on; sends
 * estimated concurrently all see the same state, and those mined before this one change it (a storage slot
 * written from zero costs 20,000 gas, rewritten 2,900, left as it was 100). Unused gas is not paid for.
 */
const ESTIMATE_MARGIN_PERCENT = 20n;


/** A 0x-prefixed 20-byte address in any case: checksummed from a cache rather than resolved as a name. */
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Gas of a transfer of ether to an account without code: what fills a nonce left unused. */
const TRANSFER_GAS = 21_000n;

export class TxSender {
  readonly #signer: Signer;
  /** The key, when it is held here: transactions are then built and signed in this process. */
  readonly #key: BaseWallet | undefined;
  readonly #provider: Provider;
  readonly #receipts: ReceiptPoller;
  readonly #sendQueue: SendQueue;
  readonly #options: Required<TxSenderOptions>;
  #tail: Promise<unknown> = Promise.resolve();
  #nextNonce: number | undefined;
  /** Set when the node refused a nonce: the next one is taken no lower than the node's count. */
  #resync = false;
  #address: Promise<string> | undefined;
  #chainId: Promise<bigint> | undefined;
  #inFlight = 0;
  /** Nonces of this sender's transactions sent and not yet mined or given up. */
  readonly #unmined = new Set<number>();
  readonly #slotWaiters: (() => void)[] = [];

  constructor(signer: Signer, options: TxSenderOptions = {}) {
    if (!signer.provider) throw new Error("the signer has no provider: connect it to an RPC node first");
    validate(optionsSchema, options);
    this.#signer = signer;
    this.#provider = signer.provider;
    this.#options = {
      confirmTimeoutMs: options.confirmTimeoutMs ?? 60_000,
      maxResubmits: options.maxResubmits ?? 3,
      feeBumpPercent: options.feeBumpPercent ?? 15,
      manageNonce: options.manageNonce ?? true,
      feeCacheMs: options.feeCacheMs ?? 1_000,
      maxInFlight: options.maxInFlight ?? 64,
    };
    // A key held here signs here, unless the caller chose to leave nonces to someone else.
    this.#key = signer instanceof BaseWallet && this.#options.manageNonce ? signer : undefined;
    this.#receipts = ReceiptPoller.for(this.#provider);
    this.#sendQueue = SendQueue.for(this.#provider);
  }

  get signer(): Signer {
    return this.#signer;
  }

  /** Sends a transaction and resolves with it once mined; rejects with a decoded error otherwise. */
  async send(request: TransactionRequest, onStatus?: (status: TxStatus) => void): Promise<MinedTx> {
    onStatus?.({ stage: "signing" });
    await this.#takeSlot();
    try {
      // Estimated now, alongside this sender's other transactions; the nonce is taken under the lock, entered
      // now, so that transactions take their nonces in the order they were sent, whichever estimate comes back
      // first (a meter's consecutive transfer windows must be mined in order).
      const preparing = this.#prepare(request);
      preparing.catch(() => undefined); // awaited under the lock; a failure is thrown there
      const sent = this.#key ? await this.#broadcastSigned(this.#key, preparing) : await this.#broadcastViaSigner(preparing);
      if (sent.nonce !== undefined) this.#unmined.add(sent.nonce);
      try {
        onStatus?.({ stage: "pending", hash: sent.hash, nonce: sent.nonce });
        const mined = await this.#waitMined(sent, onStatus);
        onStatus?.({ stage: "mined", hash: mined.hash, blockNumber: mined.blockNumber });
        return mined;
      } finally {
        if (sent.nonce !== undefined) this.#unmined.delete(sent.nonce);
      }
    } finally {
      this.#releaseSlot();
    }
  }

  /** Whether a transaction of this sender with a lower nonce than `nonce` is still waiting to be mined. */
  #behindAnother(nonce: number): boolean {
    for (const other of this.#unmined) if (other < nonce) return true;
    return false;
  }

  async #takeSlot(): Promise<void> {
    if (this.#inFlight < this.#options.maxInFlight) {
      this.#inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
  }

  /** Hands the slot to the first waiting send, or frees it. */
  #releaseSlot(): void {
    const next = this.#slotWaiters.shift();
    if (next) next();
    else this.#inFlight--;
  }

  /** Runs `task` after every earlier task of this sender has run. */
  #locked<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task, task);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** The account's address, asked once (a failed ask is asked again). */
  #from(): Promise<string> {
    if (!this.#address) {
      const address = this.#signer.getAddress();
      this.#address = address;
      address.catch(() => {
        if (this.#address === address) this.#address = undefined;
      });
    }
    return this.#address;
  }

  /** The chain id, read once: signed transactions carry it, and the node refuses them on another chain. */
  #chain(): Promise<bigint> {
    if (!this.#chainId) {
      const chainId = this.#provider.getNetwork().then((n) => n.chainId);
      this.#chainId = chainId;
      chainId.catch(() => {
        if (this.#chainId === chainId) this.#chainId = undefined;
      });
    }
    return this.#chainId;
  }

  /** The request with its sender and gas limit: the caller's, or estimated (a call that would revert fails here). */
  async #prepare(request: TransactionRequest): Promise<Prepared> {
    const from = await this.#from();
    if (request.gasLimit != null) return { ...request, from, gasLimit: getBigInt(request.gasLimit) };
    try {
      const estimate = await this.#provider.estimateGas({ ...request, from });
      return { ...request, from, gasLimit: (estimate * (100n + ESTIMATE_MARGIN_PERCENT)) / 100n };
    } catch (error) {
      throw decodeLedgerError(error);
    }
  }

  async #takeNonce(): Promise<number> {
    if (this.#nextNonce === undefined || this.#resync) {
      const counted = await this.#provider.getTransactionCount(await this.#from(), "pending");
      // Never below what this sender has handed out: its own transactions may still be on their way.
      this.#nextNonce = Math.max(counted, this.#nextNonce ?? 0);
      this.#resync = false;
    }
    return this.#nextNonce++;
  }

  /** A nonce whose transaction the node refused: the next send takes it, or, when later ones are out, a filler. */
  async #abandon(key: BaseWallet, nonce: number): Promise<void> {
    if (this.#nextNonce === nonce + 1) {
      this.#nextNonce = nonce;
      return;
    }
    // Later nonces are out already and would wait behind the hole for ever: fill it with a transfer of nothing
    // to this account, at fresh fees. A nonce error means the nonce was used after all (no hole); any other
    // failure leaves the later transactions to be reported by their own wait.
    try {
      const filler = await this.#signRequest(key, { to: key.address, value: 0n, gasLimit: TRANSFER_GAS, nonce }, await this.#provider.getFeeData());
      await this.#sendRaw(filler.raw);
    } catch {
      // reported through the later transactions, as above
    }
  }

  /** Takes a nonce, signs and hands the transaction to the provider; retries a refused nonce or stale fees. */
  async #broadcastSigned(key: BaseWallet, preparing: Promise<Prepared>): Promise<Sent> {
    // Fees once the request is ready: a call whose estimate fails costs no more than the estimate.
    let fees = preparing.then(() => cachedFeeData(this.#provider, this.#options.feeCacheMs));
    fees.catch(() => undefined); // awaited under the lock, as `preparing` is
    for (let attempt = 0; ; attempt++) {
      // Under the lock only the nonce, the signature and the hand-over (no round trip once the first nonce is
      // known): the account's next transaction is signed while this one travels, and they leave in nonce order.
      const { signed, sending } = await this.#locked(async () => {
        const [prepared, feeData] = await Promise.all([preparing, fees]);
        const nonce = await this.#takeNonce();
        let signed: Signed;
        try {
          signed = await this.#signRequest(key, { ...prepared, nonce }, feeData);
        } catch (error) {
          if (this.#nextNonce === nonce + 1) this.#nextNonce = nonce;
          throw error;
        }
        return { signed, sending: this.#sendQueue.send(signed.raw, key.address) };
      });
      const queued = await sending;
      let outcome: SendOutcome = queued;
      let { sentAt } = queued;
      // An error does not always mean the node lacks the transaction: an answer lost on the way, or a request
      // sent again after the node had read it ("already imported", or "nonce too low" once mined). If the node
      // knows this very transaction, it was sent; signing the request again would record it twice.
      if (!outcome.ok && (await this.#nodeHas(signed.hash))) outcome = { ok: true };
      if (!outcome.ok && !isNonceError(outcome.error) && isFeeError(outcome.error)) {
        // Priced from a cached reading the chain has moved past: the same nonce at fresh fees.
        const fresh = await this.#provider.getFeeData();
        fees = Promise.resolve(fresh);
        const repriced = await this.#signRequest(key, signed.request, fresh, true);
        sentAt = performance.now();
        outcome = await settle(this.#sendRaw(repriced.raw));
        if (outcome.ok) return sentOf(repriced.hash, repriced.nonce, repriced.request, sentAt);
      }
      if (outcome.ok) return sentOf(signed.hash, signed.nonce, signed.request, sentAt);
      if (attempt < 2 && isNonceError(outcome.error)) {
        // Another program used this account: take the node's count again.
        this.#resync = true;
        continue;
      }
      await this.#abandon(key, signed.nonce);
      throw decodeLedgerError(outcome.error);
    }
  }

  /** Whether the node knows the transaction (pending or mined); false when it cannot be asked. */
  async #nodeHas(hash: string): Promise<boolean> {
    try {
      return (await this.#provider.getTransaction(hash)) !== null;
    } catch {
      return false;
    }
  }

  /** Sends through the signer (it signs; a browser wallet asks its user), one at a time under the lock. */
  async #broadcastViaSigner(preparing: Promise<Prepared>): Promise<Sent> {
    return this.#locked(async () => {
      const prepared = await preparing;
      for (let attempt = 0; ; attempt++) {
        const nonce = this.#options.manageNonce ? await this.#takeNonce() : undefined;
        try {
          const sentAt = performance.now();
          const response = await this.#signer.sendTransaction({ ...prepared, nonce });
          return sentOf(response.hash, response.nonce, { ...prepared, nonce: response.nonce }, sentAt);
        } catch (error) {
          if (attempt < 2 && this.#options.manageNonce && isNonceError(error)) {
            this.#resync = true;
            continue;
          }
          if (nonce !== undefined && this.#nextNonce === nonce + 1) this.#nextNonce = nonce;
          throw decodeLedgerError(error);
        }
      }
    });
  }

  /**
   * Builds and signs the transaction with the key: EIP-1559 when the chain has a base fee, else legacy. Fees the
   * request names are kept, unless `replace` (a repricing) says to take `fees`.
   */
  async #signRequest(key: BaseWallet, request: TransactionRequest, fees: FeeData, replace = false): Promise<Signed> {
    const pick = (given: TransactionRequest["gasPrice"], fresh: bigint | null) => (replace || given == null ? fresh : getBigInt(given));
    const chainId = await this.#chain();
    const to = request.to == null ? null : typeof request.to === "string" && ADDRESS.test(request.to) ? checksumAddress(request.to) : await resolveAddress(request.to);
    const common = {
      chainId,
      nonce: request.nonce!,
      gasLimit: getBigInt(request.gasLimit!),
      to,
      value: request.value == null ? 0n : getBigInt(request.value),
      data: request.data ?? "0x",
    };
    const tx: UnsignedTx =
      request.gasPrice == null && fees.maxFeePerGas != null
        ? {
            ...common,
            type: 2,
            maxFeePerGas: required(pick(request.maxFeePerGas, fees.maxFeePerGas), "maxFeePerGas"),
            maxPriorityFeePerGas: required(pick(request.maxPriorityFeePerGas, fees.maxPriorityFeePerGas), "maxPriorityFeePerGas"),
          }
        : { ...common, type: 0, gasPrice: required(pick(request.gasPrice, fees.gasPrice), "gasPrice") };
    const sign = await digestSigner();
    // Let timers and I/O run now and then: requests leave, answers come back and receipts are polled while
    // transactions are still being signed (signing is all microtasks otherwise). Checked with no await between
    // the check and the signature: each sender's check then sees the time the others' signatures took.
    for (let turn = turnIfDue(); turn; turn = turnIfDue()) await turn;
    const { raw, hash } = signTransaction(tx, (digest) => sign(digest, key.signingKey));
    const priced = tx.type === 2 ? { maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas } : { gasPrice: tx.gasPrice };
    return {
      raw,
      hash,
      nonce: tx.nonce,
      request: { ...request, ...priced, from: key.address, to, nonce: tx.nonce, chainId, type: tx.type },
    };
  }

  /** One eth_sendRawTransaction, on its own. */
  #sendRaw(raw: string): Promise<unknown> {
    return sendRawTransaction(this.#provider, raw);
  }

  async #waitMined(sent: Sent, onStatus?: (status: TxStatus) => void): Promise<MinedTx> {
    let current = sent;
    for (let resubmits = 0; ; ) {
      const mined = await this.#receipts.wait(current.hash, this.#options.confirmTimeoutMs, current.sentAt);
      if (mined) {
        if (mined.status === 0) throw await this.#revertReason(mined, current.request);
        return mined;
      }
      // Behind an earlier transaction of this account that is not mined either: it cannot be mined before that
      // one, which is resubmitted or reported on its own. Resubmitting every transaction queued behind it (a
      // device may have a hundred out) would only flood the node's pool with replacements. Wait on.
      if (current.nonce !== undefined && this.#options.manageNonce && this.#behindAnother(current.nonce)) continue;
      const stillKnown = await this.#provider.getTransaction(current.hash);
      if (stillKnown && resubmits >= this.#options.maxResubmits) {
        throw new TxNotMinedError(current.hash, current.nonce, "still pending after every wait; it may yet be mined");
      }
      if (!stillKnown && resubmits >= this.#options.maxResubmits) {
        throw new TxNotMinedError(current.hash, current.nonce, "dropped by the node and every resubmission failed");
      }
      if (current.nonce === undefined || !this.#options.manageNonce) {
        if (!stillKnown) throw new TxNotMinedError(current.hash, current.nonce, "dropped by the node");
        resubmits++;
        continue;
      }
      const minedCount = await this.#provider.getTransactionCount(await this.#from(), "latest");
      if (minedCount > current.nonce) return this.#minedEarlier(current);
      resubmits++;
      try {
        current = await this.#resubmit(current);
      } catch (error) {
        // The nonce was used while we resubmitted: by one of our earlier attempts, or by someone else.
        if (isNonceError(error)) return this.#minedEarlier(current);
        throw decodeLedgerError(error);
      }
      onStatus?.({ stage: "resubmitted", hash: current.hash, nonce: current.nonce!, attempt: resubmits });
    }
  }

  /** The nonce is used: the receipt of whichever of our attempts at it was mined, else an error saying so. */
  async #minedEarlier(sent: Sent): Promise<MinedTx> {
    for (const hash of [...sent.hashes].reverse()) {
      const receipt = await this.#provider.getTransactionReceipt(hash);
      if (!receipt) continue;
      const mined = new MinedTx(receipt);
      if (mined.status === 0) throw await this.#revertReason(mined, sent.request);
      return mined;
    }
    throw new TxNotMinedError(sent.hash, sent.nonce, "its nonce was taken by another transaction");
  }

  /** The same transaction, same nonce, with fees raised so that nodes accept it as a replacement. */
  async #resubmit(sent: Sent): Promise<Sent> {
    const fees = await this.#provider.getFeeData();
    const bump = (value: bigint | null | undefined, floor: bigint | null) => {
      const base = value ?? floor ?? 0n;
      const raised = (base * BigInt(100 + this.#options.feeBumpPercent)) / 100n + 1n;
      return floor !== null && floor > raised ? floor : raised;
    };
    const request: TransactionRequest = { ...sent.request };
    if (fees.maxFeePerGas !== null && request.gasPrice == null) {
      request.maxFeePerGas = bump((request.maxFeePerGas as bigint | undefined) ?? fees.maxFeePerGas, fees.maxFeePerGas);
      request.maxPriorityFeePerGas = bump(
        (request.maxPriorityFeePerGas as bigint | undefined) ?? fees.maxPriorityFeePerGas,
        fees.maxPriorityFeePerGas,
      );
    } else {
      request.gasPrice = bump((request.gasPrice as bigint | undefined) ?? fees.gasPrice, fees.gasPrice);
    }
    const sentAt = performance.now();
    if (this.#key) {
      const signed = await this.#signRequest(this.#key, request, fees);
      await this.#sendRaw(signed.raw);
      return { hash: signed.hash, nonce: signed.nonce, request: signed.request, hashes: [...sent.hashes, signed.hash], sentAt };
    }
    const response = await this.#signer.sendTransaction(request);
    return { hash: response.hash, nonce: response.nonce, request, hashes: [...sent.hashes, response.hash], sentAt };
  }

  /**
   * Why a mined transaction reverted: the call replayed on the state of its block, its custom error decoded.
   * A call that does not revert on replay but used all its gas ran out of it (a gas limit set too low).
   */
  async #revertReason(mined: MinedTx, request: TransactionRequest): Promise<Error> {
    try {
      await this.#provider.call({ from: request.from, to: request.to, data: request.data, value: request.value, blockTag: mined.blockNumber });
    } catch (error) {
      const decoded = decodeLedgerError(error);
      if (decoded instanceof Error) return decoded;
    }
    const gasLimit = request.gasLimit == null ? undefined : getBigInt(request.gasLimit);
    if (gasLimit !== undefined && mined.gasUsed >= gasLimit) {
      return new TxRevertedError(mined.receipt, `it ran out of gas (limit ${gasLimit}): raise the gas limit or let the sender estimate it`);
    }
    return new TxRevertedError(mined.receipt);
  }
}

interface Sent {
  hash: string;
  nonce: number | undefined;
  request: TransactionRequest;
  /** Every hash sent for this nonce, oldest first (resubmissions add theirs). */
  hashes: string[];
  /** performance.now() when the request carrying the transaction left for the node. */
  sentAt: number;
}

/** A transaction just sent: its hash is the first of its nonce. */
function sentOf(hash: string, nonce: number | undefined, request: TransactionRequest, sentAt: number): Sent {
  return { hash, nonce, request, hashes: [hash], sentAt };
}

/** A request with its sender and gas limit, ready to take a nonce. */
type Prepared = TransactionRequest & { from: string; gasLimit: bigint };

interface Signed {
  raw: string;
  hash: string;
  nonce: number;
  request: TransactionRequest;
}



/** A fee the node gave no value for: the transaction cannot be priced. */
function required(fee: bigint | null, field: string): bigint {
  if (fee == null) throw new Error(`${field}: the node gave no fee data to price the transaction with`);
  return fee;
}

/** How long signing may hold the event loop before timers and I/O get a turn, ms. */
const YIELD_EVERY_MS = 2;
/** When the current slice of signing began: the budget is the process's, shared by every sender. */
let sliceStart = 0;
/** The turn of the event loop the senders over budget wait for together, while one is pending. */
let nextTurn: Promise<void> | undefined;

/**
 * The turn of the event loop (setImmediate in Node, a zero timeout in a browser) to wait for before signing
 * more, once signing has held the event loop for YIELD_EVERY_MS; undefined while the slice lasts. Often enough
 * that requests leave and answers come back while signing goes on, seldom enough that what is signed in between
 * leaves together. All senders wait for the same turn: were each to wait for a turn of its own, each would sign
 * its own slice when its turn came, one after another in the same turn of the loop (measured: 24 senders held it
 * for 70-85 ms at a time with ethers' signer, one signature each, and the node's answers waited).
 */
function turnIfDue(): Promise<void> | undefined {
  if (performance.now() - sliceStart < YIELD_EVERY_MS) return undefined;
  nextTurn ??= new Promise((resolve) => {
    const next = () => {
      nextTurn = undefined;
      sliceStart = performance.now();
      resolve();
    };
    if (typeof setImmediate === "function") setImmediate(next);
    else setTimeout(next, 0);
  });
  return nextTurn;
}

function isNonceError(error: unknown): boolean {
  if (isError(error, "NONCE_EXPIRED") || isError(error, "REPLACEMENT_UNDERPRICED")) return true;
  const message = errorText(error);
  return message.includes("nonce too low") || message.includes("nonce has already been used");
}

/** A refusal for fees below what the chain asks now (not a replacement's: that is a nonce in use). */
function isFeeError(error: unknown): boolean {
  return /underpriced|fee cap less than|max fee per gas less than|maxfeepergas.*less than.*base ?fee/.test(errorText(error));
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return "";
  const nested = (error as { error?: { message?: unknown } }).error?.message;
  return `${error.message} ${typeof nested === "string" ? nested : ""}`.toLowerCase();
}
