import { createCipheriv, createHash } from "node:crypto";
import { base58btc } from "multiformats/bases/base58";
import { CID } from "multiformats/cid";
import { identity } from "multiformats/hashes/identity";
import { sha256, sha512 } from "multiformats/hashes/sha2";
import { describe, expect, it } from "vitest";
import {
  CID_PROFILE,
  CidRuleError,
  DAG_PB_CODEC,
  MAX_SINGLE_BLOCK_BYTES,
  RAW_CODEC,
  cidOfBytes,
  cidToOnChain,
  onChainToCid,
  parseBillCid,
} from "../../src/cid.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * Kubo's deterministic test bytes (test/cli/testutils/random_deterministic.go):
 * the ChaCha20 keystream with key sha256(seed), zero nonce and counter.
 */
function kuboDeterministicBytes(size: number, seed: string): Uint8Array {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("chacha20", key, Buffer.alloc(16));
  return new Uint8Array(Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]));
}

// Fixed vectors. The `hello world` ones and the 1 MiB / 1 MiB+1 ones are the
// fixtures of Kubo's test/cli/cid_profiles_test.go for the unixfs-v1-2025 profile.
const HELLO_NL_CID = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"; // "hello world\n", ipfs add --cid-version=1
const HELLO_NL_SHA256 = "0xa948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447";
const HELLO_CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"; // "hello world"
const EMPTY_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"; // zero bytes
const AT_CHUNK_CID = "bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta"; // 1 MiB, seed "chunk-v1-seed"
const OVER_CHUNK_CID = "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64"; // 1 MiB + 1, seed "chunk-v1-seed"
const HELLO_NL_CIDV0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"; // "hello world\n", Kubo's default CIDv0

function ruleOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CidRuleError);
    return (err as CidRuleError).rule;
  }
  throw new Error("expected a CidRuleError");
}

describe("cidOfBytes", () => {
  it("gives the raw-leaf CIDv1 Kubo gives for small files", async () => {
    expect(await cidOfBytes(utf8("hello world\n"))).toBe(HELLO_NL_CID);
    expect(await cidOfBytes(utf8("hello world"))).toBe(HELLO_CID);
    expect(await cidOfBytes(new Uint8Array(0))).toBe(EMPTY_CID);
  });

  it("covers a whole chunk (1 MiB): Kubo's unixfs-v1-2025 fixture", async () => {
    expect(MAX_SINGLE_BLOCK_BYTES).toBe(CID_PROFILE.chunkSize);
    expect(await cidOfBytes(kuboDeterministicBytes(1_048_576, "chunk-v1-seed"))).toBe(AT_CHUNK_CID);
  });

  it("gives Kubo's dag-pb root beyond one chunk (1 MiB + 1): the unixfs-v1-2025 fixture", async () => {
    const cid = await cidOfBytes(kuboDeterministicBytes(MAX_SINGLE_BLOCK_BYTES + 1, "chunk-v1-seed"));
    expect(cid).toBe(OVER_CHUNK_CID);
    expect(cidToOnChain(cid).codec).toBe(DAG_PB_CODEC);
  });

  it("refuses what is not a Uint8Array", async () => {
    await expect(cidOfBytes("hello" as unknown as Uint8Array)).rejects.toThrow(TypeError);
  });
});

