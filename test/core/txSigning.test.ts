/**
 * Transactions signed with libsecp256k1 are byte for byte the ones ethers' Wallet signs (RFC 6979 nonces and low
 * s in both), over many random transactions; without the native binding the process signs with ethers.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Transaction, Wallet, getAddress, hexlify, id as keccakText, keccak256, toBeHex, type TransactionLike } from "ethers";
import { nativeDigestSigner } from "../../src/nativeTxSigning.js";
import { digestSigner, ethersDigestSigner, useDigestSigner } from "../../src/txSigning.js";

/** Deterministic bytes from a label: the same "random" transactions on every run. */
const bytesOf = (label: string, length: number) => {
  let out = "";
  for (let i = 0; out.length < length * 2; i++) out += keccakText(`${label}/${i}`).slice(2);
  return `0x${out.slice(0, length * 2)}`;
};
const numberOf = (label: string, bits: number) => BigInt(bytesOf(label, 32)) >> BigInt(256 - bits);

function randomTransaction(i: number): { wallet: Wallet; tx: TransactionLike } {
  const r = (field: string, bits: number) => numberOf(`tx/${i}/${field}`, bits);
  const wallet = new Wallet(keccakText(`txSigning-test/key/${i}`));
  const common = {
    chainId: r("chainId", 1 + Number(r("chainIdBits", 5))) + 1n,
    nonce: Number(r("nonce", 1 + Number(r("nonceBits", 5)))),
    gasLimit: 21_000n + r("gas", 24),
    to: i % 17 === 0 ? null : getAddress(bytesOf(`tx/${i}/to`, 20)),
    value: i % 3 === 0 ? 0n : r("value", 1 + Number(r("valueBits", 7))),
    data: i % 5 === 0 ? "0x" : bytesOf(`tx/${i}/data`, Number(r("dataLength", 9))),
  };
  if (i % 4 === 3) return { wallet, tx: { ...common, type: 0, gasPrice: r("gasPrice", 40) } };
  const maxPriorityFeePerGas = r("tip", 36);
  return { wallet, tx: { ...common, type: 2, maxPriorityFeePerGas, maxFeePerGas: maxPriorityFeePerGas + r("fee", 40), accessList: [] } };
}

describe("nativeDigestSigner", () => {
  const native = nativeDigestSigner();

  it("loads libsecp256k1 here, and signs every transaction byte for byte as ethers' Wallet does", async () => {
    expect(native).toBeDefined();
    let sawHighRecid = false;
    for (let i = 0; i < 400; i++) {
      const { wallet, tx } = randomTransaction(i);
      const expected = await wallet.signTransaction(tx);
      const own = Transaction.from(tx);
      own.signature = native!(own.unsignedHash, wallet.signingKey);
      expect(own.serialized, `transaction ${i}: ${JSON.stringify(tx, (_, v: unknown) => (typeof v === "bigint" ? toBeHex(v) : v))}`).toBe(expected);
      sawHighRecid ||= own.signature.yParity === 1;
    }
    // Both parities came up, so the recovery id is carried over and not just defaulted.
    expect(sawHighRecid).toBe(true);
  });

  it("signs the digest as ethers' SigningKey does, and leaves the key as it was", () => {
    const wallet = new Wallet(keccakText("txSigning-test/digest"));
    const before = wallet.signingKey.privateKey;
    for (let i = 0; i < 50; i++) {
      const digest = keccak256(bytesOf(`digest/${i}`, 40));
      expect(native!(digest, wallet.signingKey).serialized).toBe(wallet.signingKey.sign(digest).serialized);
    }
    expect(wallet.signingKey.privateKey).toBe(before);
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
    const signature = signer(digest, wallet.signingKey);
    expect(seen).toEqual([digest, wallet.signingKey.privateKey]);
    expect(signature.r).toBe(`0x${"07".repeat(32)}`);
    expect(signature.s).toBe(`0x${"09".repeat(32)}`);
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
