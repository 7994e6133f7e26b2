/**
 * Transactions encoded and signed by txEncoding.ts are byte for byte the ones ethers' Wallet signs, over many
 * random EIP-1559 and legacy transactions (with and without EIP-155), signed natively and with ethers' signer.
 */
import { describe, expect, it } from "vitest";
import { Transaction, Wallet, getAddress, getBytes, hexlify, id as keccakText, keccak256, toBeHex } from "ethers";
import { nativeDigestSigner } from "../../src/nativeTxSigning.js";
import { bytesToHex, encode, hexToBytes, signTransaction, unsignedDigest, type UnsignedTx } from "../../src/txEncoding.js";
import { ethersDigestSigner, type DigestSigner } from "../../src/txSigning.js";

/** Deterministic bytes from a label: the same "random" transactions on every run. */
const bytesOf = (label: string, length: number) => {
  let out = "";
  for (let i = 0; out.length < length * 2; i++) out += keccakText(`${label}/${i}`).slice(2);
  return `0x${out.slice(0, length * 2)}`;
};
const numberOf = (label: string, bits: number) => BigInt(bytesOf(label, 32)) >> BigInt(256 - bits);

function randomTransaction(i: number): { wallet: Wallet; tx: UnsignedTx } {
  const r = (field: string, bits: number) => numberOf(`tx/${i}/${field}`, bits);
  const wallet = new Wallet(keccakText(`txEncoding-test/key/${i}`));
  const common = {
    // Every 23rd legacy transaction has chain id 0: no EIP-155 replay protection, v = 27 or 28.
    chainId: i % 23 === 3 ? 0n : r("chainId", 1 + Number(r("chainIdBits", 5))) + 1n,
    nonce: Number(r("nonce", 1 + Number(r("nonceBits", 5)))),
    gasLimit: 21_000n + r("gas", 24),
    to: i % 17 === 0 ? null : i % 2 ? getAddress(bytesOf(`tx/${i}/to`, 20)) : bytesOf(`tx/${i}/to`, 20),
    value: i % 3 === 0 ? 0n : r("value", 1 + Number(r("valueBits", 7))),
    // Up to 511 bytes: lengths under 56, and long ones with one and two length bytes.
    data: i % 5 === 0 ? "0x" : bytesOf(`tx/${i}/data`, Number(r("dataLength", 9))),
  };
  if (i % 4 === 3) return { wallet, tx: { ...common, type: 0, gasPrice: r("gasPrice", 40) } };
  const maxPriorityFeePerGas = r("tip", 36);
  return { wallet, tx: { ...common, type: 2, maxPriorityFeePerGas, maxFeePerGas: maxPriorityFeePerGas + r("fee", 40) } };
}

const asEthers = (tx: UnsignedTx) => ({ ...tx, ...(tx.type === 2 ? { accessList: [] } : {}) });
const show = (tx: UnsignedTx) => JSON.stringify(tx, (_, v: unknown) => (typeof v === "bigint" ? toBeHex(v) : v));

describe("signTransaction", () => {
  const signers: [string, DigestSigner][] = [["libsecp256k1", nativeDigestSigner()!], ["ethers' signer", ethersDigestSigner]];

  for (const [name, signer] of signers) {
    it(`gives ethers' Wallet's bytes and hash for every transaction, signed with ${name}`, async () => {
      expect(signer).toBeDefined();
      const count = signer === ethersDigestSigner ? 60 : 400;
      for (let i = 0; i < count; i++) {
        const { wallet, tx } = randomTransaction(i);
        const expected = await wallet.signTransaction(asEthers(tx));
        const own = signTransaction(tx, (digest) => signer(digest, wallet.signingKey));
        expect(own.raw, `transaction ${i}: ${show(tx)}`).toBe(expected);
        expect(own.hash).toBe(keccak256(expected));
        expect(own.hash).toBe(Transaction.from(expected).hash);
      }
    });
  }

  it("signs the digest of ethers' unsigned encoding", () => {
    for (let i = 0; i < 100; i++) {
      const { tx } = randomTransaction(i);
      const ethersTx = Transaction.from(asEthers(tx));
      expect(bytesToHex(encode(tx, undefined)), show(tx)).toBe(ethersTx.unsignedSerialized);
      expect(hexlify(unsignedDigest(tx))).toBe(ethersTx.unsignedHash);
    }
  });

  it("refuses a malformed field, naming it, before anything is signed", () => {
    const { tx } = randomTransaction(1);
    let signed = 0;
    const sign = () => {
      signed++;
      return { r: new Uint8Array(32), s: new Uint8Array(32), yParity: 0 as const };
    };
    expect(() => signTransaction({ ...tx, data: "0x123" }, sign)).toThrow(/^data: must be 0x-prefixed hex of whole bytes$/);
    expect(() => signTransaction({ ...tx, data: "0xzz" }, sign)).toThrow(/^data: /);
    expect(() => signTransaction({ ...tx, to: "0x1234" }, sign)).toThrow(/^to: must be an address of 20 bytes/);
    expect(() => signTransaction({ ...tx, value: -1n }, sign)).toThrow(/^value: must be a non-negative integer/);
    expect(() => signTransaction({ ...tx, gasLimit: 21_000 as unknown as bigint }, sign)).toThrow(/^gasLimit: /);
    expect(signed).toBe(0);
  });
});

describe("hexToBytes and bytesToHex", () => {
  it("read either case and write lower case, the same bytes as ethers", () => {
    for (const hex of ["0x", "0x00", "0xABcdEF0189", bytesOf("hex", 300)]) {
      expect(hexlify(hexToBytes(hex, "x"))).toBe(hexlify(getBytes(hex)));
      expect(bytesToHex(getBytes(hex))).toBe(hex.toLowerCase());
    }
  });
});
