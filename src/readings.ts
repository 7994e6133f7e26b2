/**
 * Signed meter readings (EIP-712), off-chain: a meter signs each reading; the core verifies the signature,
 * the domain (chain and contract) and the meter's sequence, refusing duplicates, gaps and replays.
 */
import { getAddress, verifyTypedData, type Signer, type TypedDataDomain } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

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
  return [getAddress(r.meter), r.kind, r.subject, r.value, r.start, r.end, r.seq];
}

/** A meter signs a reading for one chain and one contract. */
export async function signReading(meter: Signer, domain: TypedDataDomain, reading: Omit<Reading, "meter">): Promise<SignedReading> {
  const full: Reading = { ...reading, meter: getAddress(await meter.getAddress()) };
  const signature = await meter.signTypedData(domain, READING_TYPES, full);
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

/** Checks the signature against the reading's meter for this domain; a reading for another chain or contract fails. */
export function checkSignature(domain: TypedDataDomain, signed: SignedReading): void {
  let signer: string;
  try {
    signer = verifyTypedData(domain, READING_TYPES, signed.reading, signed.signature);
  } catch (error) {
    throw new ReadingError("signature", `reading ${signed.reading.seq} of meter ${signed.reading.meter}: malformed signature (${(error as Error).message.split(" (")[0]})`);
  }
  if (getAddress(signer) !== getAddress(signed.reading.meter)) {
    throw new ReadingError(
      "signature",
      `reading ${signed.reading.seq} of meter ${signed.reading.meter}: the signature is not the meter's for chain ${domain.chainId} and contract ${domain.verifyingContract}`,
    );
  }
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
    for (const [meter, next] of initial) this.#next.set(getAddress(meter), next);
  }

  next(meter: string): bigint {
    return this.#next.get(getAddress(meter)) ?? 1n;
  }

  /** Verifies signature, fields and sequence, then advances the meter's sequence. */
  accept(domain: TypedDataDomain, signed: SignedReading): void {
    checkFields(signed.reading);
    checkSignature(domain, signed);
    const meter = getAddress(signed.reading.meter);
    const expected = this.next(meter);
    const seq = signed.reading.seq;
    if (seq < expected) throw new ReadingError("duplicate", `reading ${seq} of meter ${meter} was already accepted (next is ${expected}): duplicate or replay`);
    if (seq > expected) throw new ReadingError("gap", `reading ${seq} of meter ${meter} leaves a gap: ${expected} is missing`);
    this.#next.set(meter, seq + 1n);
  }

  entries(): [string, bigint][] {
    return [...this.#next.entries()];
  }
}

/** The Merkle tree of a batch of readings, in the order given. */
export function batchTree(readings: readonly Reading[]): StandardMerkleTree<LeafValues> {
  return StandardMerkleTree.of(readings.map(leafValues), LEAF_ENCODING, { sortLeaves: false });
}

/** The sequence range of each meter in a batch, in first-appearance order. */
export function meterRanges(readings: readonly Reading[]): { meter: string; firstSeq: bigint; lastSeq: bigint }[] {
  const ranges = new Map<string, { meter: string; firstSeq: bigint; lastSeq: bigint }>();
  for (const r of readings) {
    const meter = getAddress(r.meter);
    const range = ranges.get(meter);
    if (!range) ranges.set(meter, { meter, firstSeq: r.seq, lastSeq: r.seq });
    else range.lastSeq = r.seq;
  }
  return [...ranges.values()];
}
