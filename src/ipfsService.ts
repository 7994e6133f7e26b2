/**
 * A small HTTP service over the embedded bill store that speaks the subset of
 * Kubo's RPC API GridLedger uses, so kubo-rpc-client (src/billStore/kubo.ts)
 * works against it, a Kubo node or IPFS Cluster's proxy with only the URL
 * changed; plus a read-only path gateway. See docs/IPFS.md.
 *
 *   POST /api/v0/add          multipart/form-data, one file     → {"Name","Hash","Size"}
 *   POST /api/v0/cat?arg=CID  [&offset=N&length=N]              → the bytes
 *   POST /api/v0/pin/add?arg=CID [&recursive=false]             → {"Pins":[CID]}
 *   POST /api/v0/version                                        → {"Version",…}
 *   GET|HEAD /ipfs/CID                                          → the bytes
 *
 * Errors are Kubo-style JSON `{"Message","Code":0,"Type":"error"}` with a 4xx
 * or 5xx status. Nothing here throws out of a request handler.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CID } from "multiformats/cid";
import { BillStoreError, type EmbeddedAddOptions, type EmbeddedBillStore } from "./billStore.js";
import { CID_PROFILE } from "./cid.js";

export const DEFAULT_MAX_UPLOAD_BYTES = 4 * 1024 * 1024;
/** Room for multipart boundaries and part headers on top of maxUploadBytes of file content. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
/** A request that is not an add may carry at most this much body (it is read and discarded). */
const MAX_OTHER_BODY_BYTES = 64 * 1024;
const MAX_PARTS = 16;
const MAX_PART_HEADER_BYTES = 8 * 1024;
/** Gateway responses up to this size are read whole, so JSON can be recognised by parsing it. */
const SNIFF_WHOLE_BYTES = 1024 * 1024;
const SERVICE_VERSION = "0.1.0-gridledger";
/** Adds buffered at once (each holds up to maxUploadBytes in memory); more are answered 503. */
const MAX_CONCURRENT_UPLOADS = 16;
/** How long a connection whose request body we stopped reading may linger for the client to read our answer. */
const CLOSE_GRACE_MS = 1_000;

export interface IpfsServiceOptions {
  /** The embedded store to serve (from `openBillStore({ kind: "embedded", … })`). */
  store: EmbeddedBillStore;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Largest file an add accepts, in bytes; default 4 MiB. Enforced while the upload streams in. */
  maxUploadBytes?: number;
  /**
   * Browser origins allowed to call /api/v0 (e.g. "http://localhost:5173"). A request carrying any
   * other Origin header is refused with 403, as Kubo does, so a web page cannot drive the API
   * (non-browser clients send no Origin). The gateway is open to every origin.
   */
  allowedOrigins?: readonly string[];
}

export interface IpfsService {
  /** Base URL, e.g. http://127.0.0.1:5001 — give it to kubo-rpc-client / openBillStore({ kind: "kubo", url }). */
  url: string;
  /** Stops listening and ends open connections. Idempotent. */
  close(): Promise<void>;
}

/** An answer that ends a request with an error status. */
class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** The request body was left unread: close the connection after answering. */
  readonly closeConnection: boolean;
  constructor(status: number, message: string, opts: { headers?: Record<string, string>; closeConnection?: boolean } = {}) {
    super(message);
    this.status = status;
    this.headers = opts.headers ?? {};
    this.closeConnection = opts.closeConnection ?? false;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function kuboErrorBody(message: string): string {
  return `${JSON.stringify({ Message: message, Code: 0, Type: "error" })}\n`;
}

function send(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  body: string | Uint8Array,
  headers: Record<string, string | number>,
): void {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, "Content-Length": bytes.length });
  res.end(req.method === "HEAD" ? undefined : bytes);
}

function sendJson(req: http.IncomingMessage, res: http.ServerResponse, status: number, value: unknown): void {
  send(req, res, status, `${JSON.stringify(value)}\n`, { "Content-Type": "application/json" });
}

