/**
 * The aggregator's HTTP intake on 127.0.0.1: meters POST signed readings; each is persisted before the answer.
 *
 *   POST /readings   body: one signed reading or an array of them (JSON)   → 202 {"accepted": n}
 *   GET  /status[?meter=0x…]   → {"pending": n, "chainId": "...", "contract": "...", "next": "<meter's next seq>"}
 */
import http from "node:http";
import type { Aggregator } from "./aggregator.js";
import { decodeSigned } from "./aggregator.js";
import { ReadingError } from "./readings.js";

const MAX_BODY = 1024 * 1024;

export async function startAggregatorService(options: { aggregator: Aggregator; host?: string; port: number }): Promise<{ url: string; close(): Promise<void> }> {
  const { aggregator } = options;
  const host = options.host ?? "127.0.0.1";
  const reply = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  // Readings are taken one request at a time, so each meter's sequence is checked in arrival order.
  let queue: Promise<unknown> = Promise.resolve();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/status" && req.method === "GET") {
      const meter = url.searchParams.get("meter");
      let next: string | undefined;
      try {
        next = meter ? aggregator.nextSeq(meter).toString() : undefined;
      } catch {
        return reply(res, 400, { error: `meter: not an address (got "${meter}")` });
      }
      return reply(res, 200, { pending: aggregator.pendingCount, chainId: String(aggregator.domain.chainId), contract: aggregator.domain.verifyingContract, next });
    }
    if (url.pathname !== "/readings") return reply(res, 404, { error: `no such path: ${url.pathname}` });
    if (req.method !== "POST") return reply(res, 405, { error: "POST signed readings to /readings" });
    if (!(req.headers["content-type"] ?? "").startsWith("application/json")) return reply(res, 415, { error: "content-type must be application/json" });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reply(res, 413, { error: `body larger than ${MAX_BODY} bytes` });
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => {
      if (res.headersSent) return;
      queue = queue.then(async () => {
        let items: unknown[];
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
          items = Array.isArray(body) ? body : [body];
        } catch {
          return reply(res, 400, { error: "body: not JSON" });
        }
        let signed;
        try {
          signed = items.map((item) => decodeSigned(JSON.stringify(item)));
        } catch (error) {
          return reply(res, 400, { accepted: 0, error: `body: not signed readings (${(error as Error).message})` });
        }
        const before = aggregator.pendingCount + aggregator.anchoredCount;
        try {
          await aggregator.submitMany(signed);
        } catch (error) {
          const accepted = aggregator.pendingCount + aggregator.anchoredCount - before;
          return reply(res, error instanceof ReadingError ? 422 : 400, { accepted, error: (error as Error).message });
        }
        reply(res, 202, { accepted: signed.length });
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address() as { port: number };
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
