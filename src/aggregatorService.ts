/**
 * The aggregator's HTTP intake on 127.0.0.1: meters POST signed readings; each is persisted before the answer.
 *
 *   POST /readings   body: one signed reading, or an array of them (JSON)   → 202 {"accepted": n}
 *   GET  /status[?meter=0x…]   → {"pending": n, "chainId": "...", "contract": "...", "next": "<meter's next seq>"}
 *
 * A body is checked whole before anything is taken: a malformed element is refused with 400, naming its index
 * and field ("readings[3].seq: …"), and none of the request's readings is accepted. Well-formed readings are then
 * taken in order until the first one the aggregator refuses (signature, authorisation, duplicate, gap): those
 * before it are accepted and persisted, and the 422 answer says how many ({"accepted": n, "error": "reading n: …"}),
 * so a meter resends from there.
 */
import http from "node:http";
import { z } from "zod";
import { RefusedReading, type Aggregator } from "./aggregator.js";
import { signedReadingJson } from "./batchFile.js";
import { ReadingError, type SignedReading } from "./readings.js";
import { validate, ValidationError } from "./schemas.js";

const MAX_BODY = 1024 * 1024;
/** Readings in one request; a 1 MiB body holds about 3,000. */
export const MAX_READINGS_PER_REQUEST = 10_000;

const readingsBody = z.strictObject({ readings: z.array(signedReadingJson).min(1).max(MAX_READINGS_PER_REQUEST) });

/** A request body: one signed reading or an array of them; throws a ValidationError naming each bad field. */
export function parseReadingsBody(body: unknown): SignedReading[] {
  return Array.isArray(body) ? validate(readingsBody, { readings: body }).readings : [validate(signedReadingJson, body)];
}

export async function startAggregatorService(options: { aggregator: Aggregator; host?: string; port: number }): Promise<{ url: string; close(): Promise<void> }> {
  const { aggregator } = options;
  const host = options.host ?? "127.0.0.1";
  const reply = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
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
      void (async () => {
        let signed: SignedReading[];
        try {
          signed = parseReadingsBody(JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown);
        } catch (error) {
          const message = error instanceof ValidationError ? error.message.replace(/\n/g, "; ") : "body: not JSON";
          return reply(res, 400, { accepted: 0, error: message });
        }
        // Requests may overlap: the aggregator checks sequences in the order they arrived.
        try {
          await aggregator.submitMany(signed);
        } catch (error) {
          const accepted = error instanceof RefusedReading ? error.accepted : 0;
          return reply(res, error instanceof ReadingError ? 422 : 500, { accepted, error: (error as Error).message });
        }
        reply(res, 202, { accepted: signed.length });
      })();
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
