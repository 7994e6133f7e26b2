/**
 * Signed meter readings (EIP-712), off-chain: a meter signs each reading; the core verifies the signature,
 * the domain (chain and contract) and the meter's sequence, refusing duplicates, gaps and replays.
 */
import { BaseWallet, computeAddress, getAddress, SigningKey, type Signer, type TypedDataDomain } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { checksumAddress } from "./keccak.js";
import { domainSeparator, readingDigest, readingLeafHash } from "./readingHashes.js";

/** What a reading measures: the available storage of an offer, or energy delivered for a purchase. */
export const READING_KIND = { storage: 1, energy: 2 } as const;
export type ReadingKind = (typeof READING_KIND)[keyof typeof READING_KIND];

export interface Reading {
  meter: string;
  kind: ReadingKind;
  /** The offer id (storage) or purchase id (energy). */
  subject: bigint;
  /** Wh: the storage level, or the energy delivered in the window. */
  value: bigint;
  start: bigint;
  end: bigint;
  /** The meter's sequence number, from 1, with no gaps. */
  seq: bigint;
}

export interface SignedReading {
  reading: Reading;
  signature: string;
}

export const READING_TYPES = {
  Reading: [
    { name: "meter", type: "address" },
    { name: "kind", type: "uint8" },
    { name: "subject", type: "uint256" },
    { name: "value", type: "uint256" },
    { name: "start", type: "uint64" },
    { name: "end", type: "uint64" },
    { name: "seq", type: "uint64" },
  ],
};

/** The leaf encoding of a reading in a batch's Merkle tree (OpenZeppelin's standard tree). */
export const LEAF_ENCODING = ["address", "uint8", "uint256", "uint256", "uint64", "uint64", "uint64"];
export type LeafValues = [string, number, bigint, bigint, bigint, bigint, bigint];

export function readingDomain(chainId: bigint | number, contract: string): TypedDataDomain {
  return { name: "GridLedger", version: "1", chainId: BigInt(chainId), verifyingContract: getAddress(contract) };
}

export function leafValues(r: Reading): LeafValues {
  return [checksumAddress(r.meter), r.kind, r.subject, r.value, r.start, r.end, r.seq];
}

/**
 * A meter signs a reading for one chain and one contract. A key held in this process signs the EIP-712 digest
 * directly (readingDigest.ts; the same signature as signTypedData, which rebuilds its encoders per call);
 * any other signer gets the typed data.
 */
export async function signReading(meter: Signer, domain: TypedDataDomain, reading: Omit<Reading, "meter">): Promise<SignedReading> {
  const full: Reading = { ...reading, meter: getAddress(await meter.getAddress()) };
  const signature =
    meter instanceof BaseWallet
      ? meter.signingKey.sign(readingDigest(domainSeparator(domain), full)).serialized
      : await meter.signTypedData(domain, READING_TYPES, full);
  return { reading: full, signature };
}

/** Why a signed reading was refused. */
export class ReadingError extends Error {
  override readonly name = "ReadingError";
  constructor(
    readonly rule: "signature" | "duplicate" | "gap" | "window" | "kind" | "value",
    message: string,
  ) {
    super(message);
  }
}

/**
 * The public key that signed the reading (ecrecover over its EIP-712 digest, as ethers' verifyTypedData does).
 * `separator` is the domain's (readingDigest.ts). Throws a ReadingError for a malformed signature or reading.
 */
export function recoverReadingKey(separator: Uint8Array, signed: SignedReading): string {
  try {
    return SigningKey.recoverPublicKey(readingDigest(separator, signed.reading), signed.signature);
  } catch (error) {
    throw new ReadingError("signature", `reading ${signed.reading.seq} of meter ${signed.reading.meter}: malformed signature (${(error as Error).message.split(" (")[0]})`);
  }
}

/** The refusal of a well-formed signature made by another key, or for another chain or contract. */
export function notTheMetersSignature(domain: TypedDataDomain, signed: SignedReading): ReadingError {
  return new ReadingError(
    "signature",
    `reading ${signed.reading.seq} of meter ${signed.reading.meter}: the signature is not the meter's for chain ${domain.chainId} and contract ${domain.verifyingContract}`,
  );
}

