/**
 * Bills: built deterministically from the chain data of one purchase, serialised as canonical JSON (the bytes
 * stored on IPFS), and rendered as HTML for people.
 */
import { formatEnergy, formatEth, formatRate } from "./units.js";
import type { EventOf } from "./events.js";
import type { GridLedgerClient } from "./ledgerClient.js";

export const BILL_FORMAT = "gridledger-bill/1";

/** Where a record was mined. */
export interface Mined {
  blockNumber: number;
  transactionHash: string;
}

/** A bill. Amounts are decimal strings: Wh, wei, wei per Wh, unix seconds. */
export interface Bill {
  format: typeof BILL_FORMAT;
  chainId: string;
  contract: string;
  purchaseId: string;
  producer: string;
  purchaser: string;
  offer: { offerId: string; capacity: string; location: string; rate: string; opened: Mined };
  purchase: { quantity: string; cost: string; purchasedAt: string; mined: Mined };
  transfers: {
    index: number;
    meter: string;
    device: string;
    amount: string;
    start: string;
    end: string;
    cost: string;
    state: string;
    mined: Mined;
  }[];
  disputes: { index: number; reason: number; outcome: "open" | "upheld" | "rejected"; expired: boolean; disputed: Mined; resolved: Mined | null }[];
  settlement: { delivered: string; withheld: string; producerAmount: string; refund: string };
}

/** Builds the bill of a purchase from the chain alone: the same chain state always gives the same bill. */
export async function buildBill(client: GridLedgerClient, purchaseId: bigint): Promise<Bill> {
  const purchase = await client.purchaseOf(purchaseId);
  const offer = await client.offer(purchase.offerId);
  const events = await client.purchaseEvents(purchaseId);
  const purchased = events.find((e): e is EventOf<"EnergyPurchased"> => e.kind === "EnergyPurchased");
  if (!purchased) throw new Error(`purchase ${purchaseId}: its EnergyPurchased log was not found from block ${client.fromBlock}`);
  const [opened] = (await client.history({ kinds: ["OfferOpened"], offerId: purchase.offerId }, { size: 1 })).events as EventOf<"OfferOpened">[];
  if (!opened) throw new Error(`offer ${purchase.offerId}: its OfferOpened log was not found`);

  const transfers = [];
  for (const e of events) {
    if (e.kind !== "EnergyTransferred") continue;
    const { state } = await client.transferOf(purchaseId, e.index);
    transfers.push({
      index: e.index,
      meter: e.meter,
      device: e.device,
      amount: e.amount.toString(),
      start: e.start.toString(),
      end: e.end.toString(),
      cost: e.cost.toString(),
      state,
      mined: mined(e),
    });
  }
  const disputes: Bill["disputes"] = [];
  for (const e of events) {
    if (e.kind === "TransferDisputed") {
      disputes.push({ index: e.index, reason: e.reason, outcome: "open", expired: false, disputed: mined(e), resolved: null });
    } else if (e.kind === "DisputeResolved") {
      const dispute = disputes.find((d) => d.index === e.index && d.resolved === null);
      if (dispute) {
        dispute.outcome = e.upheld ? "upheld" : "rejected";
        dispute.expired = e.expired;
        dispute.resolved = mined(e);
      }
    }
  }
  const producerAmount = (purchase.delivered - purchase.withheld) * offer.rate;
  return {
    format: BILL_FORMAT,
    chainId: client.chainId.toString(),
    contract: client.address,
    purchaseId: purchaseId.toString(),
    producer: offer.producer,
    purchaser: purchase.purchaser,
    offer: {
      offerId: purchase.offerId.toString(),
      capacity: offer.capacity.toString(),
      location: offer.location,
      rate: offer.rate.toString(),
      opened: mined(opened),
    },
    purchase: {
      quantity: purchase.quantity.toString(),
      cost: purchase.cost.toString(),
      purchasedAt: purchase.purchasedAt.toString(),
      mined: mined(purchased),
    },
    transfers,
    disputes,
    settlement: {
      delivered: purchase.delivered.toString(),
      withheld: purchase.withheld.toString(),
      producerAmount: producerAmount.toString(),
      refund: (purchase.cost - producerAmount).toString(),
    },
  };
}