function sendError(req: http.IncomingMessage, res: http.ServerResponse, err: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err.closeConnection) {
    // Stop reading the request: answer, then close instead of draining what the client still sends.
    req.pause();
    res.shouldKeepAlive = false;
    res.once("finish", () => {
      const timer = setTimeout(() => req.socket.destroy(), CLOSE_GRACE_MS);
      timer.unref();
      req.socket.once("close", () => clearTimeout(timer));
    });
  }
  send(req, res, err.status, kuboErrorBody(err.message), {
    "Content-Type": "application/json",
    ...(err.closeConnection ? { Connection: "close" } : {}),
    ...err.headers,
  });
}

/** Maps a store failure onto an HTTP error. */
function fromStoreError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof BillStoreError) {
    switch (err.code) {
      case "INVALID_CID":
      case "INVALID_ARGUMENT":
      case "NOT_A_FILE":
        return new HttpError(400, err.message);
      case "NOT_FOUND":
        return new HttpError(404, err.message);
      case "TOO_LARGE":
        return new HttpError(413, err.message);
      case "CLOSED":
        return new HttpError(503, err.message);
      default:
        return new HttpError(500, err.message);
    }
  }
  return new HttpError(500, `internal error: ${errorMessage(err)}`);
}

// ---------------------------------------------------------------- request body

/** Reads the whole body, refusing (413, connection closed) as soon as it passes `limit` bytes. */
function readBody(req: http.IncomingMessage, limit: number, what: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > limit) {
      reject(new HttpError(413, `${what} of ${declared} bytes exceeds ${limit} bytes`, { closeConnection: true }));
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
      req.off("close", onClose);
      if (err !== undefined) reject(err);
      else resolve(Buffer.concat(chunks, total));
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > limit) {
        finish(new HttpError(413, `${what} exceeds ${limit} bytes`, { closeConnection: true }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish();
    const onError = (err: Error): void => finish(new HttpError(400, `request body could not be read: ${err.message}`, { closeConnection: true }));
    const onAborted = (): void => finish(new HttpError(400, "request aborted by the client", { closeConnection: true }));
    const onClose = (): void => finish(new HttpError(400, "connection closed before the request body ended", { closeConnection: true }));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
    req.on("close", onClose);
  });
}

/** Reads and discards a body we do not use (bounded). */
async function discardBody(req: http.IncomingMessage): Promise<void> {
  const hasBody = req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
  if (hasBody) await readBody(req, MAX_OTHER_BODY_BYTES, "request body (not used by this endpoint)");
}

// ---------------------------------------------------------------- multipart

interface Part {
  headers: Map<string, string>;
  content: Buffer;
}

function boundaryOf(contentType: string): string {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined || boundary.length === 0 || boundary.length > 200) {
    throw new HttpError(400, "malformed multipart/form-data: missing or invalid boundary parameter");
  }
  return boundary;
}

/** Parses a complete multipart body (RFC 7578 / RFC 2046). Throws HttpError 400 when malformed. */
function parseMultipart(body: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const crlfDelimiter = Buffer.from(`\r\n--${boundary}`);
  const malformed = (why: string): HttpError => new HttpError(400, `malformed multipart/form-data: ${why}`);
  let pos: number;
  if (body.subarray(0, delimiter.length).equals(delimiter)) {
    pos = delimiter.length;
  } else {
    const first = body.indexOf(crlfDelimiter);
    if (first < 0) throw malformed("no boundary delimiter found");
    pos = first + crlfDelimiter.length;
  }
  const parts: Part[] = [];
  for (let i = 0; i <= MAX_PARTS; i++) {
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts; // "--": close delimiter
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++; // transport padding
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) throw malformed("expected CRLF after a boundary delimiter");
    pos += 2;
    if (i === MAX_PARTS) throw malformed(`more than ${MAX_PARTS} parts`);
    const headerEnd = body.indexOf("\r\n\r\n", pos);
    const headerLen = headerEnd < 0 ? -1 : headerEnd - pos;
    if (headerEnd < 0 && body.indexOf("\r\n", pos) === pos) {
      // no headers at all: an empty header block is just CRLF
      pos += 2;
    } else if (headerEnd < 0 || headerLen > MAX_PART_HEADER_BYTES) {
      throw malformed("part headers are not terminated by an empty line");
    }
    const headers = new Map<string, string>();
    if (headerEnd >= 0) {
      for (const line of body.subarray(pos, headerEnd).toString("latin1").split("\r\n")) {
        if (line === "") continue;
        const colon = line.indexOf(":");
        if (colon <= 0) throw malformed(`bad part header line ${JSON.stringify(line.slice(0, 60))}`);
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      pos = headerEnd + 4;
    }
    const end = body.indexOf(crlfDelimiter, pos);
    if (end < 0) throw malformed("missing closing boundary");
    parts.push({ headers, content: body.subarray(pos, end) });
    pos = end + crlfDelimiter.length;
  }
  throw malformed(`more than ${MAX_PARTS} parts`);
}

