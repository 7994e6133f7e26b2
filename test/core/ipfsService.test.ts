import { createCipheriv, createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BillStoreError,
  openBillStore,
  type EmbeddedBillStore,
  type KuboBillStore,
} from "../../src/billStore.js";
import { cidOfBytes } from "../../src/cid.js";
import { sniffContentType, startIpfsService, type IpfsService } from "../../src/ipfsService.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Kubo's deterministic test bytes: ChaCha20 keystream, key sha256(seed), zero nonce. */
function kuboDeterministicBytes(size: number, seed: string): Uint8Array {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("chacha20", key, Buffer.alloc(16));
  return new Uint8Array(Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]));
}

// Kubo fixtures (test/cli/cid_profiles_test.go)
const HELLO_NL_CID = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"; // "hello world\n"
const OVER_CHUNK_CID = "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64"; // unixfs-v1-2025, 1 MiB + 1, "chunk-v1-seed"
const V0_HELLO_CID = "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"; // unixfs-v0-2015, "hello world"
const V0_OVER_CHUNK_CID = "QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ"; // unixfs-v0-2015, 256 KiB + 1, "chunk-v0-seed"

const MAX_UPLOAD = 2 * 1024 * 1024;
const BOUNDARY = "----gridledger-test-boundary";

let dataDir: string;
let embedded: EmbeddedBillStore;
let service: IpfsService;
let kubo: KuboBillStore;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "gridledger-ipfs-service-"));
  embedded = await openBillStore({ kind: "embedded", dataDir });
  service = await startIpfsService({ store: embedded, port: 0, maxUploadBytes: MAX_UPLOAD });
  kubo = await openBillStore({ kind: "kubo", url: service.url, timeoutMs: 10_000 });
});

