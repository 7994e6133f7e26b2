import { spawn, type ChildProcess } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { BillStoreError, openBillStore, type BillStore, type EmbeddedBillStore } from "../../src/billStore.js";
import { DAG_PB_CODEC, RAW_CODEC, cidOfBytes, cidToOnChain } from "../../src/cid.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Kubo's deterministic test bytes: ChaCha20 keystream, key sha256(seed), zero nonce. */
function kuboDeterministicBytes(size: number, seed: string): Uint8Array {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("chacha20", key, Buffer.alloc(16));
  return new Uint8Array(Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]));
}

// Kubo's unixfs-v1-2025 fixture (test/cli/cid_profiles_test.go): 1 MiB + 1 bytes, seed "chunk-v1-seed".
const OVER_CHUNK_CID = "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64";

const tempDirs: string[] = [];
const openStores: BillStore[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "gridledger-billstore-"));
  tempDirs.push(dir);
  return dir;
}
async function openEmbedded(dataDir: string): Promise<EmbeddedBillStore> {
  const store = await openBillStore({ kind: "embedded", dataDir });
  openStores.push(store);
  return store;
}
async function storeError(promise: Promise<unknown>): Promise<BillStoreError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(BillStoreError);
    return err as BillStoreError;
  }
  throw new Error("expected a BillStoreError");
}

