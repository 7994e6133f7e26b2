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
  const bytes = encode(tx, sign(unsignedDigest(tx)));
  return { raw: bytesToHex(bytes), hash: bytesToHex(keccak(bytes)) };
}

/** The transaction's encoding: unsigned (what is hashed and signed) or with its signature. */
export function encode(tx: UnsignedTx, signature: RawSignature | undefined): Uint8Array {
  const to = tx.to === null ? EMPTY : hexToBytes(tx.to, "to");
  if (tx.to !== null && to.length !== 20) throw new TypeError(`to: must be an address of 20 bytes (${tx.to})`);
  const data = hexToBytes(tx.data, "data");
  if (tx.type === 2) {
    const fields: Item[] = [
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
    if (signature) fields.push(uint(BigInt(signature.yParity), "yParity"), trimmed(signature.r), trimmed(signature.s));
    const list = rlp(fields);
    const out = new Uint8Array(list.length + 1);
    out[0] = 2;
    out.set(list, 1);
    return out;
  }
  const fields: Item[] = [uint(BigInt(tx.nonce), "nonce"), uint(tx.gasPrice, "gasPrice"), uint(tx.gasLimit, "gasLimit"), to, uint(tx.value, "value"), data];
  if (!signature) {
    if (tx.chainId !== 0n) fields.push(uint(tx.chainId, "chainId"), EMPTY, EMPTY);
  } else {
    const v = tx.chainId === 0n ? 27n + BigInt(signature.yParity) : tx.chainId * 2n + 35n + BigInt(signature.yParity);
    fields.push(uint(v, "v"), trimmed(signature.r), trimmed(signature.s));
  }
  return rlp(fields);
}

type Item = Uint8Array | Item[];
const EMPTY = new Uint8Array(0);

/** Recursive Length Prefix encoding of a byte string or a list. */
function rlp(item: Item): Uint8Array {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0] < 0x80) return item;
    return withPrefix(item, 0x80);
  }
  const parts = item.map(rlp);
  let length = 0;
  for (const p of parts) length += p.length;
  const payload = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    payload.set(p, offset);
    offset += p.length;
  }
  return withPrefix(payload, 0xc0);
}

/** The payload after its length prefix: short (under 56 bytes) in one byte, else the length's own length first. */
function withPrefix(payload: Uint8Array, base: 0x80 | 0xc0): Uint8Array {
  if (payload.length < 56) {
    const out = new Uint8Array(payload.length + 1);
    out[0] = base + payload.length;
    out.set(payload, 1);
    return out;
  }
  const length = uint(BigInt(payload.length), "length");
  const out = new Uint8Array(1 + length.length + payload.length);
  out[0] = base + 55 + length.length;
  out.set(length, 1);
  out.set(payload, 1 + length.length);
  return out;
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
