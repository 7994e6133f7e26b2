/**
 * Digests signed with libsecp256k1 give ethers' SigningKey's r, s and parity (RFC 6979 nonces and low s in both);
 * without the native binding the process signs with ethers. Whole transactions: txEncoding.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Wallet, getBytes, hexlify, id as keccakText, keccak256 } from "ethers";
import { nativeDigestSigner } from "../../src/nativeTxSigning.js";
import { digestSigner, ethersDigestSigner, useDigestSigner } from "../../src/txSigning.js";

/** Deterministic bytes from a label: the same "random" digests on every run. */
const bytesOf = (label: string, length: number) => {
  let out = "";
  for (let i = 0; out.length < length * 2; i++) out += keccakText(`${label}/${i}`).slice(2);
  return `0x${out.slice(0, length * 2)}`;
};

describe("nativeDigestSigner", () => {
  const native = nativeDigestSigner();

  it("loads libsecp256k1 here, and signs digests as ethers' SigningKey does (both parities), leaving the key as it was", () => {
    expect(native).toBeDefined();
    const parities = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const wallet = new Wallet(keccakText(`txSigning-test/key/${i}`));
      const before = wallet.signingKey.privateKey;
      const digest = keccak256(bytesOf(`digest/${i}`, 40));
      const expected = wallet.signingKey.sign(digest);
      const own = native!(getBytes(digest), wallet.signingKey);
      expect({ r: hexlify(own.r), s: hexlify(own.s), yParity: own.yParity }, `digest ${i}`).toEqual({ r: expected.r, s: expected.s, yParity: expected.yParity });
      expect(wallet.signingKey.privateKey).toBe(before);
      parities.add(own.yParity);
    }
    // Both parities came up, so the recovery id is carried over and not just defaulted.
    expect([...parities].sort()).toEqual([0, 1]);
  });

  it("gives the same r, s and parity through ethers' own signer", () => {
    const wallet = new Wallet(keccakText("txSigning-test/ethers"));
    const digest = keccak256("0x02");
    const own = ethersDigestSigner(getBytes(digest), wallet.signingKey);
    const expected = wallet.signingKey.sign(digest);
    expect({ r: hexlify(own.r), s: hexlify(own.s), yParity: own.yParity }).toEqual({ r: expected.r, s: expected.s, yParity: expected.yParity });
  });

  it("is undefined when the binding does not load (no prebuilt binary for this platform)", () => {
    expect(
      nativeDigestSigner(() => {
        throw new Error("No native build was found for platform=plan9");
      }),
    ).toBeUndefined();
  });

  it("passes the digest and key bytes to the binding and reads its r, s and recovery id", () => {
    const wallet = new Wallet(keccakText("txSigning-test/fake-binding"));
    const seen: string[] = [];
    const fake = {
      ecdsaSign(message: Uint8Array, key: Uint8Array) {
        seen.push(hexlify(message), hexlify(key));
        return { signature: new Uint8Array(64).fill(7, 0, 32).fill(9, 32, 64), recid: 1 };
      },
    };
    const signer = nativeDigestSigner(() => fake as never)!;
    const digest = keccak256("0x01");
    const signature = signer(getBytes(digest), wallet.signingKey);
    expect(seen).toEqual([digest, wallet.signingKey.privateKey]);
    expect(hexlify(signature.r)).toBe(`0x${"07".repeat(32)}`);
    expect(hexlify(signature.s)).toBe(`0x${"09".repeat(32)}`);
    expect(signature.yParity).toBe(1);
  });
});

describe("digestSigner", () => {
  afterEach(() => useDigestSigner(undefined));

  it("is the native signer in Node, once chosen the same one", async () => {
    const chosen = await digestSigner();
    expect(chosen).not.toBe(ethersDigestSigner);
    expect(await digestSigner()).toBe(chosen);
  });

  it("takes the signer it is given (ethers' when the binding is missing), and chooses again when cleared", async () => {
    useDigestSigner(ethersDigestSigner);
    expect(await digestSigner()).toBe(ethersDigestSigner);
    useDigestSigner(undefined);
    expect(await digestSigner()).not.toBe(ethersDigestSigner);
  });
});