function mined(e: { blockNumber: number; transactionHash: string }): Mined {
  return { blockNumber: e.blockNumber, transactionHash: e.transactionHash };
}

/** Canonical JSON: object keys sorted, no whitespace, bigints as decimal strings. Equal values give equal bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
}

/** The bytes stored on IPFS for a bill. */
export function billBytes(bill: Bill): Uint8Array {
  return new TextEncoder().encode(canonicalJson(bill));
}

/** Parses bill bytes, checking the format; throws with the reason when they are not a GridLedger bill. */
export function parseBill(bytes: Uint8Array): Bill {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new Error(`bill: not UTF-8 JSON (${(error as Error).message})`);
  }
  if (!value || typeof value !== "object" || (value as { format?: unknown }).format !== BILL_FORMAT) {
    throw new Error(`bill: format must be "${BILL_FORMAT}"`);
  }
  return value as Bill;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A self-contained HTML page of the bill, for people; the JSON stays the record. */
export function renderBillHtml(bill: Bill, cid?: string): string {
  const wh = (v: string) => escapeHtml(formatEnergy(BigInt(v)));
  const eth = (v: string) => escapeHtml(formatEth(BigInt(v)));
  const time = (v: string) => new Date(Number(v) * 1000).toISOString().replace(".000Z", "Z");
  const rows = bill.transfers
    .map(
      (t) =>
        `<tr><td>${t.index}</td><td>${escapeHtml(t.device)}</td><td><code>${escapeHtml(t.meter)}</code></td>` +
        `<td>${wh(t.amount)}</td><td>${time(t.start)}</td><td>${time(t.end)}</td><td>${eth(t.cost)}</td><td>${escapeHtml(t.state)}</td></tr>`,
    )
    .join("\n");
  const disputes = bill.disputes.length
    ? `<h2>Disputes</h2><table><tr><th>Transfer</th><th>Reason</th><th>Outcome</th></tr>${bill.disputes
        .map((d) => `<tr><td>${d.index}</td><td>${d.reason}</td><td>${d.outcome}${d.expired ? " (operator did not decide in time)" : ""}</td></tr>`)
        .join("")}</table>`
    : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GridLedger bill — purchase ${escapeHtml(bill.purchaseId)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem;text-align:left}code{font-size:.85em}</style></head>
<body>
<h1>Bill for purchase ${escapeHtml(bill.purchaseId)}</h1>
${cid ? `<p>IPFS CID: <code>${escapeHtml(cid)}</code></p>` : ""}
<p>Chain ${escapeHtml(bill.chainId)}, contract <code>${escapeHtml(bill.contract)}</code></p>
<p>Producer <code>${escapeHtml(bill.producer)}</code> → purchaser <code>${escapeHtml(bill.purchaser)}</code></p>
<h2>Offer ${escapeHtml(bill.offer.offerId)}</h2>
<p>${escapeHtml(bill.offer.location)} · capacity ${wh(bill.offer.capacity)} · rate ${escapeHtml(formatRate(BigInt(bill.offer.rate)))}</p>
<h2>Purchase</h2>
<p>${wh(bill.purchase.quantity)} for ${eth(bill.purchase.cost)} at ${time(bill.purchase.purchasedAt)} (block ${bill.purchase.mined.blockNumber})</p>
<h2>Transfers</h2>
<table><tr><th>#</th><th>Device</th><th>Meter</th><th>Amount</th><th>Start</th><th>End</th><th>Cost</th><th>State</th></tr>
${rows}
</table>
${disputes}
<h2>Settlement</h2>
<p>Delivered ${wh(bill.settlement.delivered)}, withheld ${wh(bill.settlement.withheld)}.<br>
Producer receives ${eth(bill.settlement.producerAmount)}; purchaser is refunded ${eth(bill.settlement.refund)}.</p>
</body></html>
`;
}
