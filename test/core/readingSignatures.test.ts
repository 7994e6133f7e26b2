/**
 * The aggregator's fast paths: the digest is ethers' EIP-712 digest and the batch tree OpenZeppelin's, byte for
 * byte; the native (libsecp256k1) check and the worker pool accept exactly what checkSignature accepts and refuse
 * with its messages.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { createRequire } from "node:module";
import { computeAddress, getBytes, hexlify, keccak256, Signature, TypedDataEncoder, Wallet } from "ethers";
import type * as Secp256k1 from "secp256k1";
import { afterAll, describe, expect, it } from "vitest";
import { keccak } from "../../src/keccak.js";
import { domainSeparator, merkleRoot, readingDigest, readingLeafHash } from "../../src/readingHashes.js";
import { ReadingSignatureChecker, signatureBackend } from "../../src/readingSignatures.js";
import { batchTree, checkSignature, LEAF_ENCODING, leafValues, READING_KIND, READING_TYPES, readingDomain, ReadingError, signReading, type Reading, type SignedReading } from "../../src/readings.js";
import { SignaturePool } from "../../src/signaturePool.js";

const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const domain = readingDomain(31337, CONTRACT);
const meter = new Wallet("0x" + "11".repeat(32));
const other = new Wallet("0x" + "22".repeat(32));
const reading = (seq: bigint, value = 100n): Omit<Reading, "meter"> => ({ kind: READING_KIND.energy, subject: 7n, value, start: 1_700_000_000n + seq * 60n, end: 1_700_000_060n + seq * 60n, seq });

/** What the reference rule says: undefined, or the message it refuses with. */
function reference(signed: SignedReading): string | undefined {
  try {
    checkSignature(domain, signed);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ReadingError);
    return (error as Error).message;
  }
}

/** A signature with its y parity flipped: ecrecover then gives another key. */
function flipParity(signature: string): string {
  const sig = Signature.from(signature);
  return Signature.from({ r: sig.r, s: sig.s, v: sig.v === 27 ? 28 : 27 }).serialized;
}

/** The curve order n, as 64 hex digits. */
const N_HEX = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
/** An x with no point on secp256k1 (x³ + 7 is not a square mod p): no key recovers from r = 5. */
const NOT_ON_CURVE = (5n).toString(16).padStart(64, "0");

async function cases(): Promise<{ name: string; signed: SignedReading }[]> {
  const good = await signReading(meter, domain, reading(5n));
  return [
    { name: "tampered value", signed: { ...good, reading: { ...good.reading, value: 101n } } },
    { name: "another meter's key", signed: { ...(await signReading(other, domain, reading(6n))), reading: { ...good.reading, meter: meter.address, seq: 6n } } },
    { name: "flipped y parity", signed: { ...good, signature: flipParity(good.signature) } },
    { name: "another chain", signed: await signReading(meter, readingDomain(1, CONTRACT), reading(7n)) },
    { name: "another contract", signed: await signReading(meter, readingDomain(31337, other.address), reading(8n)) },
    { name: "s above n/2 with its top bit set", signed: { ...good, signature: good.signature.slice(0, 66) + "f".repeat(64) + good.signature.slice(130) } },
    { name: "r = 0", signed: { ...good, signature: "0x" + "0".repeat(64) + good.signature.slice(66) } },
    { name: "r = n", signed: { ...good, signature: "0x" + N_HEX + good.signature.slice(66) } },
    { name: "r not the x of a point", signed: { ...good, signature: "0x" + NOT_ON_CURVE + good.signature.slice(66) } },
    { name: "s = 0", signed: { ...good, signature: good.signature.slice(0, 66) + "0".repeat(64) + good.signature.slice(130) } },
    { name: "v = 29", signed: { ...good, signature: good.signature.slice(0, 130) + "1d" } },
    { name: "truncated", signed: { ...good, signature: good.signature.slice(0, 100) } },
    { name: "not hex", signed: { ...good, signature: good.signature.slice(0, 130) + "zz" } },
    { name: "a meter that is not an address", signed: { ...good, reading: { ...good.reading, meter: "0x1234" } } },
  ];
}

