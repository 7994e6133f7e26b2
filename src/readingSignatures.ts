/**
 * Signature checks of meter readings at the aggregator's rate, with libsecp256k1 (the native binding of the
 * `secp256k1` package). The rule is the one of `checkSignature` in readings.ts: the signature must recover
 * (ecrecover, as ethers does) to the reading's meter for this chain and contract. ethers recovers in pure
 * JavaScript, a few milliseconds a reading; libsecp256k1 takes a small fraction of that.
 *
 * Only a plain 65-byte `r ‖ s ‖ v` signature that ethers reads as it is — v 27 or 28, 0 < r < n, 0 < s < n and
 * the top bit of s clear (ethers refuses it set) — is recovered natively: for those, libsecp256k1 solves the same
 * equation as ethers (R from r and v's parity, the digest reduced mod n), so it gives the same key or fails.
 * Anything else, and a native recovery that fails, takes the reference path, so refusals carry its messages.
 *
 * Node only (a native module): the web app checks readings with readings.ts alone.
 */
import { hexlify, type TypedDataDomain } from "ethers";
import { checksumAddress, keccak } from "./keccak.js";
import { domainSeparator, readingDigest } from "./readingHashes.js";
import { checkSignature, notTheMetersSignature, ReadingError, type SignedReading } from "./readings.js";
import { trySecp256k1Binding } from "./secp256k1Binding.js";

export type SignatureBackend = "libsecp256k1 (native)" | "ethers (js fallback)";

/** Without the binary, checks take the reference path, and say so. */
const native = trySecp256k1Binding();

/** How this process recovers readings' signatures. */
export const signatureBackend: SignatureBackend = native ? "libsecp256k1 (native)" : "ethers (js fallback)";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const PLAIN_SIGNATURE = /^0x[0-9a-fA-F]{130}$/;

/** `r ‖ s` (64 bytes) and the recovery id of a signature ethers reads without normalising it, else undefined. */
function plainSignature(signature: string): { rs: Uint8Array; recid: number } | undefined {
  if (typeof signature !== "string" || !PLAIN_SIGNATURE.test(signature)) return undefined;
  const v = parseInt(signature.slice(130, 132), 16);
  if (v !== 27 && v !== 28) return undefined;
  const r = BigInt("0x" + signature.slice(2, 66));
  const s = BigInt("0x" + signature.slice(66, 130));
  if (r === 0n || r >= N || s === 0n || s >= N || s >> 255n === 1n) return undefined;
  return { rs: Buffer.from(signature.slice(2, 130), "hex"), recid: v - 27 };
}

/**
 * Checks readings' signatures for one domain. `check` returns the ReadingError the reference `checkSignature`
 * would throw, or undefined when the signature is the meter's.
 */
export class ReadingSignatureChecker {
  /** Checks decided by the native recovery, and by the reference path (with its messages). */
  readonly decided = { native: 0, reference: 0 };
  readonly #domain: TypedDataDomain;
  readonly #separator: Uint8Array;

  constructor(domain: TypedDataDomain) {
    this.#domain = domain;
    this.#separator = domainSeparator(domain);
  }

  check(signed: SignedReading): ReadingError | undefined {
    if (native) {
      const sig = plainSignature(signed.signature);
      if (sig) {
        let key: Uint8Array | undefined;
        try {
          key = native.ecdsaRecover(sig.rs, sig.recid, readingDigest(this.#separator, signed.reading), false);
        } catch {
          // A field out of range, or no key: the reference path names what is wrong.
        }
        if (key) {
          this.decided.native++;
          // The address is the last 20 bytes of keccak256 of the key's x ‖ y; readingDigest checked the meter's address.
          const recovered = hexlify(keccak(key.subarray(1))).slice(26);
          return recovered === checksumAddress(signed.reading.meter).slice(2).toLowerCase() ? undefined : notTheMetersSignature(this.#domain, signed);
        }
      }
    }
    this.decided.reference++;
    try {
      checkSignature(this.#domain, signed);
      return undefined;
    } catch (error) {
      return error as ReadingError;
    }
  }
}
