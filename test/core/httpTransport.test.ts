/**
 * The simulator's and benchmarks' HTTP transport against a local server: the request arrives whole, sockets are
 * kept alive, a request on a socket the server had closed is sent again on a new one, and a timeout, an abort or
 * a URL it cannot ask is an error naming it; ethers' providers go through it once it is turned on.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { JsonRpcProvider } from "ethers";
import { httpRequest, useHttpTransport } from "../../src/sim/httpTransport.js";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse, socket: Socket) => void;

describe("httpRequest (a local server)", () => {
  let server: Server;
  let url: string;
  let handle: Handler;
  /** Each request the server read: its socket's number, method, path, content-length and body. */
  const seen: { socket: number; method: string; path: string; length: string | undefined; body: string }[] = [];
  const sockets = new Map<Socket, number>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        if (!sockets.has(req.socket)) sockets.set(req.socket, sockets.size);
        seen.push({ socket: sockets.get(req.socket)!, method: req.method!, path: req.url!, length: req.headers["content-length"], body });
        handle(req, body, res, req.socket);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rpc`;
  });

  afterEach(() => {
    seen.length = 0;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("sends the body whole with its length, and gives the status, headers and body of the answer", async () => {
    handle = (_, body, res) => res.writeHead(201, "Made", { "x-seen": String(body.length) }).end(`got ${body}`);
    const body = JSON.stringify({ note: "ünïcödé", pad: "x".repeat(100_000) });
    const answer = await httpRequest(url, { method: "POST", headers: { "content-type": "application/json" }, body, timeoutMs: 5_000 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: "POST", path: "/rpc", length: String(Buffer.byteLength(body)), body });
    expect(answer.status).toBe(201);
    expect(answer.statusText).toBe("Made");
    expect(answer.headers["x-seen"]).toBe(String(body.length));
    expect(answer.body.toString("utf8")).toBe(`got ${body}`);
  });

  it("keeps the socket alive between requests", async () => {
    handle = (_, body, res) => res.end(body);
    const first = sockets.size;
    for (const n of [1, 2, 3]) expect((await httpRequest(url, { method: "POST", body: String(n), timeoutMs: 5_000 })).body.toString()).toBe(String(n));
    expect(new Set(seen.map((s) => s.socket)).size).toBe(1);
    // The one the first test left open, or one new one.
    expect(sockets.size).toBeLessThanOrEqual(first + 1);
  });

  it("sends a request again on a new socket when the server had closed the kept-alive one", async () => {
    handle = (_, body, res) => res.end(body);
    await httpRequest(url, { method: "POST", body: "first", timeoutMs: 5_000 });
    // The server drops the next request on that socket as if it had closed it when idle: no answer, a reset.
    handle = (_req, _body, _res, socket) => {
      handle = (_, again, res) => res.end(`again ${again}`);
      socket.resetAndDestroy();
    };
    const answer = await httpRequest(url, { method: "POST", body: "second", timeoutMs: 5_000 });
    expect(answer.body.toString()).toBe("again second");
    expect(seen.map((s) => s.body)).toEqual(["first", "second", "second"]);
    expect(seen[2].socket).not.toBe(seen[0].socket);
  });

  it("gives up on a server that does not answer within the timeout, naming it", async () => {
    handle = () => undefined;
    const started = performance.now();
    await expect(httpRequest(url, { method: "POST", body: "{}", timeoutMs: 200 })).rejects.toThrow(`request to ${url} timed out after 200 ms`);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("stops when aborted", async () => {
    handle = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(httpRequest(url, { method: "POST", body: "{}", timeoutMs: 60_000, signal: controller.signal })).rejects.toThrow(`request to ${url} aborted`);
  });

  it("refuses a URL that is not http: or https:", async () => {
    await expect(httpRequest("ftp://127.0.0.1/x", { timeoutMs: 1_000 })).rejects.toThrow("ftp://127.0.0.1/x: only http: and https: URLs can be asked");
  });

  it("carries ethers' providers' JSON-RPC once turned on", async () => {
    handle = (_, body, res) => {
      const call = JSON.parse(body) as { id: number; method: string };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: call.id, result: call.method === "eth_chainId" ? "0x7a69" : "0x2a" }));
    };
    useHttpTransport();
    const provider = new JsonRpcProvider(url, 31337, { staticNetwork: true, batchMaxCount: 1 });
    try {
      expect(await provider.getBlockNumber()).toBe(42);
      expect(seen.map((s) => JSON.parse(s.body).method)).toContain("eth_blockNumber");
    } finally {
      provider.destroy();
    }
  });
});
