/**
 * CIDs of GridLedger bills and their on-chain form.
 *
 * A bill CID is a CIDv1 whose multihash is sha2-256 and whose codec is either
 * raw (0x55, a file that fits in one chunk) or dag-pb (0x70, the UnixFS root of
 * a chunked file). On chain it is stored as `{ digest: bytes32, codec: uint }`;
 * the version (1) and the hash function (sha2-256) are implied, so the string
 * can be rebuilt exactly (base32, `bafk…` for raw, `bafy…` for dag-pb).
 *
 * The UnixFS import parameters that decide which CID a file gets are fixed in
 * {@link CID_PROFILE}; both bill stores use them (see docs/IPFS.md).
 */
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { sha256 } from "multiformats/hashes/sha2";

/** Multicodec code of raw bytes. */
export const RAW_CODEC = 0x55;
/** Multicodec code of dag-pb (UnixFS nodes). */
export const DAG_PB_CODEC = 0x70;
/** Multihash code of sha2-256. */
export const SHA2_256_CODE = 0x12;

/**
 * The UnixFS import profile every bill is added with: IPIP-499 `unixfs-v1-2025`
 * (Helia's defaults). Kubo reproduces it with
 * `ipfs add --cid-version=1 --raw-leaves=true --chunker=size-1048576 --max-file-links=1024`
 * or on a node configured with `ipfs config profile apply unixfs-v1-2025`.
 */
export const CID_PROFILE = {
  name: "unixfs-v1-2025",
  cidVersion: 1,
  rawLeaves: true,
  hash: "sha2-256",
  /** Fixed-size chunks of this many bytes; a file of at most this size is one raw block. */
  chunkSize: 1_048_576,
  /** Links per UnixFS file node of the balanced DAG. */
  maxLinks: 1024,
} as const;

/** The largest file stored as one raw block (one chunk); larger files get a dag-pb root. */
export const MAX_SINGLE_BLOCK_BYTES: number = CID_PROFILE.chunkSize;

export interface OnChainCid {
  /** The sha2-256 digest, 0x-prefixed lowercase hex of 32 bytes. */
  digest: `0x${string}`;
  /** RAW_CODEC (0x55) or DAG_PB_CODEC (0x70). */
  codec: number;
}

/** A CID that breaks one of the rules above, with the rule it breaks. */
export class CidRuleError extends Error {
  readonly rule: "malformed" | "not-cidv1" | "not-sha2-256" | "unsupported-codec";
  constructor(rule: CidRuleError["rule"], message: string) {
    super(message);
    this.name = "CidRuleError";
    this.rule = rule;
  }
}

const CODEC_NAMES: Record<number, string> = {
  0x55: "raw",
  0x70: "dag-pb",
  0x71: "dag-cbor",
  0x0129: "dag-json",
  0x0200: "json",
  0x72: "libp2p-key",
};

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function codecLabel(code: number): string {
  const name = CODEC_NAMES[code];
  return name === undefined ? hex(code) : `${hex(code)} (${name})`;
}