describe("cidToOnChain / onChainToCid", () => {
  it("splits a raw CID into its sha2-256 digest and codec 0x55", () => {
    const onChain = cidToOnChain(HELLO_NL_CID);
    expect(onChain).toEqual({ digest: HELLO_NL_SHA256, codec: RAW_CODEC });
    expect(onChain.digest).toBe(`0x${createHash("sha256").update("hello world\n").digest("hex")}`);
  });

  it("round-trips raw and dag-pb CIDs to the identical string", () => {
    for (const cid of [HELLO_NL_CID, HELLO_CID, EMPTY_CID, AT_CHUNK_CID, OVER_CHUNK_CID]) {
      const { digest, codec } = cidToOnChain(cid);
      expect(onChainToCid(digest, codec)).toBe(cid);
    }
    expect(cidToOnChain(OVER_CHUNK_CID).codec).toBe(DAG_PB_CODEC);
    expect(onChainToCid(cidToOnChain(OVER_CHUNK_CID).digest, DAG_PB_CODEC)).toMatch(/^bafy/);
    expect(onChainToCid(cidToOnChain(HELLO_CID).digest, RAW_CODEC)).toMatch(/^bafk/);
  });

  it("round-trips random digests for both codecs", async () => {
    for (let i = 0; i < 20; i++) {
      const hash = await sha256.digest(utf8(`bill ${i}`));
      for (const codec of [RAW_CODEC, DAG_PB_CODEC]) {
        const cid = CID.createV1(codec, hash).toString();
        const onChain = cidToOnChain(cid);
        expect(onChain.digest).toMatch(/^0x[0-9a-f]{64}$/);
        expect(onChainToCid(onChain.digest, onChain.codec)).toBe(cid);
      }
    }
  });

  it("takes uppercase hex and a bigint codec (as ethers returns it)", () => {
    expect(onChainToCid(HELLO_NL_SHA256.toUpperCase().replace("0X", "0x"), 0x55n)).toBe(HELLO_NL_CID);
  });

  it("takes a CIDv1 in another multibase and gives it back in base32", () => {
    const b58 = CID.parse(HELLO_NL_CID).toString(base58btc);
    expect(b58.startsWith("z")).toBe(true);
    const { digest, codec } = cidToOnChain(b58);
    expect(onChainToCid(digest, codec)).toBe(HELLO_NL_CID);
  });

  it("rejects a CIDv0, naming the rule", () => {
    expect(ruleOf(() => cidToOnChain(HELLO_NL_CIDV0))).toBe("not-cidv1");
    expect(() => cidToOnChain(HELLO_NL_CIDV0)).toThrow(/not CIDv1/);
  });

  it("rejects other hash functions, naming the rule", async () => {
    const sha512Cid = CID.createV1(RAW_CODEC, await sha512.digest(utf8("x"))).toString();
    const identityCid = CID.createV1(RAW_CODEC, identity.digest(utf8("x"))).toString();
    for (const cid of [sha512Cid, identityCid]) {
      expect(ruleOf(() => cidToOnChain(cid))).toBe("not-sha2-256");
      expect(() => cidToOnChain(cid)).toThrow(/not sha2-256/);
    }
  });

  it("rejects other codecs, naming the rule", async () => {
    const hash = await sha256.digest(utf8("x"));
    for (const [code, name] of [
      [0x71, "dag-cbor"],
      [0x0129, "dag-json"],
      [0x0200, "json"],
    ] as const) {
      const cid = CID.createV1(code, hash).toString();
      expect(ruleOf(() => cidToOnChain(cid))).toBe("unsupported-codec");
      expect(() => cidToOnChain(cid)).toThrow(new RegExp(`unsupported codec 0x${code.toString(16)} \\(${name}\\)`));
    }
  });

  it("rejects malformed strings", () => {
    for (const bad of [
      "",
      "hello",
      HELLO_NL_CID.slice(0, -1),
      `${HELLO_NL_CID}a`,
      ` ${HELLO_NL_CID}`,
      `${HELLO_NL_CID}\n`,
      HELLO_NL_CID.toUpperCase(),
      "bafy",
      "zzzzzz",
      `/ipfs/${HELLO_NL_CID}`,
    ]) {
      expect(ruleOf(() => cidToOnChain(bad)), bad).toBe("malformed");
    }
    expect(() => cidToOnChain("hello")).toThrow(/malformed CID/);
    expect(ruleOf(() => cidToOnChain(undefined as unknown as string))).toBe("malformed");
    expect(ruleOf(() => cidToOnChain(42 as unknown as string))).toBe("malformed");
  });

  it("rejects a sha2-256 multihash with a truncated digest", () => {
    const truncated = CID.createV1(RAW_CODEC, { code: 0x12, size: 20, digest: new Uint8Array(20), bytes: new Uint8Array([0x12, 20, ...new Uint8Array(20)]) }).toString();
    expect(ruleOf(() => cidToOnChain(truncated))).toBe("malformed");
  });

  it("parseBillCid returns the parsed CID", () => {
    const cid = parseBillCid(OVER_CHUNK_CID);
    expect(cid.version).toBe(1);
    expect(cid.code).toBe(DAG_PB_CODEC);
  });

  it("onChainToCid rejects a bad digest", () => {
    for (const bad of [
      HELLO_NL_SHA256.slice(2),
      HELLO_NL_SHA256.slice(0, -2),
      `${HELLO_NL_SHA256}00`,
      `0x${"g".repeat(64)}`,
      "",
      "0x",
    ]) {
      expect(ruleOf(() => onChainToCid(bad, RAW_CODEC)), bad).toBe("malformed");
    }
    expect(() => onChainToCid("0x1234", RAW_CODEC)).toThrow(/malformed digest/);
  });

  it("onChainToCid rejects codecs other than raw and dag-pb", () => {
    for (const bad of [0x71, 0, -1, 1.5, Number.NaN, 2 ** 60, 0x55n + 2n ** 64n, -0x55n]) {
      expect(ruleOf(() => onChainToCid(HELLO_NL_SHA256, bad)), String(bad)).toBe("unsupported-codec");
    }
    expect(() => onChainToCid(HELLO_NL_SHA256, 0x71)).toThrow(/unsupported codec 0x71 \(dag-cbor\)/);
  });
});
