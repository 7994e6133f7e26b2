/**
 * Signature checks of meter readings at the aggregator's rate. The rule is the one of `checkSignature` in
 * readings.ts: the signature must recover (ecrecover, as ethers does) to the reading's meter for this chain and
 * contract. What makes it fast: a meter signs thousands of readings with one key, so its public key is recovered
 * once, the slow way, and kept with a table of its multiples; each later reading is then checked with the exact
 * condition under which ecrecover returns that key — R = u1·G + u2·P has x = r and the signature's y parity —
 * using the tables, a few times faster than a recovery. Anything unusual (a signature ethers would normalise or
 * refuse, a check that fails) goes through the reference path, so refusals carry the same messages as before.
 */
import { computeAddress, getAddress, getBytes, hexlify, type TypedDataDomain } from "ethers";
import { wNAF } from "@noble/curves/abstract/curve";
import { invert } from "@noble/curves/abstract/modular";
import { secp256k1 } from "@noble/curves/secp256k1";
import { domainSeparator, readingDigest } from "./readingHashes.js";
import { notTheMetersSignature, ReadingError, recoverReadingKey, type SignedReading } from "./readings.js";

type Point = InstanceType<typeof secp256k1.ProjectivePoint>;
const Point = secp256k1.ProjectivePoint;
const N = secp256k1.CURVE.n;

/**
 * Window sizes of the multiple tables: the generator's table is shared (W=10: 13,824 points, ~2.5 MB, built once
 * per thread); a meter's is W=6 (1,408 points, ~250 KB), so that a few hundred meters fit in memory.
 */
const G_WINDOW = 10;
const KEY_WINDOW = 6;
/**
 * Meters whose tables are kept per thread; the least recently seen is dropped first, but only when it has not been
 * seen for a while: with more active meters than this, a table rebuilt for every reading would cost more than the
 * recovery it saves, so the readings of meters without a table then take the reference path.
 */
const KEY_CACHE_SIZE = 256;
const EVICT_AFTER_CHECKS = KEY_CACHE_SIZE * 8;

// The tables are used with noble's variable-time wNAF over the full 256-bit scalar (public data only: the
// signature, the digest and the meter's public key). noble 1.9's own multiplyUnsafe on a point with tables
// covers only 128 bits of the scalar (it assumes the GLV split), so it is not used here.
const wnaf = wNAF(Point, 256);
let gTable: Point[] | undefined;

function table(point: Point, window: number): Point[] {
  return Point.normalizeZ(wnaf.precomputeWindow(point, window) as Point[]);
}

/** The parts of a 65-byte `r ‖ s ‖ v` signature when ethers reads it without normalising anything, else undefined. */
function plainSignature(signature: string): { r: bigint; s: bigint; yParity: number } | undefined {
  if (typeof signature !== "string" || signature.length !== 132 || !/^0x[0-9a-fA-F]{130}$/.test(signature)) return undefined;
  const v = parseInt(signature.slice(130, 132), 16);
  if (v !== 27 && v !== 28) return undefined;
  const r = BigInt("0x" + signature.slice(2, 66));
  const s = BigInt("0x" + signature.slice(66, 130));
  // ethers refuses a signature whose s has its top bit set; ecrecover needs 0 < r, s < n.
  if (r === 0n || r >= N || s === 0n || s >= N || s >> 255n === 1n) return undefined;
  return { r, s, yParity: v - 27 };
}

/** True when ecrecover(digest, signature) is exactly `key`, whose multiples are in `keyTable`. */
function recoversTo(keyTable: Point[], digest: Uint8Array, sig: { r: bigint; s: bigint; yParity: number }): boolean {
  gTable ??= table(Point.BASE, G_WINDOW);
  const h = BigInt(hexlify(digest)) % N;
  const sInv = invert(sig.s, N);
  const u1 = (h * sInv) % N;
  const u2 = (sig.r * sInv) % N;
  const R = wnaf.wNAFUnsafe(G_WINDOW, gTable, u1, wnaf.wNAFUnsafe(KEY_WINDOW, keyTable, u2));
  if (R.equals(Point.ZERO)) return false;
  const { x, y } = R.toAffine();
  return x === sig.r && Number(y & 1n) === sig.yParity;
}

/**
 * Checks readings' signatures for one domain, remembering each meter's public key. `check` returns the
 * ReadingError the reference `checkSignature` would throw, or undefined when the signature is the meter's.
 */
export class ReadingSignatureChecker {
  readonly #domain: TypedDataDomain;
  readonly #separator: Uint8Array;
  readonly #keys = new Map<string, { table: Point[]; seenAt: number }>();
  #checks = 0;

  constructor(domain: TypedDataDomain) {
    this.#domain = domain;
    this.#separator = domainSeparator(domain);
  }

  check(signed: SignedReading): ReadingError | undefined {
    const { reading, signature } = signed;
    const meter = reading.meter;
    const now = ++this.#checks;
    const key = this.#keys.get(meter);
    const sig = key ? plainSignature(signature) : undefined;
    if (key && sig) {
      let digest: Uint8Array | undefined;
      try {
        digest = readingDigest(this.#separator, reading);
      } catch {
        // The reference path below names what is wrong.
      }
      if (digest && recoversTo(key.table, digest, sig)) {
        // Most recently seen last: the first entry is the one to drop.
        this.#keys.delete(meter);
        this.#keys.set(meter, { table: key.table, seenAt: now });
        return undefined;
      }
    }
    // The reference path: recover the key as ethers does.
    let publicKey: string;
    try {
      publicKey = recoverReadingKey(this.#separator, signed);
    } catch (error) {
      return error as ReadingError;
    }
    const claimed = getAddress(meter);
    if (computeAddress(publicKey) !== claimed) return notTheMetersSignature(this.#domain, signed);
    if (!key) this.#remember(meter, publicKey, now);
    return undefined;
  }

  /** Keeps the meter's table (under the spelling the meter used: the fast path then needs no getAddress). */
  #remember(meter: string, publicKey: string, now: number): void {
    if (this.#keys.size >= KEY_CACHE_SIZE) {
      const [oldest, entry] = this.#keys.entries().next().value!;
      if (now - entry.seenAt < EVICT_AFTER_CHECKS) return;
      this.#keys.delete(oldest);
    }
    this.#keys.set(meter, { table: table(Point.fromHex(getBytes(publicKey)), KEY_WINDOW), seenAt: now });
  }
}
