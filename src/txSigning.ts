/**
 * Who signs the transactions of keys held in this process: libsecp256k1 in Node when its binding loads
 * (nativeTxSigning.ts), else ethers' SigningKey. Both give the same bytes (RFC 6979 nonces, low s).
 *
 * The web app bundles this module (through txSender.ts) but must not bundle a native module: the native signer
 * is imported at run time, by a specifier the bundler does not follow, and only where `process.versions.node`
 * says this is Node.
 */
import { getBytes, type SigningKey } from "ethers";
import type { RawSignature } from "./txEncoding.js";

/** Signs a 32-byte digest with the key. */
export type DigestSigner = (digest: Uint8Array, key: SigningKey) => RawSignature;

/** ethers' own signer: pure JavaScript, everywhere. */
export const ethersDigestSigner: DigestSigner = (digest, key) => {
  const signature = key.sign(digest);
  return { r: getBytes(signature.r), s: getBytes(signature.s), yParity: signature.yParity };
};

/** A variable, so that bundlers leave the import alone (`@vite-ignore` silences Vite's warning about it). */
const NATIVE_MODULE = "./nativeTxSigning.js";

let chosen: Promise<DigestSigner> | undefined;

/** The signer of this process: chosen on first use, then the same one. */
export function digestSigner(): Promise<DigestSigner> {
  chosen ??= choose();
  return chosen;
}

/**
 * Makes `signer` the signer of this process (undefined: choose again on next use). For comparing the two
 * signers, and for testing the fallback.
 */
export function useDigestSigner(signer: DigestSigner | undefined): void {
  chosen = signer ? Promise.resolve(signer) : undefined;
}

async function choose(): Promise<DigestSigner> {
  if (typeof process === "undefined" || typeof process.versions?.node !== "string") return ethersDigestSigner;
  try {
    const native = (await import(/* @vite-ignore */ NATIVE_MODULE)) as typeof import("./nativeTxSigning.js");
    return native.nativeDigestSigner() ?? ethersDigestSigner;
  } catch {
    return ethersDigestSigner;
  }
}
