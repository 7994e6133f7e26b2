/**
 * The hashes of a meter reading, computed directly: its EIP-712 digest (what a meter signs), its Merkle leaf
 * (OpenZeppelin's standard tree: keccak256(keccak256(abi.encode(fields)))), and the root of a batch's tree. Every
 * field of `Reading` is a static type, so both encode the same seven 32-byte words; the digest adds the type hash
 * and the domain separator, fixed per aggregator. ethers' TypedDataEncoder and the tree library give the same
 * bytes (checked in test/core/readingSignatures.test.ts) but rebuild their encoders for every reading, which made
 * hashing a large share of the aggregator's work.
 */
import { getBytes, hexlify, id as keccakText, TypedDataEncoder, type TypedDataDomain } from "ethers";
import { checksumAddress, keccak } from "./keccak.js";
import type { Reading } from "./readings.js";

/** keccak256("Reading(address meter,uint8 kind,uint256 subject,uint256 value,uint64 start,uint64 end,uint64 seq)"). */
export const READING_TYPE_HASH = getBytes(keccakText("Reading(address meter,uint8 kind,uint256 subject,uint256 value,uint64 start,uint64 end,uint64 seq)"));

const MAX_UINT8 = 0xffn;
const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_UINT256 = (1n << 256n) - 1n;

/** The domain separator of a reading domain (EIP-712 `hashStruct(domain)`), as 32 bytes. */
export function domainSeparator(domain: TypedDataDomain): Uint8Array {
  return getBytes(TypedDataEncoder.hashDomain(domain));
}

/** Writes `value` big-endian into the 32-byte word at `offset`; refuses what does not fit `max`. */
function putWord(out: Uint8Array, offset: number, value: bigint, max: bigint, field: string): void {
  if (typeof value !== "bigint" || value < 0n || value > max) throw new RangeError(`${field}: value out of range for its type (${String(value)})`);
  let v = value;
  for (let i = offset + 31; v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** The seven 32-byte words of `abi.encode(meter, kind, subject, value, start, end, seq)`, at `offset` in `out`. */
function putReading(out: Uint8Array, offset: number, r: Reading): void {
  let meter: string;
  try {
    meter = checksumAddress(r.meter);
  } catch {
    throw new RangeError(`meter: not an address (${String(r.meter)})`);
  }
  out.set(getBytes(meter), offset + 12);
  putWord(out, offset + 32, BigInt(r.kind), MAX_UINT8, "kind");
  putWord(out, offset + 64, r.subject, MAX_UINT256, "subject");
  putWord(out, offset + 96, r.value, MAX_UINT256, "value");
  putWord(out, offset + 128, r.start, MAX_UINT64, "start");
  putWord(out, offset + 160, r.end, MAX_UINT64, "end");
  putWord(out, offset + 192, r.seq, MAX_UINT64, "seq");
}

/**
 * `keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(reading))`, the digest a meter signs. Throws a RangeError when a
 * field does not fit its Solidity type (as TypedDataEncoder does) or the meter is not an address.
 */
export function readingDigest(separator: Uint8Array, r: Reading): Uint8Array {
  const struct = new Uint8Array(32 * 8);
  struct.set(READING_TYPE_HASH, 0);
  putReading(struct, 32, r);
  const message = new Uint8Array(2 + 32 + 32);
  message[0] = 0x19;
  message[1] = 0x01;
  message.set(separator, 2);
  message.set(keccak(struct), 34);
  return keccak(message);
}

/** The reading's leaf in a batch's Merkle tree (hex), as StandardMerkleTree computes it for LEAF_ENCODING. */
export function readingLeafHash(r: Reading): string {
  const words = new Uint8Array(32 * 7);
  putReading(words, 0, r);
  return hexlify(keccak(keccak(words)));
}

/** -1, 0 or 1 as `a` sorts before, with or after `b` byte by byte (both 32 bytes: as numbers). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/**
 * The root of OpenZeppelin's standard Merkle tree over these leaf hashes, in this order (sortLeaves false): its
 * makeMerkleTree's layout — the leaves at the end of an array in reverse order, each node keccak256 of its two
 * children sorted as bytes — without the library's per-node conversions and checks, which cost the aggregator
 * more than the hashing. Proofs come from the library's tree (batchTree in readings.ts), whose root this equals
 * (test/core/readingSignatures.test.ts).
 */
export function merkleRoot(leaves: readonly string[]): string {
  if (leaves.length === 0) throw new RangeError("leaves: a tree needs at least one leaf");
  const tree: Uint8Array[] = new Array<Uint8Array>(2 * leaves.length - 1);
  for (const [i, leaf] of leaves.entries()) {
    const bytes = getBytes(leaf);
    if (bytes.length !== 32) throw new RangeError(`leaves[${i}]: must be 32 bytes (got ${bytes.length})`);
    tree[tree.length - 1 - i] = bytes;
  }
  const pair = new Uint8Array(64);
  for (let i = tree.length - 1 - leaves.length; i >= 0; i--) {
    const [a, b] = [tree[2 * i + 1], tree[2 * i + 2]];
    const [first, second] = compareBytes(a, b) <= 0 ? [a, b] : [b, a];
    pair.set(first, 0);
    pair.set(second, 32);
    tree[i] = keccak(pair);
  }
  return hexlify(tree[0]);
}
