/**
 * Stands in for src/billStore/helia.ts in the browser build: the embedded store needs Node's file system.
 * The web app opens the "kubo" store against the server's /api/v0 proxy instead.
 */
import { BillStoreError, type EmbeddedBillStore } from "../../../src/billStore.js";

export async function openEmbeddedBillStore(_dataDir: string): Promise<EmbeddedBillStore> {
  throw new BillStoreError("INVALID_ARGUMENT", "the embedded IPFS store runs only in Node; the web app uses the server's /api/v0");
}
