/**
 * Transaction digests signed with libsecp256k1 (the native binding of the `secp256k1` package): about a tenth
 * of the CPU of ethers' pure-JS secp256k1. Both derive the nonce by RFC 6979 from the key and the digest alone
 * and both return the low-s signature, so a transaction signed here is byte for byte the one ethers' Wallet signs.
 *
 * Node only (a native module): txSigning.ts loads this module at run time in Node and never in a browser, so the
 * web bundle does not contain it.
 */
import { loadSecp256k1Binding, type Secp256k1Binding } from "./secp256k1Binding.js";
import type { DigestSigner } from "./txSigning.js";

/** A signer on libsecp256k1, or undefined when `load` cannot load the binding (the caller keeps ethers' signer). */
export function nativeDigestSigner(load: () => Secp256k1Binding = loadSecp256k1Binding): DigestSigner | undefined {
  let binding: Secp256k1Binding;
  try {
    binding = load();
  } catch {
    return undefined;
  }
  return (digest, key) => {
    // The key is read from the SigningKey for each signature, and its bytes are wiped once used.
    const secret = Buffer.from(key.privateKey.slice(2), "hex");
    try {
      const { signature, recid } = binding.ecdsaSign(digest, secret);
      return {
        r: signature.subarray(0, 32),
        s: signature.subarray(32, 64),
        // recid's high bit says r overflowed the group order (odds about 2^-127); the parity is its low bit.
        yParity: (recid & 1) as 0 | 1,
      };
    } finally {
      secret.fill(0);
    }
  };
}
