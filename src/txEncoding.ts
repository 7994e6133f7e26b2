/**
 * Transactions of keys held here, encoded and signed directly: EIP-1559 (type 2, empty access list) and legacy
 * (type 0, EIP-155 replay protection when the chain id is not 0). The bytes are ethers' own (Transaction's
 * `unsignedSerialized` and `serialized`, checked over many random transactions in test/core/txEncoding.test.ts);
 * ethers' Transaction object builds them through several layers of hex strings and getters, which was the
 * largest share of the client's CPU per event once signing itself was native.
 *
 * Pure JavaScript (no Buffer): the web app bundles it through txSender.ts.
 */
import { keccak } from "./keccak.js";

/** The fields of a transaction the sender builds. Integers are bigints; `to` is null for a contract creation. */
export type UnsignedTx =
  | { type: 2; chainId: bigint; nonce: number; maxPriorityFeePerGas: bigint; maxFeePerGas: bigint; gasLimit: bigint; to: string | null; value: bigint; data: string }
  | { type: 0; chainId: bigint; nonce: number; gasPrice: bigint; gasLimit: bigint; to: string | null; value: bigint; data: string };

/** An ECDSA signature as it goes into a transaction: r and s as 32 bytes each, and the parity of R's y. */
export interface RawSignature {
  r: Uint8Array;
  s: Uint8Array;
  yParity: 0 | 1;
}

/** Signs a 32-byte digest. */
export type DigestSign = (digest: Uint8Array) => RawSignature;

export interface SignedTx {
  /** The signed transaction, 0x-hex, as eth_sendRawTransaction takes it. */
  raw: string;
  /** Its hash: keccak256 of the raw bytes. */
  hash: string;
}

/** The digest a sender signs: keccak256 of the unsigned encoding. */
export function unsignedDigest(tx: UnsignedTx): Uint8Array {
  return keccak(encode(tx, undefined));
}

/** Signs the transaction and encodes it for sending. */
export function signTransaction(tx: UnsignedTx, sign: DigestSign): SignedTx {
  // The fields are encoded once, for the digest and for the signed transaction both.
  const fields = fieldItems(tx);
  const bytes = envelope(tx, [...fields, ...signatureItems(tx, sign(keccak(envelope(tx, [...fields, ...unsignedSuffix(tx)]))))]);
  return { raw: bytesToHex(bytes), hash: bytesToHex(keccak(bytes)) };
}

/** The transaction's encoding: unsigned (what is hashed and signed) or with its signature. */
export function encode(tx: UnsignedTx, signature: RawSignature | undefined): Uint8Array {
  const fields = fieldItems(tx);
  return envelope(tx, [...fields, ...(signature ? signatureItems(tx, signature) : unsignedSuffix(tx))]);
}

/** The fields both encodings share, in order. */
function fieldItems(tx: UnsignedTx): Item[] {
  const to = tx.to === null ? EMPTY : hexToBytes(tx.to, "to");
  if (tx.to !== null && to.length !== 20) throw new TypeError(`to: must be an address of 20 bytes (${tx.to})`);
  const data = hexToBytes(tx.data, "data");
  if (tx.type === 2) {
    return [
      uint(tx.chainId, "chainId"),
      uint(BigInt(tx.nonce), "nonce"),
      uint(tx.maxPriorityFeePerGas, "maxPriorityFeePerGas"),
      uint(tx.maxFeePerGas, "maxFeePerGas"),
      uint(tx.gasLimit, "gasLimit"),
      to,
      uint(tx.value, "value"),
      data,
      [],
    ];
  }
  return [uint(BigInt(tx.nonce), "nonce"), uint(tx.gasPrice, "gasPrice"), uint(tx.gasLimit, "gasLimit"), to, uint(tx.value, "value"), data];
}

/** What follows the fields in the unsigned encoding: EIP-155's chain id and two empty strings (legacy, chain id not 0). */
function unsignedSuffix(tx: UnsignedTx): Item[] {
  return tx.type === 0 && tx.chainId !== 0n ? [uint(tx.chainId, "chainId"), EMPTY, EMPTY] : [];
}

