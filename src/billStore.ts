/**
 * Where GridLedger keeps bills: content-addressed, pinned bytes.
 *
 * Two implementations give the same CID for the same bytes (see docs/IPFS.md):
 * - "embedded": an offline Helia node with a filesystem blockstore and datastore
 *   (src/billStore/helia.ts);
 * - "kubo": a Kubo node's RPC API, IPFS Cluster's IPFS proxy, or our own
 *   src/ipfsService.ts, through kubo-rpc-client (src/billStore/kubo.ts).
 */

/** A content-addressed store of bills. */
export interface BillStore {
  /** Stores `bytes`, pins them and returns their CID (CIDv1, base32). */
  put(bytes: Uint8Array): Promise<string /* CID */>;
  /**
   * The bytes of the file `cid`. Throws a {@link BillStoreError}: NOT_FOUND,
   * TOO_LARGE (more than `maxBytes`), INVALID_CID, ABORTED, …
   */
  get(cid: string, opts?: { maxBytes?: number; signal?: AbortSignal }): Promise<Uint8Array>;
  /** Pins `cid` (recursively); succeeds when it is already pinned. */
  pin(cid: string): Promise<void>;
  /** Releases the store; every later call fails with CLOSED. Idempotent. */
  close(): Promise<void>;
  readonly kind: "embedded" | "kubo";
}

/** Options of {@link EmbeddedBillStore.add}: the `ipfs add` parameters the embedded store honours. */
export interface EmbeddedAddOptions {
  /** 0 or 1 (default 1). */
  cidVersion?: 0 | 1;
  /** Raw leaves (default: true for CIDv1, false for CIDv0, as Kubo). */
  rawLeaves?: boolean;
  /** Fixed chunk size in bytes, 1..1048576 (default 1048576). */
  chunkSize?: number;
  /** Links per file node of the balanced layout, 2..8192 (default 1024). */
  maxLinks?: number;
  /** Pin the result (default true). */
  pin?: boolean;
  signal?: AbortSignal;
}

export interface ContentStat {
  /** The CID as given, in its canonical string form. */
  cid: string;
  /** "raw": a raw block; "file": a UnixFS file; "directory": a UnixFS directory (not readable as bytes). */
  type: "raw" | "file" | "directory";
  /** Size in bytes of the file's content (0 for a directory). */
  size: number;
}

/** The embedded store, with the lower-level operations src/ipfsService.ts needs. */
export interface EmbeddedBillStore extends BillStore {
  readonly kind: "embedded";
  /** The data directory (absolute). */
  readonly dataDir: string;
  /** Adds `bytes` with explicit import parameters; returns the CID and Kubo's cumulative DAG size. */
  add(bytes: Uint8Array, opts?: EmbeddedAddOptions): Promise<{ cid: string; size: number }>;
  /** What `cid` is and how many bytes it holds, from local blocks only. */
  stat(cid: string, opts?: { signal?: AbortSignal }): Promise<ContentStat>;
  /** Streams the bytes of the file `cid` (local blocks only), optionally a range of them. */
  cat(cid: string, opts?: { offset?: number; length?: number; signal?: AbortSignal }): AsyncIterable<Uint8Array>;
  /** Pins `cid`: recursively (default) or, with `recursive: false`, the root block only. */
  pin(cid: string, opts?: { recursive?: boolean; signal?: AbortSignal }): Promise<void>;
  /** Whether the block `cid` is pinned (directly or as part of a pinned DAG). */
  isPinned(cid: string): Promise<boolean>;
}

/** The external store, over kubo-rpc-client. */
export interface KuboBillStore extends BillStore {
  readonly kind: "kubo";
  /** The RPC base URL, as configured. */
  readonly url: string;
  /** The node's `version` answer. */
  version(): Promise<{ version: string; commit?: string; repo?: string; system?: string; golang?: string }>;
}

export type BillStoreErrorCode =
  | "INVALID_ARGUMENT"
  | "INVALID_CID"
  | "NOT_FOUND"
  | "NOT_A_FILE"
  | "TOO_LARGE"
  | "INTEGRITY"
  | "UNREACHABLE"
  | "REMOTE"
  | "LOCKED"
  | "CLOSED"
  | "ABORTED"
  | "IO";

/** Every failure of a {@link BillStore}, with a code and a readable message. */
export class BillStoreError extends Error {
  readonly code: BillStoreErrorCode;
  constructor(code: BillStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BillStoreError";
    this.code = code;
  }
}

export type EmbeddedBillStoreConfig = { kind: "embedded"; dataDir: string };
export type KuboBillStoreConfig = {
  kind: "kubo";
  url: string;
  /** Milliseconds to wait for any one RPC call (default 60 000); a caller's signal can end it sooner. */
  timeoutMs?: number;
};
export type BillStoreConfig = EmbeddedBillStoreConfig | KuboBillStoreConfig;

/**
 * Opens a bill store. "embedded" opens (creating if needed) an offline Helia
 * repository under `dataDir` and locks it against other processes; "kubo"
 * checks that the RPC API at `url` answers.
 */
export function openBillStore(config: EmbeddedBillStoreConfig): Promise<EmbeddedBillStore>;
export function openBillStore(config: KuboBillStoreConfig): Promise<KuboBillStore>;
export function openBillStore(config: BillStoreConfig): Promise<BillStore>;
export async function openBillStore(config: BillStoreConfig): Promise<BillStore> {
  if (config === null || typeof config !== "object") {
    throw new BillStoreError("INVALID_ARGUMENT", "openBillStore: expected a config object");
  }
  switch (config.kind) {
    case "embedded": {
      const { openEmbeddedBillStore } = await import("./billStore/helia.js");
      return openEmbeddedBillStore(config.dataDir);
    }
    case "kubo": {
      const { openKuboBillStore } = await import("./billStore/kubo.js");
      return openKuboBillStore(config.url, { timeoutMs: config.timeoutMs });
    }
    default:
      throw new BillStoreError(
        "INVALID_ARGUMENT",
        `openBillStore: unknown kind ${JSON.stringify((config as { kind?: unknown }).kind)} (expected "embedded" or "kubo")`,
      );
  }
}
