/** One purchase with everything the dashboards show about it: the record, its offer, transfers and bill. */
import type { EventOf } from "../../../src/events.js";
import type { GridLedgerClient, Offer, Purchase, TransferState } from "../../../src/ledgerClient.js";
import type { Step } from "../ui/ProgressSteps.js";

export interface TransferRow {
  event: EventOf<"EnergyTransferred">;
  state: TransferState;
  dispute?: EventOf<"TransferDisputed">;
}

export interface PurchaseDetail {
  purchase: Purchase;
  offer: Offer;
  transfers: TransferRow[];
  bill: EventOf<"BillRecorded"> | undefined;
  closed: EventOf<"PurchaseClosed"> | undefined;
  /** What the purchaser can still withdraw from the ledger (its whole balance, not only this purchase's). */
  purchaserBalance: bigint;
}

export async function loadPurchaseDetail(reader: GridLedgerClient, purchaseId: bigint): Promise<PurchaseDetail> {
  const purchase = await reader.purchaseOf(purchaseId);
  const [offer, events, purchaserBalance] = await Promise.all([
    reader.offer(purchase.offerId),
    reader.purchaseEvents(purchaseId),
    reader.balanceOf(purchase.purchaser),
  ]);
  const transferEvents = events.filter((e): e is EventOf<"EnergyTransferred"> => e.kind === "EnergyTransferred");
  const disputes = events.filter((e): e is EventOf<"TransferDisputed"> => e.kind === "TransferDisputed");
  const states = await Promise.all(transferEvents.map((e) => reader.transferOf(purchaseId, e.index)));
  return {
    purchase,
    offer,
    transfers: transferEvents.map((event, i) => ({
      event,
      state: states[i].state,
      dispute: disputes.find((d) => d.index === event.index),
    })),
    bill: events.find((e): e is EventOf<"BillRecorded"> => e.kind === "BillRecorded"),
    closed: events.find((e): e is EventOf<"PurchaseClosed"> => e.kind === "PurchaseClosed"),
    purchaserBalance,
  };
}

export const PURCHASE_STEPS: readonly Step[] = [
  { key: "purchased", label: "Purchased" },
  { key: "transferring", label: "Transferring" },
  { key: "delivered", label: "Delivered" },
  { key: "acknowledged", label: "Acknowledged" },
  { key: "billed", label: "Billed" },
  { key: "settled", label: "Settled" },
];

export type PurchaseStage = "purchased" | "transferring" | "delivered" | "acknowledged" | "billed" | "settled";

/**
 * The last stage a purchase has reached:
 * purchased (no transfer yet) → transferring (some energy delivered) → delivered (all of it) →
 * acknowledged (no transfer awaits acknowledgement or a dispute decision) → billed (bill recorded) →
 * settled (closed, or billed with nothing left for the purchaser to collect).
 */
export function purchaseStage(
  p: Pick<Purchase, "status" | "transferCount" | "pendingCount" | "openDisputes" | "delivered" | "quantity">,
  settlement: { refund: bigint | undefined; purchaserBalance: bigint },
): PurchaseStage {
  if (p.status === "closed") return "settled";
  if (p.status === "billed") return settlement.refund === 0n || settlement.purchaserBalance === 0n ? "settled" : "billed";
  if (p.transferCount === 0) return "purchased";
  if (p.pendingCount === 0 && p.openDisputes === 0) return "acknowledged";
  if (p.delivered >= p.quantity) return "delivered";
  return "transferring";
}

/** The step to show in progress after `reached` (the last step stays, complete). */
export function progressOf(reached: PurchaseStage): { current: string; complete: boolean } {
  const i = PURCHASE_STEPS.findIndex((s) => s.key === reached);
  return i === PURCHASE_STEPS.length - 1 ? { current: reached, complete: true } : { current: PURCHASE_STEPS[i + 1].key, complete: false };
}

export function detailStage(d: PurchaseDetail): PurchaseStage {
  return purchaseStage(d.purchase, { refund: d.bill?.refund ?? d.closed?.refund, purchaserBalance: d.purchaserBalance });
}
