/**
 * Sends transactions from one account safely under concurrency: nonces are assigned in order under a lock,
 * a reverting call is rejected before it takes a nonce, and a transaction that is dropped or underpriced is
 * resubmitted with the same nonce and higher fees, or reported: never silently lost.
 */
import type { Provider, Signer, TransactionReceipt, TransactionRequest } from "ethers";
import { isError } from "ethers";
import { decodeLedgerError } from "./ledgerErrors.js";

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
}

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

/** A transaction that was mined but reverted. */
export class TxRevertedError extends Error {
  override readonly name = "TxRevertedError";
  constructor(
    readonly receipt: TransactionReceipt,
    cause?: unknown,
  ) {
    super(`transaction ${receipt.hash} reverted in block ${receipt.blockNumber}`, { cause });
  }
}

export class TxSender {
  readonly #signer: Signer;
  readonly #provider: Provider;
  readonly #options: Required<TxSenderOptions>;
  #tail: Promise<unknown> = Promise.resolve();
  #nextNonce: number | undefined;

  constructor(signer: Signer, options: TxSenderOptions = {}) {
    if (!signer.provider) throw new Error("the signer has no provider: connect it to an RPC node first");
    this.#signer = signer;
    this.#provider = signer.provider;
    this.#options = {
      confirmTimeoutMs: options.confirmTimeoutMs ?? 60_000,
      maxResubmits: options.maxResubmits ?? 3,
      feeBumpPercent: options.feeBumpPercent ?? 15,
      manageNonce: options.manageNonce ?? true,
    };
  }

  get signer(): Signer {
    return this.#signer;
  }

  /** Sends a transaction and resolves with its receipt once mined; rejects with a decoded error otherwise. */
  async send(request: TransactionRequest, onStatus?: (status: TxStatus) => void): Promise<TransactionReceipt> {
    onStatus?.({ stage: "signing" });
    const sent = await this.#locked(() => this.#broadcast(request));
    onStatus?.({ stage: "pending", hash: sent.hash, nonce: sent.nonce });
    const receipt = await this.#waitMined(sent, onStatus);
    onStatus?.({ stage: "mined", hash: receipt.hash, blockNumber: receipt.blockNumber });
    return receipt;
  }

  /** Runs `task` after every earlier task of this sender has broadcast its transaction. */
  #locked<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task, task);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #broadcast(request: TransactionRequest): Promise<Sent> {
    const from = await this.#signer.getAddress();
    let populated: TransactionRequest;
    try {
      // Estimating first means a call that would revert fails here, before it takes a nonce.
      const gasLimit = request.gasLimit ?? (await this.#signer.estimateGas({ ...request, from }));
      populated = { ...request, from, gasLimit };
    } catch (error) {
      throw decodeLedgerError(error);
    }
    for (let attempt = 0; ; attempt++) {
      const nonce = this.#options.manageNonce ? await this.#takeNonce() : undefined;
      try {
        const response = await this.#signer.sendTransaction({ ...populated, nonce });
        return { hash: response.hash, nonce: response.nonce, request: { ...populated, nonce: response.nonce } };
      } catch (error) {
        if (attempt < 2 && this.#options.manageNonce && isNonceError(error)) {
          // Another program used this account: take the node's count again.
          this.#nextNonce = undefined;
          continue;
        }
        if (nonce !== undefined && this.#nextNonce === nonce + 1) this.#nextNonce = nonce;
        throw decodeLedgerError(error);
      }
    }
  }

  async #takeNonce(): Promise<number> {
    this.#nextNonce ??= await this.#provider.getTransactionCount(await this.#signer.getAddress(), "pending");
    return this.#nextNonce++;
  }

  async #waitMined(sent: Sent, onStatus?: (status: TxStatus) => void): Promise<TransactionReceipt> {
    let current = sent;
    for (let resubmits = 0; ; ) {
      const receipt = await this.#pollReceipt(current.hash);
      if (receipt) {
        if (receipt.status === 0) throw await this.#revertReason(receipt, current.request);
        return receipt;
      }
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
      const mined = await this.#provider.getTransactionCount(await this.#signer.getAddress(), "latest");
      if (mined > current.nonce) {
        // The nonce was used by a transaction we cannot see; look for ours once more.
        const late = await this.#provider.getTransactionReceipt(current.hash);
        if (late) return late;
        throw new TxNotMinedError(current.hash, current.nonce, "its nonce was taken by another transaction");
      }
      resubmits++;
      current = await this.#resubmit(current);
      onStatus?.({ stage: "resubmitted", hash: current.hash, nonce: current.nonce!, attempt: resubmits });
    }
  }

  /**
   * Polls for the receipt until `confirmTimeoutMs`. Asking for the receipt directly (rather than waiting for a
   * new block, as ethers' waitForTransaction does) sees a transaction an automining node mined at once.
   */
  async #pollReceipt(hash: string): Promise<TransactionReceipt | null> {
    const deadline = Date.now() + this.#options.confirmTimeoutMs;
    let delay = 50;
    for (;;) {
      const receipt = await this.#provider.getTransactionReceipt(hash);
      if (receipt) return receipt;
      if (Date.now() >= deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))));
      delay = Math.min(delay * 2, 1_000);
    }
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
    if (fees.maxFeePerGas !== null) {
      request.maxFeePerGas = bump(request.maxFeePerGas as bigint | undefined ?? fees.maxFeePerGas, fees.maxFeePerGas);
      request.maxPriorityFeePerGas = bump(
        (request.maxPriorityFeePerGas as bigint | undefined) ?? fees.maxPriorityFeePerGas,
        fees.maxPriorityFeePerGas,
      );
    } else {
      request.gasPrice = bump((request.gasPrice as bigint | undefined) ?? fees.gasPrice, fees.gasPrice);
    }
    const response = await this.#signer.sendTransaction(request);
    return { hash: response.hash, nonce: response.nonce, request };
  }

  async #revertReason(receipt: TransactionReceipt, request: TransactionRequest): Promise<Error> {
    try {
      await this.#provider.call({ ...request, blockTag: receipt.blockNumber });
    } catch (error) {
      const decoded = decodeLedgerError(error);
      if (decoded instanceof Error) return decoded;
    }
    return new TxRevertedError(receipt);
  }
}

interface Sent {
  hash: string;
  nonce: number | undefined;
  request: TransactionRequest;
}

function isNonceError(error: unknown): boolean {
  if (isError(error, "NONCE_EXPIRED") || isError(error, "REPLACEMENT_UNDERPRICED")) return true;
  const message = error instanceof Error ? error.message.toLowerCase() : "";
  return message.includes("nonce too low") || message.includes("nonce has already been used");
}
