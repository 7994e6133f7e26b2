/**
 * The external bill store: kubo-rpc-client against a Kubo node's RPC API
 * (`http://127.0.0.1:5001`), IPFS Cluster's IPFS proxy (`…:9095`) or our own
 * src/ipfsService.ts. Only the URL differs between them.
 *
 * Every add passes the import parameters of {@link CID_PROFILE} explicitly, so
 * the CID does not depend on the node's `Import.*` configuration and equals
 * the embedded store's; the CID the node answers is checked against the one
 * computed locally. Raw-block content read back is verified against its CID;
 * dag-pb content is trusted to the node (its CID depends on how it was chunked).
 */
import { create, type KuboRPCClient } from "kubo-rpc-client";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { CID_PROFILE, RAW_CODEC, SHA2_256_CODE, cidOfBytes } from "../cid.js";
import { BillStoreError, type KuboBillStore } from "../billStore.js";

const DEFAULT_TIMEOUT_MS = 60_000;

/** What kubo-rpc-client's `add` is given: its typed options plus Kubo's `max-file-links` (sent as a query option). */
const ADD_OPTIONS = {
  cidVersion: CID_PROFILE.cidVersion,
  rawLeaves: CID_PROFILE.rawLeaves,
  hashAlg: CID_PROFILE.hash,
  chunker: `size-${CID_PROFILE.chunkSize}`,
  maxFileLinks: CID_PROFILE.maxLinks,
  trickle: false,
  wrapWithDirectory: false,
  pin: true,
} as const;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errName(err: unknown): string {
  return err !== null && typeof err === "object" && "name" in err ? String((err as { name: unknown }).name) : "";
}

/** The innermost `cause` code (ECONNREFUSED, ENOTFOUND, …) of a fetch failure, if any. */
function causeCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur !== null && typeof cur === "object"; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string") return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
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

class KuboRpcBillStore implements KuboBillStore {
  readonly kind = "kubo" as const;
  readonly url: string;
  readonly #client: KuboRPCClient;
  readonly #timeoutMs: number;
  readonly #inflight = new Set<AbortController>();
  #closed = false;

  constructor(url: string, client: KuboRPCClient, timeoutMs: number) {
    this.url = url;
    this.#client = client;
    this.#timeoutMs = timeoutMs;
  }

