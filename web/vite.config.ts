/**
 * The web app's build: `npm run build:web` writes web/dist, which `npm start` serves (src/stack/webServer.ts).
 * The app imports the repo's core (src/) directly; everything it needs runs in the browser except the embedded
 * Helia bill store, which is replaced by a stub (the browser talks to IPFS through the server's /api/v0 proxy).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..");
const heliaStub = path.join(here, "src/chain/heliaStub.ts");

/** src/billStore.ts loads the Node-only embedded store lazily; in the browser that import resolves to a stub. */
function browserBillStore(): Plugin {
  return {
    name: "gridledger-browser-bill-store",
    enforce: "pre",
    resolveId(source, importer) {
      if (importer && source === "./billStore/helia.js" && importer.startsWith(path.join(repo, "src"))) return heliaStub;
      return null;
    },
  };
}

export default defineConfig({
  root: here,
  base: "/",
  plugins: [browserBillStore(), react()],
  resolve: {
    alias: { "@web": path.join(here, "src") },
  },
  build: {
    outDir: path.join(here, "dist"),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 2_000,
  },
  server: {
    // `npx vite --config web/vite.config.ts` for development (port 5174): the stack's endpoints are proxied to a
    // running `npm start` (GRIDLEDGER_WEB_URL, default http://127.0.0.1:5173).
    port: 5174,
    fs: { allow: [repo] },
    proxy: Object.fromEntries(
      ["/rpc", "/api", "/ipfs", "/config.json"].map((p) => [p, process.env.GRIDLEDGER_WEB_URL ?? "http://127.0.0.1:5173"]),
    ),
  },
});
