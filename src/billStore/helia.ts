/**
 * The embedded bill store: a Helia node without libp2p (`createHeliaLight`:
 * no transports, no routers, no block brokers, so it never opens a socket),
 * over a filesystem blockstore (`<dataDir>/blocks`) and datastore
 * (`<dataDir>/datastore`, which holds the pins). It is never started, because
 * starting only matters for peers; every read is made with `offline: true`, so
 * a missing block is reported at once instead of being looked for elsewhere.
 *
 * One process at a time may open a data directory: `<dataDir>/repo.lock` holds
 * the owner's pid and host. A lock left by a process that is gone is taken over.
 */
import { randomUUID } from "node:crypto";
import { promises as fsp } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { unixfs, type UnixFS } from "@helia/unixfs";
import { FsBlockstore } from "blockstore-fs";
import { FsDatastore } from "datastore-fs";
import { createHeliaLight, type Helia } from "helia";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { CID } from "multiformats/cid";
import { CID_PROFILE } from "../cid.js";
import {
  BillStoreError,
  type ContentStat,
  type EmbeddedAddOptions,
  type EmbeddedBillStore,
} from "../billStore.js";

const LOCK_FILE = "repo.lock";
const MAX_CHUNK_SIZE = 1_048_576;
const MAX_LINKS = 8192;
/** get() reads a file into one buffer; past this, use cat(). */
const MAX_IN_MEMORY_BYTES = 1024 * 1024 * 1024;

interface LockInfo {
  pid: number;
  hostname: string;
  token: string;
  createdAt: string;
}

/** Data directories this process has open (a second open in the same process is refused too). */
const openDirs = new Set<string>();
/** Tokens of the lock files this process holds. */
const heldTokens = new Set<string>();

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errName(err: unknown): string {
  return err !== null && typeof err === "object" && "name" in err ? String((err as { name: unknown }).name) : "";
}

function errCode(err: unknown): string {
  return err !== null && typeof err === "object" && "code" in err ? String((err as { code: unknown }).code) : "";
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return errCode(err) === "EPERM";
  }
}

async function readLock(file: string): Promise<LockInfo | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (err) {
    if (errCode(err) === "ENOENT") return undefined;
    throw err;
  }
  try {
    const info = JSON.parse(text) as Partial<LockInfo>;
    if (typeof info.pid === "number" && typeof info.hostname === "string" && typeof info.token === "string") {
      return { pid: info.pid, hostname: info.hostname, token: info.token, createdAt: String(info.createdAt ?? "") };
    }
  } catch {
    // unreadable: treated as stale below
  }
  return { pid: -1, hostname: hostname(), token: "", createdAt: "" };
}

/** Takes `<dir>/repo.lock`, or throws LOCKED naming the live owner. Bounded: three attempts. */
async function acquireLock(dir: string): Promise<LockInfo> {
  const file = path.join(dir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, hostname: hostname(), token: randomUUID(), createdAt: new Date().toISOString() };
  const tmp = path.join(dir, `${LOCK_FILE}.${mine.token}.tmp`);
  await fsp.writeFile(tmp, JSON.stringify(mine));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        // link(2) fails if the lock exists, so only one process can win.
        await fsp.link(tmp, file);
        heldTokens.add(mine.token);
        return mine;
      } catch (err) {
        if (errCode(err) !== "EEXIST") throw err;
      }
      const held = await readLock(file);
      if (held === undefined) continue; // released meanwhile: try again
      const sameHost = held.hostname === mine.hostname;
      if (sameHost && held.pid === process.pid && heldTokens.has(held.token)) {
        throw new BillStoreError("LOCKED", `IPFS data directory ${dir} is already open in this process (pid ${held.pid}); close it first`);
      }
      if (!sameHost) {
        throw new BillStoreError(
          "LOCKED",
          `IPFS data directory ${dir} is locked by pid ${held.pid} on host ${held.hostname} (since ${held.createdAt}); ` +
            `if that process is gone, delete ${file}`,
        );
      }
      // A live process other than us holds it. (Our pid with a token this process never
      // issued is a lock left by an earlier process that had the same pid: stale.)
      if (held.pid > 0 && held.pid !== process.pid && isProcessAlive(held.pid)) {
        throw new BillStoreError(
          "LOCKED",
          `IPFS data directory ${dir} is in use by another process (pid ${held.pid}, since ${held.createdAt}); ` +
            `stop it or use another data directory (if pid ${held.pid} is not a GridLedger process, delete ${file})`,
        );
      }
      // Stale: its owner is gone. Remove it unless someone replaced it meanwhile.
      const again = await readLock(file);
      if (again !== undefined && again.token === held.token) {
        await fsp.rm(file, { force: true });
      }
    }
    throw new BillStoreError("LOCKED", `IPFS data directory ${dir}: could not take ${file} (another process keeps taking it)`);
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