  /** Runs `fn` with a signal that ends on the caller's signal, the timeout, or close(). */
  async #call<T>(what: string, cid: string | undefined, signal: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.#closed) throw new BillStoreError("CLOSED", `the Kubo store for ${this.url} is closed`);
    signal?.throwIfAborted();
    const closer = new AbortController();
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signals = [closer.signal, timeout, ...(signal === undefined ? [] : [signal])];
    const combined = AbortSignal.any(signals);
    this.#inflight.add(closer);
    try {
      return await fn(combined);
    } catch (err) {
      if (err instanceof BillStoreError) throw err;
      throw this.#toStoreError(err, what, cid, { caller: signal, timeout, closer: closer.signal });
    } finally {
      this.#inflight.delete(closer);
    }
  }

  #toStoreError(
    err: unknown,
    what: string,
    cid: string | undefined,
    signals: { caller?: AbortSignal; timeout: AbortSignal; closer: AbortSignal },
  ): BillStoreError {
    const subject = cid === undefined ? what : `${what} ${cid}`;
    if (signals.closer.aborted) return new BillStoreError("CLOSED", `${subject}: the Kubo store for ${this.url} was closed`, { cause: err });
    if (signals.caller?.aborted === true) return new BillStoreError("ABORTED", `${subject} was aborted`, { cause: err });
    if (signals.timeout.aborted || errName(err) === "TimeoutError") {
      // a node that is up but cannot find a CID keeps looking until the deadline
      return what === "get" || what === "pin"
        ? new BillStoreError("NOT_FOUND", `CID not found at ${this.url} within ${this.#timeoutMs} ms: ${subject}`, { cause: err })
        : new BillStoreError("UNREACHABLE", `${subject}: no answer from the IPFS node at ${this.url} within ${this.#timeoutMs} ms`, { cause: err });
    }
    const response = (err as { response?: { status?: unknown } } | null)?.response;
    if (errName(err) === "HTTPError" && response !== undefined) {
      const status = Number(response.status);
      const message = errorMessage(err);
      if (status === 404 || /not found|could not find|no link named|does not exist/i.test(message)) {
        return new BillStoreError("NOT_FOUND", `CID not found at ${this.url}: ${cid ?? "(none)"} (${message})`, { cause: err });
      }
      if (status === 413) {
        return new BillStoreError("TOO_LARGE", `${subject}: the IPFS node at ${this.url} refused the upload as too large (${message})`, { cause: err });
      }
      if (/invalid (path|cid)|selected encoding not supported|failed to parse|illegal base32/i.test(message) || status === 400) {
        return new BillStoreError("INVALID_CID", `${subject}: rejected by the IPFS node at ${this.url} (HTTP ${status}): ${message}`, { cause: err });
      }
      return new BillStoreError("REMOTE", `${subject}: the IPFS node at ${this.url} answered HTTP ${status}: ${message}`, { cause: err });
    }
    const code = causeCode(err);
    if (errName(err) === "TypeError" || code !== undefined) {
      return new BillStoreError(
        "UNREACHABLE",
        `IPFS node unreachable at ${this.url} (${subject}): ${code ?? errorMessage(err)}`,
        { cause: err },
      );
    }
    return new BillStoreError("REMOTE", `${subject} failed against the IPFS node at ${this.url}: ${errorMessage(err)}`, { cause: err });
  }

  async version(): Promise<{ version: string; commit?: string; repo?: string; system?: string; golang?: string }> {
    return this.#call("version", undefined, undefined, async (signal) => {
      const v = await this.#client.version({ signal });
      if (typeof v.version !== "string") {
        throw new BillStoreError("REMOTE", `the node at ${this.url} answered version without a Version field`);
      }
      return { version: v.version, commit: v.commit, repo: v.repo, system: v.system, golang: v.golang };
    });
  }

  async put(bytes: Uint8Array): Promise<string> {
    if (!(bytes instanceof Uint8Array)) throw new BillStoreError("INVALID_ARGUMENT", "put: expected a Uint8Array");
    return this.#call("put", undefined, undefined, async (signal) => {
      const expected = await cidOfBytes(bytes);
      const result = await this.#client.add(bytes, { ...ADD_OPTIONS, signal });
      const cid = result.cid.toString();
      if (cid !== expected) {
        // e.g. a node or proxy that dropped some of the add parameters
        throw new BillStoreError(
          "INTEGRITY",
          `the IPFS node at ${this.url} returned ${cid} for the upload, but its CID under ${CID_PROFILE.name} is ${expected}`,
        );
      }
      return cid;
    });
  }

  async get(cid: string, opts: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const parsed = parseCid(cid);
    const max = opts.maxBytes;
    if (max !== undefined && (!Number.isSafeInteger(max) || max < 0)) {
      throw new BillStoreError("INVALID_ARGUMENT", `maxBytes must be a non-negative integer, got ${String(max)}`);
    }
    return this.#call("get", cid, opts.signal, async (signal) => {
      const chunks: Uint8Array[] = [];
      let total = 0;
      // ask for one byte more than allowed, to tell "exactly max" from "more"
      const catOptions = max === undefined ? { signal } : { signal, length: max + 1 };
      for await (const chunk of this.#client.cat(parsed, catOptions)) {
        total += chunk.length;
        if (max !== undefined && total > max) {
          throw new BillStoreError("TOO_LARGE", `content ${cid} is larger than maxBytes ${max}`);
        }
        chunks.push(chunk);
      }
      const out = new Uint8Array(total);
      let offset = 0;
      for (const chunk of chunks) {
        out.set(chunk, offset);
        offset += chunk.length;
      }
      if (parsed.code === RAW_CODEC && parsed.multihash.code === SHA2_256_CODE) {
        const digest = (await sha256.digest(out)).digest;
        const expected = parsed.multihash.digest;
        if (digest.length !== expected.length || digest.some((b, i) => b !== expected[i])) {
          throw new BillStoreError("INTEGRITY", `the IPFS node at ${this.url} returned bytes that do not match ${cid}`);
        }
      }
      return out;
    });
  }

  async pin(cid: string): Promise<void> {
    const parsed = parseCid(cid);
    await this.#call("pin", cid, undefined, async (signal) => {
      await this.#client.pin.add(parsed, { recursive: true, signal });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const controller of this.#inflight) controller.abort();
    this.#inflight.clear();
  }
}

/**
 * Connects to the RPC API at `url` and checks that it answers `version`.
 * Throws UNREACHABLE (naming the URL) when it does not.
 */
export async function openKuboBillStore(url: string, opts: { timeoutMs?: number } = {}): Promise<KuboBillStore> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BillStoreError("INVALID_ARGUMENT", `Kubo store: invalid RPC URL ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new BillStoreError("INVALID_ARGUMENT", `Kubo store: RPC URL must be http(s), got ${JSON.stringify(url)}`);
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new BillStoreError("INVALID_ARGUMENT", `Kubo store: timeoutMs must be a positive integer, got ${String(timeoutMs)}`);
  }
  const store = new KuboRpcBillStore(url, create({ url: parsed }), timeoutMs);
  try {
    await store.version();
  } catch (err) {
    await store.close();
    if (err instanceof BillStoreError && err.code === "UNREACHABLE") throw err;
    throw new BillStoreError(
      "UNREACHABLE",
      `IPFS node at ${url} did not answer the RPC version call: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  return store;
}
