/**
 * A JSON-RPC receipt as ethers' TransactionReceipt, formatted here: the same fields and values as ethers'
 * formatTransactionReceipt (checked against it on real receipts in test/core/receiptFormat.test.ts), with the
 * checksummed addresses taken from keccak.ts's cache. ethers checksums every address of every receipt and log
 * anew (a keccak each) and runs a formatter closure per field, a large share of the client's CPU per event when
 * receipts come back by the thousand. A malformed field is refused with its name, as ethers does.
 */
import { TransactionReceipt, type LogParams, type Provider, type TransactionReceiptParams } from "ethers";
import { checksumAddress } from "./keccak.js";

type Raw = Record<string, unknown>;

const HASH = /^0x[0-9a-fA-F]{64}$/;
const DATA = /^0x(?:[0-9a-fA-F]{2})*$/;
const QUANTITY = /^0x[0-9a-fA-F]+$/;

/** A log as a mined transaction gives it: ethers' Log's fields, without its provider. */
export type MinedLog = Omit<LogParams, "removed">;

/**
 * A mined transaction as the client hands it back: what a write reads of its receipt as plain fields, and
 * ethers' TransactionReceipt made on first ask. Making one costs about 35 µs of CPU (measured here: its fields,
 * and each log's, are defined one at a time as read-only properties), half the cost of signing the
 * transaction, and most writes never look at it.
 */
export class MinedTx {
  readonly hash: string;
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly from: string;
  /** 1 for success, 0 for a revert; null before Byzantium (a state root instead). */
  readonly status: number | null;
  readonly gasUsed: bigint;
  /** The price paid per gas: the effective gas price, as ethers' receipt gives it. */
  readonly gasPrice: bigint;
  readonly logs: readonly MinedLog[];
  #receipt: TransactionReceipt | undefined;
  readonly #params: TransactionReceiptParams | undefined;
  readonly #provider: Provider | undefined;

  /** From a receipt object already made, or from ethers' receipt parameters (formatReceipt's). */
  constructor(receipt: TransactionReceipt);
  constructor(params: TransactionReceiptParams, provider: Provider);
  constructor(from: TransactionReceiptParams | TransactionReceipt, provider?: Provider) {
    this.hash = from.hash;
    this.blockNumber = from.blockNumber;
    this.blockHash = from.blockHash;
    this.from = from.from;
    this.status = from.status;
    this.gasUsed = from.gasUsed;
    if (from instanceof TransactionReceipt) {
      this.gasPrice = from.gasPrice;
      this.logs = from.logs;
      this.#receipt = from;
    } else {
      this.gasPrice = from.effectiveGasPrice ?? from.gasPrice ?? 0n;
      this.logs = from.logs;
      this.#params = from;
      this.#provider = provider;
    }
  }

  /** What the transaction cost its sender: gas used × the price paid. */
  get fee(): bigint {
    return this.gasUsed * this.gasPrice;
  }

  /** ethers' receipt object, the same as its provider's getTransactionReceipt gives. */
  get receipt(): TransactionReceipt {
    this.#receipt ??= new TransactionReceipt(this.#params!, this.#provider!);
    return this.#receipt;
  }
}

/** The mined transaction of this JSON-RPC receipt; throws naming the first malformed field. */
export function minedTx(raw: Raw, provider: Provider): MinedTx {
  return new MinedTx(formatReceipt(raw), provider);
}

/** ethers' TransactionReceiptParams of a JSON-RPC receipt; throws naming the first malformed field. */
export function formatReceipt(raw: Raw): TransactionReceiptParams {
  const hash = raw.transactionHash ?? raw.hash;
  const index = raw.transactionIndex ?? raw.index;
  const gasPrice = raw.effectiveGasPrice ?? raw.gasPrice;
  if (!Array.isArray(raw.logs)) throw new TypeError("receipt.logs: not an array");
  return {
    // Absent fields as ethers leaves them: null for addresses and blob fields, undefined for the others.
    to: orNull(raw.to, address, "to"),
    from: orNull(raw.from, address, "from") as string,
    contractAddress: orNull(raw.contractAddress, address, "contractAddress"),
    hash: hashOf(hash, "hash"),
    index: number(index, "index"),
    blockHash: hashOf(raw.blockHash, "blockHash"),
    blockNumber: number(raw.blockNumber, "blockNumber"),
    logsBloom: orUndefined(raw.logsBloom, data, "logsBloom") as string,
    logs: raw.logs.map((log: unknown, i) => formatLog(log as Raw, `logs[${i}]`)),
    gasUsed: quantity(raw.gasUsed, "gasUsed"),
    blobGasUsed: orNull(raw.blobGasUsed, quantity, "blobGasUsed"),
    cumulativeGasUsed: quantity(raw.cumulativeGasUsed, "cumulativeGasUsed"),
    effectiveGasPrice: orUndefined(gasPrice, quantity, "effectiveGasPrice"),
    blobGasPrice: orNull(raw.blobGasPrice, quantity, "blobGasPrice"),
    type: raw.type == null ? 0 : number(raw.type, "type"),
    status: orUndefined(raw.status, number, "status") as number | null,
    root: orUndefined(raw.root, (v, f) => data(v, f).toLowerCase(), "root") as string | null,
  };
}

/** ethers' formatted log: without `removed` (ethers' receipt formatter leaves it out too). */
function formatLog(log: Raw, at: string): LogParams {
  if (log == null || typeof log !== "object") throw new TypeError(`receipt.${at}: not an object`);
  if (!Array.isArray(log.topics)) throw new TypeError(`receipt.${at}.topics: not an array`);
  return {
    transactionIndex: number(log.transactionIndex, `${at}.transactionIndex`),
    blockNumber: number(log.blockNumber, `${at}.blockNumber`),
    transactionHash: hashOf(log.transactionHash, `${at}.transactionHash`),
    address: address(log.address, `${at}.address`),
    topics: log.topics.map((t: unknown, i) => hashOf(t, `${at}.topics[${i}]`)),
    data: data(log.data, `${at}.data`),
    index: number(log.logIndex ?? log.index, `${at}.index`),
    blockHash: hashOf(log.blockHash, `${at}.blockHash`),
  } as Omit<LogParams, "removed"> as LogParams;
}

function orNull<T>(value: unknown, format: (v: unknown, field: string) => T, field: string): T | null {
  return value == null ? null : format(value, field);
}

function orUndefined<T>(value: unknown, format: (v: unknown, field: string) => T, field: string): T | undefined {
  return value == null ? undefined : format(value, field);
}

function quantity(value: unknown, field: string): bigint {
  if (typeof value === "string" && QUANTITY.test(value)) return BigInt(value);
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw new TypeError(`receipt.${field}: not a hex quantity (${String(value)})`);
}

function number(value: unknown, field: string): number {
  const n = quantity(value, field);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`receipt.${field}: beyond a safe integer (${n})`);
  return Number(n);
}

function hashOf(value: unknown, field: string): string {
  if (typeof value === "string" && HASH.test(value)) return value;
  throw new TypeError(`receipt.${field}: not a 32-byte hash (${String(value)})`);
}

function data(value: unknown, field: string): string {
  if (typeof value === "string" && DATA.test(value)) return value;
  throw new TypeError(`receipt.${field}: not hex bytes (${String(value)})`);
}

function address(value: unknown, field: string): string {
  if (typeof value !== "string") throw new TypeError(`receipt.${field}: not an address (${String(value)})`);
  try {
    return checksumAddress(value);
  } catch {
    throw new TypeError(`receipt.${field}: not an address (${value})`);
  }
}
