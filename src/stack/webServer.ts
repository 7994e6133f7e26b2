/**
 * The web app's server: static files of the built app (web/dist), `/config.json` telling the app where the
 * chain, contract and IPFS are, and same-origin proxies to the JSON-RPC node (`/rpc`) and the IPFS service
 * (`/api/v0/*`, `/ipfs/*`), so the browser needs no CORS exceptions. Until the app is built, a status page.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { GridLedgerClient } from "../ledgerClient.js";

export interface WebConfig {
  chainId: number;
  contract: string;
  deployedAtBlock: number | null;
  /** The RPC URL the server proxies to (the browser uses `/rpc`). */
  rpcUrl: string;
  /** The Kubo RPC API URL the server proxies to (the browser uses `/api/v0`). */
  ipfsUrl: string;
  /** True on the local chain: the app may offer the node's unlocked development accounts. */
  localAccounts: boolean;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};

export async function startWebServer(options: {
  host: string;
  port: number;
  config: WebConfig;
  distDir: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  const { config, distDir } = options;
  const provider = new JsonRpcProvider(config.rpcUrl, config.chainId, { staticNetwork: true });
  const browserConfig = { ...config, rpcUrl: "/rpc", ipfsUrl: "/api/v0", gatewayUrl: "/ipfs" };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: (error as Error).message }));
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/config.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(browserConfig));
      return;
    }
    if (url.pathname === "/rpc") return proxy(req, res, config.rpcUrl);
    if (url.pathname.startsWith("/api/v0/")) return proxy(req, res, new URL(url.pathname.slice("/api/v0/".length) + url.search, withSlash(config.ipfsUrl) + "api/v0/").toString());
    if (url.pathname.startsWith("/ipfs/")) return proxy(req, res, new URL(url.pathname + url.search, config.ipfsUrl).toString());
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (existsSync(path.join(distDir, "index.html"))) return serveStatic(url.pathname, res);
    return statusPage(res);
  }

  function serveStatic(pathname: string, res: http.ServerResponse): void {
    const safe = path.normalize(decodeURIComponent(pathname)).replace(/^(\.\.[/\\])+/, "");
    let file = path.join(distDir, safe);
    if (!file.startsWith(distDir) || !existsSync(file) || statSync(file).isDirectory()) file = path.join(distDir, "index.html");
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  }

  async function statusPage(res: http.ServerResponse): Promise<void> {
    const reader = await GridLedgerClient.connect(provider, { address: config.contract });
    const counts = await reader.counts();
    const rows = Object.entries(counts)
      .map(([kind, n]) => `<tr><th scope="row">${kind}</th><td>${n}</td></tr>`)
      .join("");
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>GridLedger</title></head>
<body><h1>GridLedger</h1><p>Chain <span data-testid="chain">${config.chainId}</span>,
contract <code data-testid="contract">${config.contract}</code></p>
<table><caption>Records</caption>${rows}</table></body></html>`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    url: `http://${options.host}:${options.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        provider.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const withSlash = (u: string) => (u.endsWith("/") ? u : u + "/");

/** Streams a request to `target` and its answer back. */
function proxy(req: http.IncomingMessage, res: http.ServerResponse, target: string): Promise<void> {
  return new Promise((resolve) => {
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.origin;
    delete headers.referer;
    const upstream = http.request(target, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.once("end", () => resolve());
    });
    upstream.once("error", (error) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `upstream ${new URL(target).host} unreachable: ${error.message}` }));
      resolve();
    });
    req.pipe(upstream);
  });
}