describe("reading digest", () => {
  it("hashes with the keccak256 ethers computes, for every length across two rate blocks", () => {
    for (let length = 0; length <= 300; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff);
      expect(hexlify(keccak(bytes)), `${length} bytes`).toBe(keccak256(bytes));
    }
  });

  it("is ethers' TypedDataEncoder hash, for edge values of every field", () => {
    const separator = domainSeparator(domain);
    const max256 = (1n << 256n) - 1n;
    const max64 = (1n << 64n) - 1n;
    const samples: Reading[] = [
      { meter: meter.address, kind: 1, subject: 1n, value: 0n, start: 0n, end: 1n, seq: 1n },
      { meter: meter.address.toLowerCase(), kind: 2, subject: max256, value: max256, start: max64 - 1n, end: max64, seq: max64 },
      { meter: other.address, kind: 2, subject: 123_456_789n, value: 5_000n, start: 1_700_000_000n, end: 1_700_000_900n, seq: 42n },
    ];
    for (const r of samples) expect(hexlify(readingDigest(separator, r))).toBe(TypedDataEncoder.hash(domain, READING_TYPES, r));
    // Another domain, another separator, another digest.
    const elsewhere = readingDomain(11155111, CONTRACT);
    expect(hexlify(readingDigest(domainSeparator(elsewhere), samples[2]))).toBe(TypedDataEncoder.hash(elsewhere, READING_TYPES, samples[2]));
    expect(hexlify(readingDigest(domainSeparator(elsewhere), samples[2]))).not.toBe(hexlify(readingDigest(separator, samples[2])));
  });

  it("refuses a value that does not fit its type, as TypedDataEncoder does", () => {
    const separator = domainSeparator(domain);
    const base: Reading = { meter: meter.address, kind: 1, subject: 1n, value: 0n, start: 0n, end: 1n, seq: 1n };
    expect(() => readingDigest(separator, { ...base, seq: 1n << 64n })).toThrow(/seq: value out of range/);
    expect(() => readingDigest(separator, { ...base, value: -1n })).toThrow(/value: value out of range/);
    expect(() => readingDigest(separator, { ...base, meter: "0x1234" })).toThrow(/meter: not an address/);
    expect(() => TypedDataEncoder.hash(domain, READING_TYPES, { ...base, seq: 1n << 64n })).toThrow();
  });

  it("signs as signTypedData does", async () => {
    const signed = await signReading(meter, domain, reading(3n));
    expect(signed.signature).toBe(await meter.signTypedData(domain, READING_TYPES, signed.reading));
  });
});

