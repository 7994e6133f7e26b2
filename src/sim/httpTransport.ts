/**
 * HTTP requests of the simulator and the benchmarks to a JSON-RPC node, over node:http / node:https with
 * kept-alive sockets. The runtime's fetch (undici: web streams, a request and a response object per call) costs
 * this process about four times the CPU per request (measured against anvil: 370-580 µs against 90-170 µs for a
 * small call), which at thousands of requests a second competes with the node for the machine's cores.
 *
 * Each request leaves in one write (headers and body together, Nagle off): ethers' own node:http transport
 * writes the body after the headers, and on a kept-alive socket the second write could wait ~40 ms for the
 * delayed ACK of the first (measured on anvil). A request reset on a reused kept-alive socket is sent once more
 * on a new one (Node's own advice): the node most likely closed the socket while idle, before reading it.
 */
import http from "node:http";
import https from "node:https";
import { urlToHttpOptions } from "node:url";
import { FetchRequest } from "ethers";

export interface HttpAnswer {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Sends one request and reads the whole answer; rejects on a network error, a timeout or an abort. */
export async function httpRequest(url: string, request: HttpRequest): Promise<HttpAnswer> {
  const target = targetOf(url);
  try {
    return await attempt(target, request);
  } catch (error) {
    if (!(error instanceof StaleSocketError)) throw error;
    return attempt(target, request);
  }
}

/** A reset on a reused kept-alive socket: most likely closed by the node while idle, before it read the request. */
class StaleSocketError extends Error {}

interface Target {
  href: string;
  secure: boolean;
  options: http.RequestOptions;
}

/** Parsed URLs by their text: a node's URL is asked thousands of times a second. */
const targets = new Map<string, Target>();

function targetOf(url: string): Target {
  let target = targets.get(url);
  if (!target) {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`${url}: only http: and https: URLs can be asked`);
    const secure = parsed.protocol === "https:";
    target = {
      href: parsed.href,
      secure,
      options: { ...urlToHttpOptions(parsed), agent: secure ? httpsAgent : httpAgent },
    };
    if (targets.size >= 100) targets.clear();
    targets.set(url, target);
  }
  return target;
}

const httpAgent = new http.Agent({ keepAlive: true, noDelay: true });
const httpsAgent = new https.Agent({ keepAlive: true, noDelay: true });

function attempt(target: Target, request: HttpRequest): Promise<HttpAnswer> {
  const body = request.body === undefined ? undefined : typeof request.body === "string" ? Buffer.from(request.body, "utf8") : Buffer.from(request.body);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers };
    if (body) headers["content-length"] = body.length;
    const options = { ...target.options, method: request.method ?? "GET", headers };
    const req = (target.secure ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const answerHeaders: Record<string, string> = {};
        for (const [key, value] of Object.entries(res.headers)) if (value !== undefined) answerHeaders[key] = Array.isArray(value) ? value.join(", ") : value;
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", headers: answerHeaders, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) });
      });
    });
    const onAbort = () => req.destroy(new Error(`request to ${target.href} aborted`));
    request.signal?.addEventListener("abort", onAbort, { once: true });
    req.setTimeout(request.timeoutMs, () => req.destroy(new Error(`request to ${target.href} timed out after ${request.timeoutMs} ms`)));
    req.on("error", (error: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && (error.code === "ECONNRESET" || error.code === "EPIPE");
      reject(stale ? new StaleSocketError(error.message, { cause: error }) : error);
    });
    req.on("close", () => request.signal?.removeEventListener("abort", onAbort));
    req.end(body);
  });
}

/**
 * POSTs `body` as JSON to a JSON-RPC node and parses its answer; an answer that is not a 2xx, or not JSON, is an
 * error saying so, with the start of what the node said.
 */
export async function postJson(url: string, body: unknown, timeoutMs: number): Promise<unknown> {
  const response = await httpRequest(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), timeoutMs });
  const text = response.body.toString("utf8");
  if (response.status < 200 || response.status > 299) {
    throw new Error(`JSON-RPC to ${url}: the node answered HTTP ${response.status} ${response.statusText}: ${text.slice(0, 200)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`JSON-RPC to ${url}: the node's answer is not JSON: ${text.slice(0, 200)}`, { cause: error });
  }
}

/**
 * Sends the JSON-RPC of ethers' own providers (FetchRequest) through httpRequest as well: the providers of this
 * process that are not ReceiptPollingProviders. Process-wide; idempotent.
 */
export function useHttpTransport(): void {
  if (transportOn) return;
  transportOn = true;
  FetchRequest.registerGetUrl(async (req, signal) => {
    const controller = new AbortController();
    signal?.addListener(() => controller.abort());
    const answer = await httpRequest(req.url, {
      method: req.method,
      headers: Object.fromEntries(Object.entries(req.headers)),
      body: req.body ?? undefined,
      timeoutMs: req.timeout,
      signal: controller.signal,
    });
    return { statusCode: answer.status, statusMessage: answer.statusText, headers: answer.headers, body: new Uint8Array(answer.body) };
  });
}
let transportOn = false;