async function releaseLock(dir: string, lock: LockInfo): Promise<void> {
  const file = path.join(dir, LOCK_FILE);
  heldTokens.delete(lock.token);
  const held = await readLock(file).catch(() => undefined);
  if (held !== undefined && held.token === lock.token) await fsp.rm(file, { force: true });
}

/** A promise chain that runs tasks one at a time (pins are read-modify-write in the datastore). */
class Serial {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
  async idle(): Promise<void> {
    await this.#tail;
  }
}

function parseCid(cid: string): CID {
  if (typeof cid !== "string" || cid.length === 0) {
    throw new BillStoreError("INVALID_CID", "invalid CID: expected a non-empty string");
  }
  try {
    return CID.parse(cid);
  } catch (err) {
    throw new BillStoreError("INVALID_CID", `invalid CID ${JSON.stringify(cid.slice(0, 100))}: ${errorMessage(err)}`, { cause: err });
  }
}

function checkNonNegativeInt(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new BillStoreError("INVALID_ARGUMENT", `${name} must be a non-negative integer, got ${String(value)}`);
  }
}

/** Maps what Helia, the exporter or the filesystem threw onto a BillStoreError. */
function toStoreError(err: unknown, cid: string, signal?: AbortSignal): BillStoreError {
  if (err instanceof BillStoreError) return err;
  const name = errName(err);
  if (signal?.aborted === true || name === "AbortError") {
    return new BillStoreError("ABORTED", `operation on ${cid} was aborted`, { cause: err });
  }
  switch (name) {
    case "BlockNotFoundWhileOfflineError":
    case "NotFoundError":
    case "LoadBlockFailedError":
      return new BillStoreError("NOT_FOUND", `CID not found in the embedded store: ${cid} (or a block of it is missing)`, { cause: err });
    case "NotAFileError":
    case "NoContentError":
      return new BillStoreError("NOT_A_FILE", `${cid} is not a file (it is a directory or other non-file node)`, { cause: err });
    case "NotUnixFSError":
    case "InvalidPBNodeError":
    case "NoResolverError":
    case "UnknownError":
      return new BillStoreError("NOT_A_FILE", `${cid} is not a UnixFS file or raw block: ${errorMessage(err)}`, { cause: err });
    case "InvalidMultihashError":
      return new BillStoreError("INTEGRITY", `stored block of ${cid} does not match its hash`, { cause: err });
    default:
      return new BillStoreError("IO", `embedded store failed on ${cid}: ${errorMessage(err)}`, { cause: err });
  }
}