function isSupportedCodec(code: number): boolean {
  return code === RAW_CODEC || code === DAG_PB_CODEC;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

/**
 * Parses `cid` and checks it is a bill CID (CIDv1, sha2-256, codec raw or dag-pb).
 * Returns the parsed CID; throws a {@link CidRuleError} naming the rule otherwise.
 */
export function parseBillCid(cid: string): CID {
  if (typeof cid !== "string" || cid.length === 0) {
    throw new CidRuleError("malformed", "malformed CID: expected a non-empty string");
  }
  let parsed: CID;
  try {
    parsed = CID.parse(cid);
  } catch (err) {
    throw new CidRuleError(
      "malformed",
      `malformed CID ${quote(cid)}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (parsed.version !== 1) {
    throw new CidRuleError(
      "not-cidv1",
      `not CIDv1: ${quote(cid)} is a CIDv${parsed.version}; bills need CIDv1 (add with --cid-version=1)`,
    );
  }
  if (parsed.multihash.code !== SHA2_256_CODE) {
    throw new CidRuleError(
      "not-sha2-256",
      `not sha2-256: ${quote(cid)} uses multihash ${hex(parsed.multihash.code)}; bills need sha2-256 (0x12)`,
    );
  }
  if (parsed.multihash.digest.length !== 32) {
    throw new CidRuleError(
      "malformed",
      `malformed CID ${quote(cid)}: sha2-256 digest is ${parsed.multihash.digest.length} bytes, expected 32`,
    );
  }
  if (!isSupportedCodec(parsed.code)) {
    throw new CidRuleError(
      "unsupported-codec",
      `unsupported codec ${codecLabel(parsed.code)} in ${quote(cid)}; bills need raw (0x55) or dag-pb (0x70)`,
    );
  }
  return parsed;
}

/** The on-chain form `{ digest, codec }` of a bill CID. Throws a {@link CidRuleError} for any other CID. */
export function cidToOnChain(cid: string): OnChainCid {
  const parsed = parseBillCid(cid);
  let digest = "0x";
  for (const byte of parsed.multihash.digest) digest += byte.toString(16).padStart(2, "0");
  return { digest: digest as `0x${string}`, codec: parsed.code };
}

const BYTES32_HEX = /^0x[0-9a-fA-F]{64}$/;

/**
 * The base32 CIDv1 string (`bafk…` for raw, `bafy…` for dag-pb) of an on-chain
 * `{ digest, codec }`. `codec` may be a bigint, as ethers returns integers.
 */
export function onChainToCid(digest: string, codec: number | bigint): string {
  if (typeof digest !== "string" || !BYTES32_HEX.test(digest)) {
    throw new CidRuleError("malformed", `malformed digest: expected 0x-prefixed 32-byte hex, got ${quote(String(digest))}`);
  }
  const code = typeof codec === "bigint" ? (codec <= 0xffffffffn && codec >= 0n ? Number(codec) : -1) : codec;
  if (!Number.isSafeInteger(code) || code < 0) {
    throw new CidRuleError("unsupported-codec", `unsupported codec ${String(codec)}; bills need raw (0x55) or dag-pb (0x70)`);
  }
  if (!isSupportedCodec(code)) {
    throw new CidRuleError("unsupported-codec", `unsupported codec ${codecLabel(code)}; bills need raw (0x55) or dag-pb (0x70)`);
  }
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Number.parseInt(digest.slice(2 + 2 * i, 4 + 2 * i), 16);
  return CID.createV1(code, Digest.create(SHA2_256_CODE, bytes)).toString();
}

/**
 * The CID both bill stores (and Kubo with {@link CID_PROFILE}'s parameters) give
 * `bytes`, computed without any store. Up to {@link MAX_SINGLE_BLOCK_BYTES}
 * (one chunk) that is the raw-leaf CIDv1, sha2-256 of the bytes (`bafk…`);
 * beyond, the UnixFS dag-pb root (`bafy…`), whose blocks are hashed and dropped.
 */
export async function cidOfBytes(bytes: Uint8Array): Promise<string> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("cidOfBytes: expected a Uint8Array");
  if (bytes.length <= MAX_SINGLE_BLOCK_BYTES) {
    return CID.createV1(RAW_CODEC, await sha256.digest(bytes)).toString();
  }
  // loaded only for files larger than one chunk
  const [{ importBytes }, { fixedSize }, { balanced }] = await Promise.all([
    import("ipfs-unixfs-importer"),
    import("ipfs-unixfs-importer/chunker"),
    import("ipfs-unixfs-importer/layout"),
  ]);
  const discard = { put: async (cid: CID): Promise<CID> => cid };
  const { cid } = await importBytes(bytes, discard, {
    cidVersion: CID_PROFILE.cidVersion,
    rawLeaves: CID_PROFILE.rawLeaves,
    chunker: fixedSize({ chunkSize: CID_PROFILE.chunkSize }),
    layout: balanced({ maxChildrenPerNode: CID_PROFILE.maxLinks }),
    wrapWithDirectory: false,
  });
  return cid.toString();
}