/** The signature's fields: y parity (EIP-1559) or v (legacy, EIP-155 when the chain id is not 0), r and s. */
function signatureItems(tx: UnsignedTx, signature: RawSignature): Item[] {
  const parity = BigInt(signature.yParity);
  const v = tx.type === 2 ? parity : tx.chainId === 0n ? 27n + parity : tx.chainId * 2n + 35n + parity;
  return [uint(v, tx.type === 2 ? "yParity" : "v"), trimmed(signature.r), trimmed(signature.s)];
}

type Item = Uint8Array | Item[];
const EMPTY = new Uint8Array(0);

/**
 * The RLP list of the items, behind the type byte for a typed transaction. Recursive Length Prefix encoding,
 * written into one buffer sized first: a typed array per item and per prefix cost more than the encoding.
 */
function envelope(tx: UnsignedTx, items: Item[]): Uint8Array {
  const start = tx.type === 0 ? 0 : 1;
  const out = new Uint8Array(start + encodedLength(items));
  out[0] = tx.type;
  write(items, out, start);
  return out;
}

/** The length of an item's encoding: a byte under 0x80 stands for itself; anything else has a length prefix. */
function encodedLength(item: Item): number {
  if (item instanceof Uint8Array) return item.length === 1 && item[0] < 0x80 ? 1 : prefixLength(item.length) + item.length;
  const payload = payloadLength(item);
  return prefixLength(payload) + payload;
}

function payloadLength(list: Item[]): number {
  let length = 0;
  for (const item of list) length += encodedLength(item);
  return length;
}

/** A length prefix: one byte for a length under 56, else a byte and the length's own big-endian bytes. */
function prefixLength(length: number): number {
  return length < 56 ? 1 : 1 + byteLength(length);
}

function byteLength(n: number): number {
  let bytes = 0;
  for (; n > 0; n = Math.floor(n / 256)) bytes++;
  return bytes;
}

/** Writes the item's encoding into `out` at `at`; returns where it ends. */
function write(item: Item, out: Uint8Array, at: number): number {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0] < 0x80) {
      out[at] = item[0];
      return at + 1;
    }
    const from = writePrefix(out, at, 0x80, item.length);
    out.set(item, from);
    return from + item.length;
  }
  let next = writePrefix(out, at, 0xc0, payloadLength(item));
  for (const child of item) next = write(child, out, next);
  return next;
}

/** Writes the prefix of a byte string (0x80) or a list (0xc0) of `length` bytes; returns where its payload starts. */
function writePrefix(out: Uint8Array, at: number, base: 0x80 | 0xc0, length: number): number {
  if (length < 56) {
    out[at] = base + length;
    return at + 1;
  }
  const bytes = byteLength(length);
  out[at] = base + 55 + bytes;
  for (let i = bytes, n = length; i >= 1; i--, n = Math.floor(n / 256)) out[at + i] = n % 256;
  return at + 1 + bytes;
}

/** A non-negative integer as RLP wants it: big-endian, no leading zeros (0 is the empty string). */
function uint(value: bigint, field: string): Uint8Array {
  if (typeof value !== "bigint" || value < 0n) throw new RangeError(`${field}: must be a non-negative integer (${String(value)})`);
  if (value === 0n) return EMPTY;
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return hexToBytes(`0x${hex}`, field);
}

/** A 32-byte signature value without its leading zero bytes (an integer in RLP). */
function trimmed(word: Uint8Array): Uint8Array {
  let i = 0;
  while (i < word.length && word[i] === 0) i++;
  return word.subarray(i);
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function bytesToHex(bytes: Uint8Array): string {
  let out = "0x";
  for (let i = 0; i < bytes.length; i++) out += HEX_BYTE[bytes[i]];
  return out;
}

/** 0x-prefixed hex of whole bytes, either case, to bytes; `field` names it in the error. */
export function hexToBytes(hex: string, field: string): Uint8Array {
  if (typeof hex !== "string" || hex.length % 2 !== 0 || hex[0] !== "0" || (hex[1] !== "x" && hex[1] !== "X")) {
    throw new TypeError(`${field}: must be 0x-prefixed hex of whole bytes`);
  }
  const out = new Uint8Array((hex.length - 2) / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(hex.charCodeAt(2 + 2 * i));
    const lo = nibble(hex.charCodeAt(3 + 2 * i));
    if (hi < 0 || lo < 0) throw new TypeError(`${field}: must be 0x-prefixed hex of whole bytes`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}