/**
 * Checks the signature against the reading's meter for this domain; a reading for another chain or contract
 * fails. One reading at a time; the aggregator checks many with readingSignatures.ts, under the same rule.
 */
export function checkSignature(domain: TypedDataDomain, signed: SignedReading): void {
  const key = recoverReadingKey(domainSeparator(domain), signed);
  if (computeAddress(key) !== getAddress(signed.reading.meter)) throw notTheMetersSignature(domain, signed);
}

/** Checks a reading's own fields. */
export function checkFields(r: Reading): void {
  if (r.kind !== READING_KIND.storage && r.kind !== READING_KIND.energy) throw new ReadingError("kind", `reading ${r.seq}: kind must be 1 (storage) or 2 (energy), got ${r.kind}`);
  if (r.value < 0n) throw new ReadingError("value", `reading ${r.seq}: value must not be negative`);
  if (r.kind === READING_KIND.energy && r.value === 0n) throw new ReadingError("value", `reading ${r.seq}: an energy reading must be greater than 0 Wh`);
  if (r.start >= r.end) throw new ReadingError("window", `reading ${r.seq}: start ${r.start} must be before end ${r.end}`);
}

/**
 * Each meter's next expected sequence number. A reading is accepted only with exactly that number: a lower one is
 * a duplicate or replay, a higher one leaves a gap.
 */
export class SequenceGuard {
  readonly #next = new Map<string, bigint>();

  constructor(initial: Iterable<[string, bigint]> = []) {
    for (const [meter, next] of initial) this.#next.set(checksumAddress(meter), next);
  }

  next(meter: string): bigint {
    return this.#next.get(checksumAddress(meter)) ?? 1n;
  }

  /** Verifies signature, fields and sequence, then advances the meter's sequence. */
  accept(domain: TypedDataDomain, signed: SignedReading): void {
    checkFields(signed.reading);
    checkSignature(domain, signed);
    this.advance(signed.reading);
  }

  /**
   * The sequence rule alone, then advances the meter's sequence: for a reading whose fields and signature the
   * caller has already checked (the aggregator checks signatures of many readings at once).
   */
  advance(reading: Reading): void {
    const meter = checksumAddress(reading.meter);
    const expected = this.next(meter);
    const seq = reading.seq;
    if (seq < expected) throw new ReadingError("duplicate", `reading ${seq} of meter ${meter} was already accepted (next is ${expected}): duplicate or replay`);
    if (seq > expected) throw new ReadingError("gap", `reading ${seq} of meter ${meter} leaves a gap: ${expected} is missing`);
    this.#next.set(meter, seq + 1n);
  }

  entries(): [string, bigint][] {
    return [...this.#next.entries()];
  }
}

/**
 * OpenZeppelin's standard tree, built with readingHashes.ts' leaf hash: the same tree and root as
 * `StandardMerkleTree.of`, whose generic ABI encoder took about a millisecond per leaf.
 */
class ReadingTree extends StandardMerkleTree<LeafValues> {
  static ofReadings(readings: readonly Reading[]): StandardMerkleTree<LeafValues> {
    const leafHash = ([meter, kind, subject, value, start, end, seq]: LeafValues) =>
      readingLeafHash({ meter, kind: kind as ReadingKind, subject, value, start, end, seq });
    const [tree, indexed] = ReadingTree.prepare(readings.map(leafValues), { sortLeaves: false }, leafHash);
    return new ReadingTree(tree, indexed, LEAF_ENCODING);
  }
}

/** The Merkle tree of a batch of readings, in the order given. */
export function batchTree(readings: readonly Reading[]): StandardMerkleTree<LeafValues> {
  return ReadingTree.ofReadings(readings);
}

/** The sequence range of each meter in a batch, in first-appearance order. */
export function meterRanges(readings: readonly Reading[]): { meter: string; firstSeq: bigint; lastSeq: bigint }[] {
  const ranges = new Map<string, { meter: string; firstSeq: bigint; lastSeq: bigint }>();
  for (const r of readings) {
    const meter = checksumAddress(r.meter);
    const range = ranges.get(meter);
    if (!range) ranges.set(meter, { meter, firstSeq: r.seq, lastSeq: r.seq });
    else range.lastSeq = r.seq;
  }
  return [...ranges.values()];
}