afterAll(async () => {
  await kubo?.close();
  await service?.close();
  await embedded?.close();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
}

async function request(pathAndQuery: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${service.url}${pathAndQuery}`, { method: "POST", ...init, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

function json(answer: Answer): Record<string, unknown> {
  return JSON.parse(answer.body.toString("utf8")) as Record<string, unknown>;
}

/** A Kubo-style error: the status, a JSON body {Message, Code: 0, Type: "error"}. */
function expectKuboError(answer: Answer, status: number, message?: RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
  const body = json(answer);
  expect(body.Code).toBe(0);
  expect(body.Type).toBe("error");
  expect(typeof body.Message).toBe("string");
  expect((body.Message as string).length).toBeGreaterThan(0);
  if (message !== undefined) expect(body.Message).toMatch(message);
}

/** After a refused request, the service still answers a normal one. */
async function expectStillServing(): Promise<void> {
  const bytes = utf8(`still serving ${Math.random()}`);
  const cid = await kubo.put(bytes);
  expect(await kubo.get(cid)).toEqual(bytes);
}

function multipart(parts: { name?: string; filename?: string; type?: string; content: Uint8Array | string }[], boundary = BOUNDARY): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n`));
    chunks.push(Buffer.from(`Content-Disposition: form-data; name="${part.name ?? "file"}"; filename="${part.filename ?? ""}"\r\n`));
    chunks.push(Buffer.from(`Content-Type: ${part.type ?? "application/octet-stream"}\r\n\r\n`));
    chunks.push(Buffer.from(part.content));
    chunks.push(Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

function addRequest(query: string, body: Buffer, boundary = BOUNDARY): Promise<Answer> {
  return request(`/api/v0/add${query}`, {
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    body: new Uint8Array(body),
  });
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

describe("ipfsService with kubo-rpc-client (the kubo store)", () => {
  it("listens on 127.0.0.1 only and answers version", async () => {
    expect(new URL(service.url).hostname).toBe("127.0.0.1");
    const version = await kubo.version();
    expect(version.version).toMatch(/\S/);
    const raw = json(await request("/api/v0/version"));
    expect(Object.keys(raw).sort()).toEqual(["Commit", "Golang", "Repo", "System", "Version"]);
  });

  it("adds with the same CIDs as the embedded store and cidOfBytes", async () => {
    const hello = utf8("hello world\n");
    expect(await kubo.put(hello)).toBe(HELLO_NL_CID);
    const bill = utf8(JSON.stringify({ bill: 42, period: "2025-06", kWh: 321.5 }));
    const viaService = await kubo.put(bill);
    expect(viaService).toBe(await cidOfBytes(bill));
    expect(viaService).toBe(await embedded.put(bill));
    expect(await embedded.isPinned(viaService)).toBe(true);
  });

  it("adds and cats a file larger than one chunk with Kubo's dag-pb CID", async () => {
    const bytes = kuboDeterministicBytes(1_048_577, "chunk-v1-seed");
    const cid = await kubo.put(bytes);
    expect(cid).toBe(OVER_CHUNK_CID);
    expect(await kubo.get(cid)).toEqual(bytes);
    expect(await embedded.get(cid)).toEqual(bytes);
  });

  it("cats through the kubo store, honouring maxBytes", async () => {
    const bytes = new Uint8Array(5000).fill(9);
    const cid = await kubo.put(bytes);
    expect(await kubo.get(cid, { maxBytes: 5000 })).toEqual(bytes);
    expect((await storeError(kubo.get(cid, { maxBytes: 4999 }))).code).toBe("TOO_LARGE");
    const missing = await cidOfBytes(utf8("not in the store"));
    const notFound = await storeError(kubo.get(missing));
    expect(notFound.code).toBe("NOT_FOUND");
    expect(notFound.message).toContain(missing);
  });

  it("pins through the kubo store", async () => {
    const add = await addRequest("?cid-version=1&pin=false", multipart([{ content: "pin me later" }]));
    expect(add.status).toBe(200);
    const cid = json(add).Hash as string;
    expect(await embedded.isPinned(cid)).toBe(false);
    await kubo.pin(cid);
    expect(await embedded.isPinned(cid)).toBe(true);
    await kubo.pin(cid); // again: fine
    const raw = await request(`/api/v0/pin/add?arg=${cid}`);
    expect(raw.status).toBe(200);
    expect(json(raw)).toEqual({ Pins: [cid] });
    expect((await storeError(kubo.pin(await cidOfBytes(utf8("absent"))))).code).toBe("NOT_FOUND");
  });

  it("answers add in Kubo's shape, with the file name when one is given", async () => {
    const unnamed = await addRequest("?cid-version=1", multipart([{ content: "hello world\n" }]));
    expect(unnamed.status).toBe(200);
    expect(json(unnamed)).toEqual({ Name: HELLO_NL_CID, Hash: HELLO_NL_CID, Size: "12" });
    const named = await addRequest("", multipart([{ filename: "bill%201.json", content: "hello world\n" }]));
    expect(json(named)).toEqual({ Name: "bill 1.json", Hash: HELLO_NL_CID, Size: "12" });
  });

  it("honours Kubo's add options (CIDv0, chunker, max-file-links, raw-leaves)", async () => {
    const v0 = await addRequest("?cid-version=0", multipart([{ content: "hello world" }]));
    expect(json(v0).Hash).toBe(V0_HELLO_CID);
    const legacy = await addRequest(
      "?cid-version=0&chunker=size-262144&max-file-links=174",
      multipart([{ content: kuboDeterministicBytes(262_145, "chunk-v0-seed") }]),
    );
    expect(json(legacy).Hash).toBe(V0_OVER_CHUNK_CID);
    const wrapped = await addRequest("?cid-version=1&raw-leaves=false", multipart([{ content: "hello world\n" }]));
    expect(json(wrapped).Hash).toMatch(/^bafy/);
    // what went in as CIDv0 is served back by cat too
    const cat = await request(`/api/v0/cat?arg=${V0_HELLO_CID}`);
    expect(cat.body.toString()).toBe("hello world");
  });

  it("cats ranges with offset and length", async () => {
    const cid = await kubo.put(utf8("0123456789"));
    const part = await request(`/api/v0/cat?arg=/ipfs/${cid}&offset=2&length=5`);
    expect(part.status).toBe(200);
    expect(part.body.toString()).toBe("23456");
    const past = await request(`/api/v0/cat?arg=${cid}&offset=50`);
    expect(past.status).toBe(200);
    expect(past.body.length).toBe(0);
  });
});

describe("ipfsService refuses bad requests and keeps serving", () => {
  it("malformed multipart → 400", async () => {
    const cases: Buffer[] = [
      Buffer.from("this is not multipart at all"),
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"\r\n\r\nno closing boundary`),
      Buffer.from(`--${BOUNDARY}\r\nno header terminator`),
      Buffer.from(`--${BOUNDARY}--\r\n`), // no file at all
      multipart([{ content: "a" }, { content: "b", name: "file-1" }]), // two files
      multipart([{ content: "", type: "application/x-directory", filename: "dir" }]),
      multipart([{ content: "x", name: "file?mode=0644" }]),
    ];
    for (const body of cases) {
      expectKuboError(await addRequest("", body), 400);
    }
    const noBoundary = await request("/api/v0/add", { headers: { "content-type": "multipart/form-data" }, body: "x" });
    expectKuboError(noBoundary, 400, /boundary/);
    await expectStillServing();
  });

  it("wrong content type → 415", async () => {
    expectKuboError(await request("/api/v0/add", { headers: { "content-type": "application/json" }, body: "{}" }), 415, /multipart\/form-data/);
    expectKuboError(await request("/api/v0/add", { body: new Uint8Array([1, 2, 3]) }), 415);
    await expectStillServing();
  });

  it("unsupported add options → 400", async () => {
    for (const query of ["?trickle=true", "?hash=blake2b-256", "?chunker=rabin", "?chunker=size-0", "?cid-version=2", "?wrap-with-directory=true", "?pin=maybe", "?max-file-links=1"]) {
      expectKuboError(await addRequest(query, multipart([{ content: "x" }])), 400);
    }
    await expectStillServing();
  });

  it("oversized upload → 413 while streaming, from kubo-rpc-client and a raw streaming client", async () => {
    const err = await storeError(kubo.put(new Uint8Array(MAX_UPLOAD + 100_000)));
    expect(err.code).toBe("TOO_LARGE");
    await expectStillServing();

    // a client that keeps sending well past the limit: answered 413 before it is done
    const result = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
      let sent = 0;
      const req = http.request(
        `${service.url}/api/v0/add`,
        { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` } },
        (res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body, sent }));
          res.on("error", reject);
        },
      );
      req.on("error", () => undefined); // EPIPE/ECONNRESET once the service stops reading
      const chunk = Buffer.alloc(64 * 1024, 1);
      const total = 64 * 1024 * 1024; // far more than the limit; the loop stops when the answer comes
      const pump = (): void => {
        while (sent < total && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once("drain", pump);
            return;
          }
        }
        req.end();
      };
      req.write(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename=""\r\n\r\n`);
      pump();
      setTimeout(() => reject(new Error("no answer to the oversized upload")), 15_000).unref();
    });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body)).toMatchObject({ Code: 0, Type: "error" });
    expect(result.sent).toBeLessThan(64 * 1024 * 1024);

    // declared too large up front
    const declared = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${service.url}/api/v0/add`, {
        method: "POST",
        headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}`, "content-length": String(MAX_UPLOAD * 4) },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.flushHeaders();
    });
    expect(declared).toBe(413);

    // a complete body whose file is just over the limit
    const justOver = await addRequest("", multipart([{ content: new Uint8Array(MAX_UPLOAD + 1) }]));
    expectKuboError(justOver, 413);
    await expectStillServing();
  }, 30_000);

  it("bad CID → 400, missing CID → 404, missing argument → 400", async () => {
    expectKuboError(await request("/api/v0/cat?arg=not-a-cid"), 400, /invalid path/);
    expectKuboError(await request(`/api/v0/cat?arg=${HELLO_NL_CID}/sub/path`), 400);
    expectKuboError(await request("/api/v0/pin/add?arg=Qm123"), 400);
    expectKuboError(await request("/api/v0/cat"), 400, /required/);
    expectKuboError(await request(`/api/v0/cat?arg=${HELLO_NL_CID}&offset=-1`), 400);
    const missing = await cidOfBytes(utf8("missing content"));
    expectKuboError(await request(`/api/v0/cat?arg=${missing}`), 404, new RegExp(missing));
    expectKuboError(await request(`/api/v0/pin/add?arg=${missing}`), 404);
    expect((await storeError(kubo.get("not-a-cid"))).code).toBe("INVALID_CID");
    await expectStillServing();
  });

  it("unknown path → 404, wrong method → 405", async () => {
    expectKuboError(await request("/api/v0/block/get?arg=x"), 404);
    expectKuboError(await request("/api/v0/add/extra"), 404);
    expectKuboError(await request("/"), 404);
    expectKuboError(await request("/favicon.ico", { method: "GET" }), 404);
    const get = await request("/api/v0/version", { method: "GET" });
    expectKuboError(get, 405);
    expect(get.headers.get("allow")).toBe("POST");
    expectKuboError(await request("/api/v0/add", { method: "PUT", body: "x" }), 405);
    const post = await request(`/ipfs/${HELLO_NL_CID}`, { method: "POST", body: "x" });
    expectKuboError(post, 405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    await expectStillServing();
  });

  it("too many uploads at once → 503", async () => {
    // hold 16 uploads open (headers and part of the body sent), then one more is refused
    const held: http.ClientRequest[] = [];
    try {
      for (let i = 0; i < 16; i++) {
        const req = http.request(`${service.url}/api/v0/add`, {
          method: "POST",
          headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
        });
        req.on("error", () => undefined);
        req.write(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename=""\r\n\r\nslow`);
        held.push(req);
      }
      let status = 0;
      for (let attempt = 0; attempt < 40 && status !== 503; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const answer = await addRequest("", multipart([{ content: "one too many" }]));
        status = answer.status;
        if (status === 503) expectKuboError(answer, 503, /busy/);
      }
      expect(status).toBe(503);
    } finally {
      for (const req of held) req.destroy();
    }
    // the slots free up once those clients are gone
    let served = false;
    for (let attempt = 0; attempt < 40 && !served; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      served = (await addRequest("", multipart([{ content: "room again" }]))).status === 200;
    }
    expect(served).toBe(true);
    await expectStillServing();
  });

  it("a browser origin → 403 on the RPC API", async () => {
    expectKuboError(await request("/api/v0/version", { headers: { origin: "http://evil.example" } }), 403, /origin/);
    await expectStillServing();
  });

  it("garbage on the socket → 400, and the service lives on", async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const { port } = new URL(service.url);
      const socket = connect(Number(port), "127.0.0.1", () => socket.write("NOT HTTP AT ALL\r\n\r\n"));
      let data = "";
      socket.on("data", (d: Buffer) => (data += d.toString()));
      socket.on("close", () => resolve(data));
      socket.on("error", reject);
      socket.setTimeout(5_000, () => socket.destroy());
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    await expectStillServing();
  });
});

describe("ipfsService gateway", () => {
  it("serves JSON, HTML and binary with a simple content type, and HEAD", async () => {
    const jsonBill = utf8(JSON.stringify({ bill: 7, amount: "12.30" }));
    const jsonCid = await kubo.put(jsonBill);
    const get = await request(`/ipfs/${jsonCid}`, { method: "GET" });
    expect(get.status).toBe(200);
    expect(get.headers.get("content-type")).toBe("application/json");
    expect(get.headers.get("etag")).toBe(`"${jsonCid}"`);
    expect(new Uint8Array(get.body)).toEqual(jsonBill);

    const head = await request(`/ipfs/${jsonCid}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("application/json");
    expect(head.headers.get("content-length")).toBe(String(jsonBill.length));
    expect(head.body.length).toBe(0);

    const htmlCid = await kubo.put(utf8("<!DOCTYPE html><html><body>bill</body></html>"));
    expect((await request(`/ipfs/${htmlCid}`, { method: "GET" })).headers.get("content-type")).toMatch(/^text\/html/);

    const notJsonCid = await kubo.put(utf8("{ this is not json"));
    expect((await request(`/ipfs/${notJsonCid}`, { method: "GET" })).headers.get("content-type")).toBe("application/octet-stream");

    const binary = new Uint8Array([0, 1, 2, 255]);
    const binCid = await kubo.put(binary);
    const bin = await request(`/ipfs/${binCid}/`, { method: "GET" });
    expect(bin.headers.get("content-type")).toBe("application/octet-stream");
    expect(new Uint8Array(bin.body)).toEqual(binary);

    const cached = await request(`/ipfs/${jsonCid}`, { method: "GET", headers: { "if-none-match": `"${jsonCid}"` } });
    expect(cached.status).toBe(304);
  });

  it("streams a large file", async () => {
    const bytes = kuboDeterministicBytes(1_048_577, "chunk-v1-seed");
    await kubo.put(bytes);
    const get = await request(`/ipfs/${OVER_CHUNK_CID}`, { method: "GET" });
    expect(get.status).toBe(200);
    expect(get.headers.get("content-length")).toBe(String(bytes.length));
    expect(new Uint8Array(get.body)).toEqual(bytes);
    const head = await request(`/ipfs/${OVER_CHUNK_CID}`, { method: "HEAD" });
    expect(head.headers.get("content-length")).toBe(String(bytes.length));
    expect(head.body.length).toBe(0);
  });

  it("answers 400 for a malformed CID and 404 for a missing one or a sub-path", async () => {
    expectKuboError(await request("/ipfs/not-a-cid", { method: "GET" }), 400);
    expectKuboError(await request("/ipfs/", { method: "GET" }), 400);
    expectKuboError(await request(`/ipfs/${await cidOfBytes(utf8("nope"))}`, { method: "GET" }), 404);
    const head404 = await request(`/ipfs/${await cidOfBytes(utf8("nope"))}`, { method: "HEAD" });
    expect(head404.status).toBe(404);
    expect(head404.body.length).toBe(0);
    const cid = await kubo.put(utf8("x"));
    expectKuboError(await request(`/ipfs/${cid}/inner.json`, { method: "GET" }), 404);
    await expectStillServing();
  });
});

describe("sniffContentType", () => {
  it("recognises JSON, HTML, else octet-stream", () => {
    expect(sniffContentType(utf8('  {"a":1}'), true)).toBe("application/json");
    expect(sniffContentType(utf8("\ufeff[1,2]"), true)).toBe("application/json");
    expect(sniffContentType(utf8("[draft] notes"), true)).toBe("application/octet-stream");
    expect(sniffContentType(utf8("42"), true)).toBe("application/octet-stream");
    expect(sniffContentType(utf8("<html lang=en>"), true)).toBe("text/html; charset=utf-8");
    expect(sniffContentType(utf8("\n<!doctype HTML>"), false)).toBe("text/html; charset=utf-8");
    expect(sniffContentType(utf8('{"partial":'), false)).toBe("application/json");
    expect(sniffContentType(new Uint8Array([0xff, 0xfe, 0]), true)).toBe("application/octet-stream");
  });
});

describe("ipfsService lifecycle", () => {
  it("starts on a free port, closes with open keep-alive connections, and refuses afterwards", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gridledger-ipfs-service2-"));
    const store = await openBillStore({ kind: "embedded", dataDir: dir });
    try {
      const svc = await startIpfsService({ store, port: 0 });
      const client = await openBillStore({ kind: "kubo", url: svc.url, timeoutMs: 5_000 });
      const cid = await client.put(utf8("bye"));
      expect(await store.get(cid)).toEqual(utf8("bye"));
      await svc.close();
      await svc.close(); // idempotent
      expect((await storeError(client.get(cid))).code).toBe("UNREACHABLE");
      await client.close();
      expect((await storeError(client.get(cid))).code).toBe("CLOSED");
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects bad options", async () => {
    await expect(startIpfsService({ store: kubo as unknown as EmbeddedBillStore, port: 0 })).rejects.toThrow(/embedded/);
    await expect(startIpfsService({ store: embedded, port: -1 })).rejects.toThrow(RangeError);
    await expect(startIpfsService({ store: embedded, port: 0, maxUploadBytes: 0 })).rejects.toThrow(RangeError);
  });
});
