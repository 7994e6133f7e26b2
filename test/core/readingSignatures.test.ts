/**
 * The aggregator's fast paths: the digest is ethers' EIP-712 digest and the batch tree OpenZeppelin's, byte for
 * byte; the per-meter key check and the worker pool accept exactly what checkSignature accepts and refuse with
 * its messages.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Signature, TypedDataEncoder, hexlify, Wallet } from "ethers";
import { afterAll, describe, expect, it } from "vitest";
import { domainSeparator, readingDigest, readingLeafHash } from "../../src/readingHashes.js";
import { ReadingSignatureChecker } from "../../src/readingSignatures.js";
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
    { name: "v = 29", signed: { ...good, signature: good.signature.slice(0, 130) + "1d" } },
    { name: "truncated", signed: { ...good, signature: good.signature.slice(0, 100) } },
  ];
}

describe("reading digest", () => {
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
  it("accept a meter's readings after its key is known, and refuse each bad signature with the reference message", async () => {
    const checker = new ReadingSignatureChecker(domain);
    for (let seq = 1n; seq <= 4n; seq++) expect(checker.check(await signReading(meter, domain, reading(seq)))).toBeUndefined();
    for (const { name, signed } of await cases()) {
      const expected = reference(signed);
      expect(expected, name).toBeDefined();
      const refusal = checker.check(signed);
      expect(refusal, name).toBeInstanceOf(ReadingError);
      expect(refusal!.rule, name).toBe("signature");
      expect(refusal!.message, name).toBe(expected);
    }
    // The key stays known: the next good reading is still accepted.
    expect(checker.check(await signReading(meter, domain, reading(9n)))).toBeUndefined();
  });

  const pool = new SignaturePool(domain, 2);
  afterAll(() => pool.close());

  it("on worker threads: the same verdicts in the same order, a bad signature refused with the reference message", async () => {
    const list: SignedReading[] = [];
    for (let seq = 1n; seq <= 40n; seq++) list.push(await signReading(seq % 2n ? meter : other, domain, reading(seq)));
    const bad = await cases();
    list.splice(25, 0, ...bad.map((c) => c.signed));
    const verdicts = await pool.check(list);
    expect(verdicts).toHaveLength(list.length);
    verdicts.forEach((verdict, i) => {
      const expected = reference(list[i]);
      if (expected === undefined) expect(verdict, `item ${i}`).toBeUndefined();
      else {
        expect(verdict, `item ${i}`).toBeInstanceOf(ReadingError);
        expect(verdict!.message, `item ${i}`).toBe(expected);
      }
    });
    expect(verdicts.filter((v) => v !== undefined)).toHaveLength(bad.length);
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
});