class HeliaBillStore implements EmbeddedBillStore {
  readonly kind = "embedded" as const;
  readonly dataDir: string;
  readonly #helia: Helia;
  readonly #fs: UnixFS;
  readonly #blockstore: FsBlockstore;
  readonly #datastore: FsDatastore;
  readonly #lock: LockInfo;
  readonly #writes = new Serial();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(dataDir: string, helia: Helia, blockstore: FsBlockstore, datastore: FsDatastore, lock: LockInfo) {
    this.dataDir = dataDir;
    this.#helia = helia;
    this.#fs = unixfs(helia);
    this.#blockstore = blockstore;
    this.#datastore = datastore;
    this.#lock = lock;
  }

  #assertOpen(): void {
    if (this.#closed) throw new BillStoreError("CLOSED", `the embedded store at ${this.dataDir} is closed`);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const { cid } = await this.add(bytes);
    return cid;
  }

  async add(bytes: Uint8Array, opts: EmbeddedAddOptions = {}): Promise<{ cid: string; size: number }> {
    this.#assertOpen();
    if (!(bytes instanceof Uint8Array)) throw new BillStoreError("INVALID_ARGUMENT", "put: expected a Uint8Array");
    const cidVersion = opts.cidVersion ?? CID_PROFILE.cidVersion;
    if (cidVersion !== 0 && cidVersion !== 1) {
      throw new BillStoreError("INVALID_ARGUMENT", `cidVersion must be 0 or 1, got ${String(cidVersion)}`);
    }
    const rawLeaves = opts.rawLeaves ?? cidVersion === 1;
    const chunkSize = opts.chunkSize ?? CID_PROFILE.chunkSize;
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
      throw new BillStoreError("INVALID_ARGUMENT", `chunk size must be an integer from 1 to ${MAX_CHUNK_SIZE}, got ${String(chunkSize)}`);
    }
    const maxLinks = opts.maxLinks ?? CID_PROFILE.maxLinks;
    if (!Number.isSafeInteger(maxLinks) || maxLinks < 2 || maxLinks > MAX_LINKS) {
      throw new BillStoreError("INVALID_ARGUMENT", `max links must be an integer from 2 to ${MAX_LINKS}, got ${String(maxLinks)}`);
    }
    const signal = opts.signal;
    return this.#writes.run(async () => {
      this.#assertOpen();
      try {
        let result: { cid: CID; size: bigint } | undefined;
        for await (const entry of this.#fs.addAll([{ content: bytes }], {
          cidVersion,
          rawLeaves,
          chunker: fixedSize({ chunkSize }),
          layout: balanced({ maxChildrenPerNode: maxLinks }),
          wrapWithDirectory: false,
          signal,
        })) {
          result = { cid: entry.cid, size: entry.size };
        }
        if (result === undefined) throw new BillStoreError("IO", "import produced no CID");
        if (opts.pin !== false) await this.#pin(result.cid, signal);
        return { cid: result.cid.toString(), size: Number(result.size) };
      } catch (err) {
        throw toStoreError(err, "new content", signal);
      }
    });
  }

  async #pin(cid: CID, signal?: AbortSignal, recursive = true): Promise<void> {
    if (await this.#datastoreHasPin(cid)) return;
    // `offline` is passed through to every block read of the walk (not in the pin options' type)
    const pinOptions = { offline: true, signal, depth: recursive ? Infinity : 0 };
    try {
      for await (const _ of this.#helia.pins.add(cid, pinOptions)) {
        // walking the DAG records each block as pinned
      }
    } catch (err) {
      if (errName(err) === "AlreadyPinnedError") return;
      throw err;
    }
  }

  async #datastoreHasPin(cid: CID): Promise<boolean> {
    try {
      await this.#helia.pins.get(cid);
      return true;
    } catch (err) {
      if (errName(err) === "NotFoundError") return false;
      throw err;
    }
  }

  async pin(cid: string, opts: { recursive?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    this.#assertOpen();
    const parsed = parseCid(cid);
    await this.#writes.run(async () => {
      this.#assertOpen();
      try {
        // check the root is here first, so a missing CID is NOT_FOUND rather than a half-walked pin
        if (!(await this.#helia.blockstore.has(parsed))) {
          throw new BillStoreError("NOT_FOUND", `CID not found in the embedded store: ${cid}`);
        }
        await this.#pin(parsed, opts.signal, opts.recursive ?? true);
      } catch (err) {
        throw toStoreError(err, cid, opts.signal);
      }
    });
  }

  async isPinned(cid: string): Promise<boolean> {
    this.#assertOpen();
    const parsed = parseCid(cid);
    try {
      return await this.#helia.pins.isPinned(parsed);
    } catch (err) {
      throw toStoreError(err, cid);
    }
  }

  async stat(cid: string, opts: { signal?: AbortSignal } = {}): Promise<ContentStat> {
    this.#assertOpen();
    const parsed = parseCid(cid);
    try {
      const st = await this.#fs.stat(parsed, { offline: true, signal: opts.signal });
      const type = st.type === "directory" ? "directory" : st.type === "raw" ? "raw" : "file";
      return { cid: parsed.toString(), type, size: type === "directory" ? 0 : Number(st.size) };
    } catch (err) {
      throw toStoreError(err, cid, opts.signal);
    }
  }

  async *cat(cid: string, opts: { offset?: number; length?: number; signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
    this.#assertOpen();
    const parsed = parseCid(cid);
    checkNonNegativeInt("offset", opts.offset);
    checkNonNegativeInt("length", opts.length);
    if (opts.length === 0) return;
    try {
      for await (const chunk of this.#fs.cat(parsed, {
        offline: true,
        offset: opts.offset,
        length: opts.length,
        signal: opts.signal,
      })) {
        this.#assertOpen();
        yield chunk;
      }
    } catch (err) {
      throw toStoreError(err, cid, opts.signal);
    }
  }

  async get(cid: string, opts: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<Uint8Array> {
    this.#assertOpen();
    checkNonNegativeInt("maxBytes", opts.maxBytes);
    const st = await this.stat(cid, { signal: opts.signal });
    if (st.type === "directory") throw new BillStoreError("NOT_A_FILE", `${cid} is a directory, not a file`);
    const max = opts.maxBytes;
    if (max !== undefined && st.size > max) {
      throw new BillStoreError("TOO_LARGE", `content ${cid} is ${st.size} bytes, larger than maxBytes ${max}`);
    }
    if (st.size > MAX_IN_MEMORY_BYTES) {
      throw new BillStoreError("TOO_LARGE", `content ${cid} is ${st.size} bytes, too large to read into memory; stream it with cat()`);
    }
    const out = new Uint8Array(st.size);
    let offset = 0;
    for await (const chunk of this.cat(cid, { signal: opts.signal })) {
      if (offset + chunk.length > st.size) {
        throw new BillStoreError("INTEGRITY", `content ${cid} is longer than its recorded size ${st.size}`);
      }
      out.set(chunk, offset);
      offset += chunk.length;
    }
    if (offset !== st.size) {
      throw new BillStoreError("INTEGRITY", `content ${cid} ended after ${offset} of ${st.size} bytes`);
    }
    return out;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      await this.#writes.idle();
      try {
        await this.#blockstore.close();
        await this.#datastore.close();
      } finally {
        openDirs.delete(this.dataDir);
        await releaseLock(this.dataDir, this.#lock);
      }
    })();
    return this.#closing;
  }
}

