/**
 * Verifies a recorded bill: fetches it by the CID on-chain, checks that its bytes hash to that CID, and checks
 * every figure in it against the chain. Reports each mismatch.
 */
import { buildBill, parseBill, type Bill } from "./bill.js";
import type { BillStore } from "./billStore.js";
import { cidOfBytes } from "./cid.js";
import type { GridLedgerClient } from "./ledgerClient.js";

export interface Mismatch {
  /** Path of the field in the bill, e.g. "transfers.0.amount". */
  field: string;
  bill: unknown;
  chain: unknown;
}

export interface BillVerification {
  purchaseId: bigint;
  cid: string | undefined;
  ok: boolean;
  /** Why the bill could not be checked at all (not billed, not found, not a bill). */
  error?: string;
  mismatches: Mismatch[];
}

/** Largest bill fetched for verification. */
const MAX_BILL_BYTES = 4 * 1024 * 1024;

export async function verifyBill(client: GridLedgerClient, store: BillStore, purchaseId: bigint): Promise<BillVerification> {
  const recorded = await client.billOf(purchaseId);
  if (!recorded) return { purchaseId, cid: undefined, ok: false, error: `purchase ${purchaseId} has no bill recorded`, mismatches: [] };
  const { cid } = recorded;
  let bytes: Uint8Array;
  try {
    bytes = await store.get(cid, { maxBytes: MAX_BILL_BYTES });
  } catch (error) {
    return { purchaseId, cid, ok: false, error: `bill ${cid} could not be fetched: ${(error as Error).message}`, mismatches: [] };
  }
  return verifyBillBytes(client, purchaseId, bytes, { cid, producerAmount: recorded.producerAmount, refund: recorded.refund });
}

/** Checks given bytes (a file dropped on the page, say) against what the chain recorded for the purchase. */
export async function verifyBillBytes(
  client: GridLedgerClient,
  purchaseId: bigint,
  bytes: Uint8Array,
  recorded?: { cid: string; producerAmount: bigint; refund: bigint },
): Promise<BillVerification> {
  const onChain = recorded ?? (await client.billOf(purchaseId));
  if (!onChain) return { purchaseId, cid: undefined, ok: false, error: `purchase ${purchaseId} has no bill recorded`, mismatches: [] };
  const mismatches: Mismatch[] = [];
  const actualCid = await cidOfBytes(bytes);
  if (actualCid !== onChain.cid) mismatches.push({ field: "cid", bill: actualCid, chain: onChain.cid });
  let bill: Bill;
  try {
    bill = parseBill(bytes);
  } catch (error) {
    return { purchaseId, cid: onChain.cid, ok: false, error: (error as Error).message, mismatches };
  }
  const expected = await buildBill(client, purchaseId);
  compare("", bill, expected, mismatches);
  if (bill.settlement?.producerAmount !== onChain.producerAmount.toString()) {
    mismatches.push({ field: "settlement.producerAmount (paid)", bill: bill.settlement?.producerAmount, chain: onChain.producerAmount.toString() });
  }
  if (bill.settlement?.refund !== onChain.refund.toString()) {
    mismatches.push({ field: "settlement.refund (paid)", bill: bill.settlement?.refund, chain: onChain.refund.toString() });
  }
  return { purchaseId, cid: onChain.cid, ok: mismatches.length === 0, mismatches };
}

function compare(path: string, actual: unknown, expected: unknown, out: Mismatch[]): void {
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual) !== Array.isArray(expected)) {
      out.push({ field: path || "(bill)", bill: actual, chain: expected });
      return;
    }
    if (Array.isArray(expected) && (actual as unknown[]).length !== expected.length) {
      out.push({ field: `${path}.length`, bill: (actual as unknown[]).length, chain: expected.length });
    }
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual as object)]);
    for (const key of keys) {
      compare(path ? `${path}.${key}` : key, (actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], out);
    }
    return;
  }
  if (actual !== expected) out.push({ field: path, bill: actual, chain: expected });
}