describe("signature checks at the aggregator's rate", () => {
  it("recover with libsecp256k1: the binding loads, and recovers the key ethers recovers", async () => {
    expect(signatureBackend).toBe("libsecp256k1 (native)");
    const native = createRequire(import.meta.url)("secp256k1/bindings") as typeof Secp256k1;
    const signed = await signReading(meter, domain, reading(2n));
    const sig = Signature.from(signed.signature);
    const key = native.ecdsaRecover(getBytes(signed.signature).subarray(0, 64), sig.yParity, readingDigest(domainSeparator(domain), signed.reading), false);
    expect(hexlify(key)).toBe(meter.signingKey.publicKey);
    expect(computeAddress(hexlify(key))).toBe(meter.address);
  });

  it("accept a meter's readings, and refuse each bad signature with the reference message", async () => {
    const checker = new ReadingSignatureChecker(domain);
    for (let seq = 1n; seq <= 4n; seq++) expect(checker.check(await signReading(meter, domain, reading(seq)))).toBeUndefined();
    expect(checker.decided).toEqual({ native: 4, reference: 0 });
    for (const { name, signed } of await cases()) {
      const expected = reference(signed);
      expect(expected, name).toBeDefined();
      const refusal = checker.check(signed);
      expect(refusal, name).toBeInstanceOf(ReadingError);
      expect(refusal!.rule, name).toBe("signature");
      expect(refusal!.message, name).toBe(expected);
    }
    // Plain signatures that recover to some key are decided natively (tampered value, another key, flipped
    // parity, another chain, another contract); the rest by the reference path, for its messages.
    expect(checker.decided).toEqual({ native: 4 + 5, reference: (await cases()).length - 5 });
    expect(checker.check(await signReading(meter, domain, reading(9n)))).toBeUndefined();
  });

  it("accept what ethers accepts beyond the plain form: v as 0 or 1, upper-case hex, the meter in lower case", async () => {
    const checker = new ReadingSignatureChecker(domain);
    const good = await signReading(meter, domain, reading(11n));
    const v01 = good.signature.slice(0, 130) + (Signature.from(good.signature).yParity === 0 ? "00" : "01");
    const variants: SignedReading[] = [
      { ...good, signature: v01 },
      { ...good, signature: "0x" + good.signature.slice(2).toUpperCase() },
      { ...good, reading: { ...good.reading, meter: good.reading.meter.toLowerCase() } },
    ];
    for (const signed of variants) {
      expect(reference(signed), signed.signature).toBeUndefined();
      expect(checker.check(signed), signed.signature).toBeUndefined();
    }
  });

  const pool = new SignaturePool(domain, 2);
  afterAll(() => pool.close());

  it("on worker threads: the same verdicts in the same order, each accepted reading with its leaf hash", async () => {
    expect(await pool.ready).toBe("libsecp256k1 (native)");
    const list: SignedReading[] = [];
    for (let seq = 1n; seq <= 40n; seq++) list.push(await signReading(seq % 2n ? meter : other, domain, reading(seq)));
    const bad = await cases();
    list.splice(25, 0, ...bad.map((c) => c.signed));
    const verdicts = await pool.check(list);
    expect(verdicts).toHaveLength(list.length);
    verdicts.forEach((verdict, i) => {
      const expected = reference(list[i]);
      if (expected === undefined) {
        expect(verdict.refusal, `item ${i}`).toBeUndefined();
        expect(verdict.leaf, `item ${i}`).toBe(readingLeafHash(list[i].reading));
      } else {
        expect(verdict.refusal, `item ${i}`).toBeInstanceOf(ReadingError);
        expect(verdict.refusal!.message, `item ${i}`).toBe(expected);
        expect(verdict.leaf, `item ${i}`).toBeUndefined();
      }
    });
    expect(verdicts.filter((v) => v.refusal !== undefined)).toHaveLength(bad.length);
  });
});

describe("batch tree", () => {
  it("is OpenZeppelin's standard tree of the readings: same root, leaves and proofs", async () => {
    const readings: Reading[] = [];
    for (let seq = 1n; seq <= 37n; seq++) readings.push((await signReading(seq % 3n ? meter : other, domain, reading(seq, 1_000n + seq))).reading);
    const tree = batchTree(readings);
    const reference = StandardMerkleTree.of(readings.map(leafValues), LEAF_ENCODING, { sortLeaves: false });
    expect(tree.root).toBe(reference.root);
    for (const [i, r] of readings.entries()) {
      expect(readingLeafHash(r)).toBe(reference.leafHash(leafValues(r)));
      expect(tree.getProof(i)).toEqual(reference.getProof(i));
    }
    expect(tree.getMultiProof([0, 5, 36])).toEqual(reference.getMultiProof([0, 5, 36]));
  });

  it("has the root merkleRoot computes from the leaf hashes, for every size from 1 to 37", async () => {
    const readings: Reading[] = [];
    for (let seq = 1n; seq <= 37n; seq++) readings.push((await signReading(seq % 3n ? meter : other, domain, reading(seq, 2_000n + seq))).reading);
    for (let n = 1; n <= readings.length; n++) {
      const some = readings.slice(0, n);
      expect(merkleRoot(some.map(readingLeafHash)), `${n} leaves`).toBe(StandardMerkleTree.of(some.map(leafValues), LEAF_ENCODING, { sortLeaves: false }).root);
    }
    expect(() => merkleRoot([])).toThrow(/at least one leaf/);
    expect(() => merkleRoot(["0x1234"])).toThrow(/leaves\[0\]: must be 32 bytes/);
  });
});