/** Opens (creating if needed) the embedded store in `dataDir`. See {@link openBillStore}. */
export async function openEmbeddedBillStore(dataDir: string): Promise<EmbeddedBillStore> {
  if (typeof dataDir !== "string" || dataDir.trim() === "") {
    throw new BillStoreError("INVALID_ARGUMENT", "embedded store: dataDir must be a non-empty path");
  }
  const dir = path.resolve(dataDir);
  if (openDirs.has(dir)) {
    throw new BillStoreError("LOCKED", `IPFS data directory ${dir} is already open in this process (pid ${process.pid}); close it first`);
  }
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (err) {
    throw new BillStoreError("IO", `cannot create IPFS data directory ${dir}: ${errorMessage(err)}`, { cause: err });
  }
  openDirs.add(dir);
  let lock: LockInfo | undefined;
  try {
    lock = await acquireLock(dir);
    const blockstore = new FsBlockstore(path.join(dir, "blocks"));
    const datastore = new FsDatastore(path.join(dir, "datastore"));
    await blockstore.open();
    await datastore.open();
    const helia = createHeliaLight({ blockstore, datastore });
    return new HeliaBillStore(dir, helia, blockstore, datastore, lock);
  } catch (err) {
    openDirs.delete(dir);
    if (lock !== undefined) await releaseLock(dir, lock).catch(() => undefined);
    if (err instanceof BillStoreError) throw err;
    throw new BillStoreError("IO", `cannot open IPFS data directory ${dir}: ${errorMessage(err)}`, { cause: err });
  }
}