afterEach(async () => {
  for (const store of openStores.splice(0)) await store.close();
});
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe("embedded BillStore", () => {
  it("puts, pins and gets a bill; the CID is cidOfBytes'", async () => {
    const store = await openEmbedded(tempDir());
    expect(store.kind).toBe("embedded");
    const bill = utf8(JSON.stringify({ bill: 1, kWh: 12.5 }));
    const cid = await store.put(bill);
    expect(cid).toBe(await cidOfBytes(bill));
    expect(cidToOnChain(cid).codec).toBe(RAW_CODEC);
    expect(await store.isPinned(cid)).toBe(true);
    expect(await store.get(cid)).toEqual(bill);
    // the known vector
    expect(await store.put(utf8("hello world\n"))).toBe("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
    // putting the same bytes again is fine and gives the same CID
    expect(await store.put(bill)).toBe(cid);
    await store.pin(cid); // already pinned: no error
    expect(await store.stat(cid)).toEqual({ cid, type: "raw", size: bill.length });
  });

  it("adds unpinned content and pins it later", async () => {
    const store = await openEmbedded(tempDir());
    const { cid, size } = await store.add(utf8("later"), { pin: false });
    expect(size).toBe(5);
    expect(await store.isPinned(cid)).toBe(false);
    await store.pin(cid);
    expect(await store.isPinned(cid)).toBe(true);
  });

  it("reports missing, malformed and oversized content with typed errors", async () => {
    const store = await openEmbedded(tempDir());
    const missing = await cidOfBytes(utf8("never stored"));
    const notFound = await storeError(store.get(missing));
    expect(notFound.code).toBe("NOT_FOUND");
    expect(notFound.message).toContain(missing);
    expect((await storeError(store.pin(missing))).code).toBe("NOT_FOUND");
    expect((await storeError(store.get("not-a-cid"))).code).toBe("INVALID_CID");
    expect((await storeError(store.pin(""))).code).toBe("INVALID_CID");

    const cid = await store.put(new Uint8Array(1000).fill(7));
    const tooLarge = await storeError(store.get(cid, { maxBytes: 999 }));
    expect(tooLarge.code).toBe("TOO_LARGE");
    expect(tooLarge.message).toMatch(/1000 bytes.*maxBytes 999/);
    expect((await store.get(cid, { maxBytes: 1000 })).length).toBe(1000);

    const aborted = new AbortController();
    aborted.abort();
    expect((await storeError(store.get(cid, { signal: aborted.signal }))).code).toBe("ABORTED");
    expect((await storeError(store.put("text" as unknown as Uint8Array))).code).toBe("INVALID_ARGUMENT");
  });

  it("keeps content and pins across a restart, and releases the lock on close", async () => {
    const dir = tempDir();
    const first = await openEmbedded(dir);
    const bill = utf8("persisted bill");
    const cid = await first.put(bill);
    const unpinned = (await first.add(utf8("unpinned"), { pin: false })).cid;
    expect(existsSync(path.join(dir, "repo.lock"))).toBe(true);
    await first.close();
    expect(existsSync(path.join(dir, "repo.lock"))).toBe(false);
    expect(existsSync(path.join(dir, "blocks"))).toBe(true);
    expect(existsSync(path.join(dir, "datastore"))).toBe(true);
    expect((await storeError(first.get(cid))).code).toBe("CLOSED");

    const second = await openEmbedded(dir);
    expect(await second.get(cid)).toEqual(bill);
    expect(await second.isPinned(cid)).toBe(true);
    expect(await second.isPinned(unpinned)).toBe(false);
  });

  it("refuses a second open of the same directory in this process", async () => {
    const dir = tempDir();
    await openEmbedded(dir);
    const err = await storeError(openBillStore({ kind: "embedded", dataDir: dir }));
    expect(err.code).toBe("LOCKED");
    expect(err.message).toContain("already open in this process");
  });

  it("takes over a lock left by an earlier process with our pid, or an unreadable one", async () => {
    const dir = tempDir();
    const lockFile = path.join(dir, "repo.lock");
    writeFileSync(lockFile, JSON.stringify({ pid: process.pid, hostname: hostname(), token: "left-by-an-earlier-run", createdAt: "2020-01-01" }));
    await (await openEmbedded(dir)).close();
    writeFileSync(lockFile, "not json");
    const store = await openEmbedded(dir);
    expect(await store.put(utf8("ok"))).toBe(await cidOfBytes(utf8("ok")));
  });

  it("refuses a directory another live process holds, and takes over once that process is gone", async () => {
    const dir = tempDir();
    const child = await startLockHolder(dir);
    try {
      const err = await storeError(openBillStore({ kind: "embedded", dataDir: dir }));
      expect(err.code).toBe("LOCKED");
      expect(err.message).toContain(`pid ${child.pid}`);
      expect(err.message).toContain(dir);
    } finally {
      child.process.kill("SIGKILL");
      await child.exited;
    }
    // the holder died without closing: its lock is stale and is taken over
    const store = await openEmbedded(dir);
    expect(new TextDecoder().decode(await store.get(child.cid))).toBe("written by another process");
    expect(await store.isPinned(child.cid)).toBe(true);
  }, 30_000);

  it("stores a file larger than one chunk as a dag-pb DAG with Kubo's CID, and round-trips it", async () => {
    const store = await openEmbedded(tempDir());
    const bytes = kuboDeterministicBytes(1_048_577, "chunk-v1-seed");
    const cid = await store.put(bytes);
    expect(cid).toBe(OVER_CHUNK_CID);
    expect(cidToOnChain(cid).codec).toBe(DAG_PB_CODEC);
    expect(await store.isPinned(cid)).toBe(true);
    expect(await store.stat(cid)).toEqual({ cid, type: "file", size: bytes.length });
    expect(await store.get(cid)).toEqual(bytes);
    expect(await cidOfBytes(bytes)).toBe(cid);

    // a few chunks, read back whole and in ranges
    const big = kuboDeterministicBytes(3 * 1_048_576 + 12_345, "gridledger");
    const bigCid = await store.put(big);
    expect(bigCid.startsWith("bafy")).toBe(true);
    expect(bigCid).toBe(await cidOfBytes(big));
    expect(await store.get(bigCid)).toEqual(big);
    const parts: Uint8Array[] = [];
    for await (const chunk of store.cat(bigCid, { offset: 1_048_570, length: 20 })) parts.push(chunk);
    expect(Buffer.concat(parts)).toEqual(Buffer.from(big.subarray(1_048_570, 1_048_590)));
  });

  it("stores a file above 256 KiB but within one 1 MiB chunk as one raw block (unixfs-v1-2025)", async () => {
    const store = await openEmbedded(tempDir());
    const bytes = kuboDeterministicBytes(300 * 1024, "bill-300k");
    const cid = await store.put(bytes);
    expect(cid).toBe(await cidOfBytes(bytes));
    expect(cid.startsWith("bafk")).toBe(true);
    expect(await store.get(cid)).toEqual(bytes);
  });
});

describe("openBillStore", () => {
  it("names the URL of an unreachable Kubo node", async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const err = await storeError(openBillStore({ kind: "kubo", url, timeoutMs: 5_000 }));
    expect(err.code).toBe("UNREACHABLE");
    expect(err.message).toContain(url);
  });

  it("refuses a CID from a node that ignored the add parameters", async () => {
    // a stand-in node on 127.0.0.1 that answers every add with Kubo's default CIDv0
    const server = createHttpServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        if (req.url?.startsWith("/api/v0/version") === true) res.end('{"Version":"0.0.0-test"}');
        else res.end('{"Name":"x","Hash":"QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o","Size":"20"}\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const store = await openBillStore({ kind: "kubo", url: `http://127.0.0.1:${port}`, timeoutMs: 5_000 });
      openStores.push(store);
      const err = await storeError(store.put(utf8("hello world\n")));
      expect(err.code).toBe("INTEGRITY");
      expect(err.message).toContain("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("rejects bad configurations", async () => {
    expect((await storeError(openBillStore({ kind: "kubo", url: "not a url" }))).code).toBe("INVALID_ARGUMENT");
    expect((await storeError(openBillStore({ kind: "kubo", url: "ftp://127.0.0.1/" }))).code).toBe("INVALID_ARGUMENT");
    expect((await storeError(openBillStore({ kind: "embedded", dataDir: "" }))).code).toBe("INVALID_ARGUMENT");
    expect((await storeError(openBillStore({ kind: "s3" } as unknown as { kind: "kubo"; url: string }))).code).toBe("INVALID_ARGUMENT");
  });
});

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts another Node process that opens `dir`, stores a bill and keeps the store open. */
async function startLockHolder(dir: string): Promise<{ process: ChildProcess; pid: number; cid: string; exited: Promise<void> }> {
  const script = path.join(dir, "..", `${path.basename(dir)}-holder.mjs`);
  writeFileSync(
    script,
    [
      "const [moduleUrl, dataDir] = process.argv.slice(2);",
      "const { openBillStore } = await import(moduleUrl);",
      "const store = await openBillStore({ kind: 'embedded', dataDir });",
      "const cid = await store.put(new TextEncoder().encode('written by another process'));",
      "process.stdout.write(JSON.stringify({ pid: process.pid, cid }) + '\\n');",
      "setTimeout(() => process.exit(0), 30_000); // bounded: the test kills it long before",
    ].join("\n"),
  );
  tempDirs.push(script);
  const child = spawn(process.execPath, ["--import", "tsx", script, pathToFileURL(path.join(repoRoot, "src/billStore.ts")).href, dir], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const ready = await new Promise<{ pid: number; cid: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lock holder did not start: ${stderr}`)), 20_000);
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n")) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { pid: number; cid: string });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`lock holder exited with ${code}: ${stderr}`));
    });
  });
  expect(ready.pid).toBe(child.pid);
  return { process: child, pid: ready.pid, cid: ready.cid, exited };
}