function dispositionParam(disposition: string, name: string): string | undefined {
  const re = new RegExp(`;\\s*${name}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i");
  const match = re.exec(disposition);
  if (match === null) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2];
}

/** The single file of an add request: its name (may be empty) and content. */
function singleFile(parts: Part[]): { name: string; content: Buffer } {
  const files: { name: string; content: Buffer }[] = [];
  for (const part of parts) {
    const disposition = part.headers.get("content-disposition") ?? "";
    if (!/^form-data\b/i.test(disposition)) {
      throw new HttpError(400, "malformed multipart/form-data: a part lacks Content-Disposition: form-data");
    }
    const type = (part.headers.get("content-type") ?? "application/octet-stream").toLowerCase();
    if (type.startsWith("application/x-directory")) throw new HttpError(400, "directories are not supported by this service: add one file");
    if (type.startsWith("application/symlink")) throw new HttpError(400, "symlinks are not supported by this service: add one file");
    const field = dispositionParam(disposition, "name") ?? "";
    if (/[?&](mode|mtime|mtime-nsecs)=/.test(field)) {
      throw new HttpError(400, "file mode/mtime metadata is not supported by this service (it would change the CID)");
    }
    let name = dispositionParam(disposition, "filename") ?? "";
    try {
      name = decodeURIComponent(name);
    } catch {
      // keep it as sent
    }
    files.push({ name, content: part.content });
  }
  if (files.length === 0) throw new HttpError(400, "no file in the multipart body: add needs exactly one file part");
  if (files.length > 1) throw new HttpError(400, `${files.length} files in one add: this service accepts exactly one file per request`);
  return files[0];
}

// ---------------------------------------------------------------- query options

function parseBool(params: URLSearchParams, name: string): boolean | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  // Go's strconv.ParseBool, as Kubo; a bare flag (`?pin`) means true
  if (["", "1", "t", "T", "true", "TRUE", "True"].includes(raw)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(raw)) return false;
  throw new HttpError(400, `option "${name}": invalid boolean ${JSON.stringify(raw)}`);
}

function parseUint(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new HttpError(400, `option "${name}": expected a non-negative integer, got ${JSON.stringify(raw.slice(0, 40))}`);
  return Number(raw);
}

/** The add options Kubo defines that we honour; the ones that would change the result and we do not support are refused. */
function addOptionsFrom(params: URLSearchParams): EmbeddedAddOptions {
  const versionRaw = params.get("cid-version");
  let cidVersion: 0 | 1 = CID_PROFILE.cidVersion;
  if (versionRaw !== null) {
    if (versionRaw !== "0" && versionRaw !== "1") throw new HttpError(400, `option "cid-version": unsupported CID version ${JSON.stringify(versionRaw.slice(0, 20))} (0 or 1)`);
    cidVersion = versionRaw === "1" ? 1 : 0;
  }
  const rawLeaves = parseBool(params, "raw-leaves") ?? cidVersion === 1;
  const hash = params.get("hash");
  if (hash !== null && hash !== "sha2-256") throw new HttpError(400, `option "hash": unsupported hash ${JSON.stringify(hash.slice(0, 40))} (only sha2-256)`);
  let chunkSize: number = CID_PROFILE.chunkSize;
  const chunker = params.get("chunker");
  if (chunker !== null && chunker !== "") {
    const match = /^size-(\d{1,8})$/.exec(chunker);
    if (match === null) throw new HttpError(400, `option "chunker": unsupported chunker ${JSON.stringify(chunker.slice(0, 40))} (only size-N)`);
    chunkSize = Number(match[1]);
    if (chunkSize < 1 || chunkSize > 1_048_576) throw new HttpError(400, `option "chunker": chunk size ${chunkSize} is out of range 1..1048576`);
  }
  const maxLinks = parseUint(params, "max-file-links") ?? CID_PROFILE.maxLinks;
  if (maxLinks < 2 || maxLinks > 8192) throw new HttpError(400, `option "max-file-links": ${maxLinks} is out of range 2..8192`);
  const pin = parseBool(params, "pin") ?? true;
  for (const flag of ["trickle", "wrap-with-directory", "only-hash", "nocopy", "inline", "preserve-mode", "preserve-mtime"]) {
    if (parseBool(params, flag) === true) throw new HttpError(400, `option "${flag}" is not supported by this service`);
  }
  for (const name of ["mode", "mtime", "mtime-nsecs"]) {
    if (params.has(name)) throw new HttpError(400, `option "${name}" is not supported by this service (it would change the CID)`);
  }
  const base = params.get("cid-base");
  if (base !== null && base !== "" && base !== "base32" && !(base === "base58btc" && cidVersion === 0)) {
    throw new HttpError(400, `option "cid-base": unsupported ${JSON.stringify(base.slice(0, 20))} (base32)`);
  }
  return { cidVersion, rawLeaves, chunkSize, maxLinks, pin };
}

/** The CID of an `arg` (`CID` or `/ipfs/CID`); 400 when malformed or a path below a CID. */
function cidArg(params: URLSearchParams): string {
  const arg = params.get("arg");
  if (arg === null || arg === "") throw new HttpError(400, 'argument "ipfs-path" is required');
  return cidFromPath(arg.startsWith("/ipfs/") ? arg.slice("/ipfs/".length) : arg, arg);
}

function cidFromPath(rest: string, original: string): string {
  const trimmed = rest.endsWith("/") ? rest.slice(0, -1) : rest;
  if (trimmed.includes("/")) throw new HttpError(400, `invalid path ${JSON.stringify(original.slice(0, 120))}: paths inside a CID are not supported`);
  try {
    return CID.parse(trimmed).toString();
  } catch (err) {
    throw new HttpError(400, `invalid path ${JSON.stringify(original.slice(0, 120))}: malformed CID: ${errorMessage(err)}`);
  }
}

// ---------------------------------------------------------------- content type

const HTML_START = /^(<!doctype\s+html|<html[\s>])/i;

/** application/json for a JSON object or array, text/html for an HTML document, else application/octet-stream. */
export function sniffContentType(bytes: Uint8Array, complete: boolean): string {
  let text = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, complete ? bytes.length : 1024));
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const start = text.trimStart();
  if (HTML_START.test(start)) return "text/html; charset=utf-8";
  if (start.startsWith("{") || start.startsWith("[")) {
    if (!complete) return "application/json";
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      JSON.parse(start);
      return "application/json";
    } catch {
      return "application/octet-stream";
    }
  }
  return "application/octet-stream";
}

// ---------------------------------------------------------------- handlers

async function writeStream(res: http.ServerResponse, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    }
  }
  res.end();
}

/** An AbortSignal that fires when the client goes away before the response is complete. */
function clientGone(res: http.ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

async function handleAdd(req: http.IncomingMessage, res: http.ServerResponse, params: URLSearchParams, store: EmbeddedBillStore, maxUpload: number): Promise<void> {
  // Errors before the body is read close the connection rather than drain the upload.
  let options: EmbeddedAddOptions;
  try {
    options = addOptionsFrom(params);
  } catch (err) {
    throw err instanceof HttpError ? new HttpError(err.status, err.message, { closeConnection: true }) : err;
  }
  const contentType = req.headers["content-type"] ?? "";
  if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
    const got = contentType === "" ? "none" : JSON.stringify(contentType.slice(0, 80));
    throw new HttpError(415, `add needs Content-Type multipart/form-data, got ${got}`, { closeConnection: true });
  }
  let boundary: string;
  try {
    boundary = boundaryOf(contentType);
  } catch (err) {
    throw new HttpError(400, errorMessage(err), { closeConnection: true });
  }
  const body = await readBody(req, maxUpload + MULTIPART_OVERHEAD_BYTES, `upload larger than the limit (files up to ${maxUpload} bytes): request body`);
  const file = singleFile(parseMultipart(body, boundary));
  if (file.content.length > maxUpload) {
    throw new HttpError(413, `file of ${file.content.length} bytes is larger than the upload limit of ${maxUpload} bytes`);
  }
  const { cid, size } = await store.add(new Uint8Array(file.content.buffer, file.content.byteOffset, file.content.length), options);
  // Kubo answers newline-delimited JSON, one object per added entry, Size as a string
  sendJson(req, res, 200, { Name: file.name === "" ? cid : file.name, Hash: cid, Size: String(size) });
}

async function handleCat(req: http.IncomingMessage, res: http.ServerResponse, params: URLSearchParams, store: EmbeddedBillStore): Promise<void> {
  const cid = cidArg(params);
  const offset = parseUint(params, "offset") ?? 0;
  const length = parseUint(params, "length");
  const st = await store.stat(cid);
  if (st.type === "directory") throw new HttpError(400, `${cid} is a directory; cat needs a file`);
  const start = Math.min(offset, st.size);
  const count = Math.min(length ?? Number.MAX_SAFE_INTEGER, st.size - start);
  res.writeHead(200, {
    "Content-Type": "text/plain",
    "Content-Length": count,
    "X-Stream-Output": "1",
    "X-Content-Length": String(count),
  });
  if (count === 0) {
    res.end();
    return;
  }
  await writeStream(res, store.cat(cid, { offset: start, length: count, signal: clientGone(res) }));
}

async function handlePinAdd(req: http.IncomingMessage, res: http.ServerResponse, params: URLSearchParams, store: EmbeddedBillStore): Promise<void> {
  const cid = cidArg(params);
  const recursive = parseBool(params, "recursive") ?? true;
  await store.pin(cid, { recursive });
  sendJson(req, res, 200, { Pins: [cid] });
}

function handleVersion(req: http.IncomingMessage, res: http.ServerResponse): void {
  sendJson(req, res, 200, {
    Version: SERVICE_VERSION,
    Commit: "",
    Repo: "",
    System: `${process.arch}/${process.platform}`,
    Golang: "",
  });
}

async function handleGateway(req: http.IncomingMessage, res: http.ServerResponse, rest: string, store: EmbeddedBillStore): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    throw new HttpError(400, "malformed path encoding");
  }
  const trimmed = decoded.endsWith("/") ? decoded.slice(0, -1) : decoded;
  const slash = trimmed.indexOf("/");
  const cidPart = slash < 0 ? trimmed : trimmed.slice(0, slash);
  let cid: string;
  try {
    cid = CID.parse(cidPart).toString();
  } catch (err) {
    throw new HttpError(400, `invalid path "/ipfs/${cidPart.slice(0, 120)}": malformed CID: ${errorMessage(err)}`);
  }
  if (slash >= 0) throw new HttpError(404, `no such path: /ipfs/${trimmed.slice(0, 200)} (paths inside content are not served)`);
  const st = await store.stat(cid);
  if (st.type === "directory") throw new HttpError(400, `${cid} is a directory; this gateway serves files only`);
  const etag = `"${cid}"`;
  const common = {
    Etag: etag,
    "X-Ipfs-Path": `/ipfs/${cid}`,
    "Cache-Control": "public, max-age=29030400, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
    "Access-Control-Allow-Origin": "*",
  };
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, common);
    res.end();
    return;
  }
  if (st.size <= SNIFF_WHOLE_BYTES) {
    const bytes = await store.get(cid, { maxBytes: SNIFF_WHOLE_BYTES });
    send(req, res, 200, bytes, { ...common, "Content-Type": sniffContentType(bytes, true) });
    return;
  }
  const head: Uint8Array[] = [];
  for await (const chunk of store.cat(cid, { length: 1024 })) head.push(chunk);
  const type = sniffContentType(Buffer.concat(head), false);
  res.writeHead(200, { ...common, "Content-Type": type, "Content-Length": st.size });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  await writeStream(res, store.cat(cid, { signal: clientGone(res) }));
}

const RPC_ROUTES = new Set(["/api/v0/add", "/api/v0/cat", "/api/v0/pin/add", "/api/v0/version"]);

async function route(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  store: EmbeddedBillStore,
  maxUpload: number,
  allowedOrigins: ReadonlySet<string>,
  uploads: { active: number },
): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://service.invalid");
  } catch {
    throw new HttpError(400, "malformed request URL", { closeConnection: true });
  }
  const pathname = url.pathname;
  const method = req.method ?? "";

  if (pathname.startsWith("/ipfs/")) {
    if (method !== "GET" && method !== "HEAD") {
      throw new HttpError(405, `method ${method} not allowed on the gateway; use GET or HEAD`, { headers: { Allow: "GET, HEAD" }, closeConnection: true });
    }
    await discardBody(req);
    await handleGateway(req, res, pathname.slice("/ipfs/".length), store);
    return;
  }
  if (!RPC_ROUTES.has(pathname)) {
    throw new HttpError(404, `404 page not found: ${pathname.slice(0, 200)}`, { closeConnection: true });
  }
  if (method !== "POST") {
    throw new HttpError(405, `method ${method} not allowed: the RPC API takes POST`, { headers: { Allow: "POST" }, closeConnection: true });
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedOrigins.has(origin)) {
    throw new HttpError(403, `origin ${JSON.stringify(origin.slice(0, 100))} is not allowed to use the RPC API`, { closeConnection: true });
  }
  const corsHeaders: Record<string, string> = origin === undefined ? {} : { "Access-Control-Allow-Origin": origin, Vary: "Origin" };
  for (const [name, value] of Object.entries(corsHeaders)) res.setHeader(name, value);

  if (pathname === "/api/v0/add") {
    if (uploads.active >= MAX_CONCURRENT_UPLOADS) {
      throw new HttpError(503, `busy: ${uploads.active} uploads in progress, retry shortly`, { headers: { "Retry-After": "1" }, closeConnection: true });
    }
    uploads.active++;
    try {
      await handleAdd(req, res, url.searchParams, store, maxUpload);
    } finally {
      uploads.active--;
    }
    return;
  }
  await discardBody(req);
  switch (pathname) {
    case "/api/v0/cat":
      await handleCat(req, res, url.searchParams, store);
      return;
    case "/api/v0/pin/add":
      await handlePinAdd(req, res, url.searchParams, store);
      return;
    default:
      handleVersion(req, res);
  }
}

/** Starts the service; resolves once it listens. See the module comment for what it answers. */
export async function startIpfsService(options: IpfsServiceOptions): Promise<IpfsService> {
  const { store, host = "127.0.0.1", port, maxUploadBytes = DEFAULT_MAX_UPLOAD_BYTES } = options;
  if (store === null || typeof store !== "object" || store.kind !== "embedded") {
    throw new TypeError("startIpfsService: store must be an embedded BillStore");
  }
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) throw new RangeError(`startIpfsService: invalid port ${String(port)}`);
  if (!Number.isSafeInteger(maxUploadBytes) || maxUploadBytes < 1) {
    throw new RangeError(`startIpfsService: maxUploadBytes must be a positive integer, got ${String(maxUploadBytes)}`);
  }
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  const uploads = { active: 0 };

  const server = http.createServer({
    requestTimeout: 120_000,
    headersTimeout: 20_000,
    maxHeaderSize: 16 * 1024,
  });
  server.keepAliveTimeout = 5_000;
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    route(req, res, store, maxUploadBytes, allowedOrigins, uploads).catch((err: unknown) => {
      try {
        sendError(req, res, err instanceof HttpError ? err : fromStoreError(err));
      } catch {
        res.destroy();
      }
    });
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable && err.code !== "ECONNRESET") {
      const body = kuboErrorBody(`bad request: ${err.code ?? err.message}`);
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    } else {
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${hostPart}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
