/** GridLedger events in words, for alerts, the audit view and the dashboards. */
import type { LedgerEvent } from "../../src/events.js";
import { DISPUTE_REASONS } from "../../src/schemas.js";
import { formatEnergy, formatEth, formatRate, shortHex } from "./format.js";

const REASON_NAMES: Record<number, string> = {
  [DISPUTE_REASONS.notReceived]: "not received",
  [DISPUTE_REASONS.shortDelivery]: "short delivery",
  [DISPUTE_REASONS.wrongWindow]: "wrong window",
  [DISPUTE_REASONS.meterFault]: "meter fault",
  [DISPUTE_REASONS.other]: "other",
};

export function reasonName(code: number): string {
  return REASON_NAMES[code] ?? `code ${code}`;
}

/** Power for display: "10 kW", "1.5 MW", "250 W". */
export function formatPower(watts: bigint): string {
  const units: [string, bigint][] = [
    ["GW", 10n ** 9n],
    ["MW", 10n ** 6n],
    ["kW", 10n ** 3n],
  ];
  for (const [name, size] of units) {
    if (watts >= size && (watts * 1000n) % size === 0n) {
      const whole = watts / size;
      const frac = watts % size;
      const text = frac === 0n ? whole.toString() : `${whole}.${((frac * 1000n) / size).toString().padStart(3, "0").replace(/0+$/, "")}`;
      return `${text} ${name}`;
    }
  }
  return `${watts} W`;
}

/** Human names of the event kinds (kindLabel covers kinds added to the core later). */
export const KIND_LABELS: Partial<Record<LedgerEvent["kind"], string>> = {
  OfferOpened: "Offer opened",
  StorageRecorded: "Storage recorded",
  OfferClosed: "Offer closed",
  EnergyPurchased: "Energy purchased",
  EnergyTransferred: "Energy transferred",
  TransferAcknowledged: "Transfer acknowledged",
  TransferDisputed: "Transfer disputed",
  DisputeResolved: "Dispute resolved",
  BillRecorded: "Bill recorded",
  PurchaseClosed: "Purchase closed",
  MeterAuthorized: "Meter authorised",
  MeterRevoked: "Meter revoked",
  Withdrawn: "Withdrawn",
  OperatorTransferred: "Operator transferred",
};

/** "EnergyPurchased" → "Energy purchased". */
export function kindLabel(kind: LedgerEvent["kind"]): string {
  return KIND_LABELS[kind] ?? kind.replace(/(?<=[a-z])(?=[A-Z])/g, " ").replace(/ [A-Z]/g, (m) => m.toLowerCase());
}

export function describeEvent(e: LedgerEvent): string {
  switch (e.kind) {
    case "OfferOpened":
      return `Offer ${e.offerId} opened at ${e.location}: ${formatEnergy(e.available)} of ${formatEnergy(e.capacity)} at ${formatRate(e.rate)}`;
    case "StorageRecorded":
      return `Offer ${e.offerId}: ${formatEnergy(e.available)} available (recorded by ${shortHex(e.recorder)})`;
    case "OfferClosed":
      return `Offer ${e.offerId} closed`;
    case "EnergyPurchased":
      return `Purchase ${e.purchaseId}: ${formatEnergy(e.quantity)} from offer ${e.offerId} for ${formatEth(e.cost)} by ${shortHex(e.purchaser)}`;
    case "EnergyTransferred":
      return `Purchase ${e.purchaseId}, transfer ${e.index}: ${formatEnergy(e.amount)} delivered by ${e.device} (meter ${shortHex(e.meter)})`;
    case "TransferAcknowledged":
      return `Purchase ${e.purchaseId}, transfer ${e.index} acknowledged`;
    case "TransferDisputed":
      return `Purchase ${e.purchaseId}, transfer ${e.index} disputed: ${reasonName(e.reason)}`;
    case "DisputeResolved":
      return `Purchase ${e.purchaseId}, transfer ${e.index}: dispute ${e.upheld ? "upheld" : "rejected"}${e.expired ? " (the operator did not decide in time)" : ""}`;
    case "BillRecorded":
      return `Purchase ${e.purchaseId} billed: producer receives ${formatEth(e.producerAmount)}, refund ${formatEth(e.refund)} (bill ${shortHex(e.cid, 6)})`;
    case "PurchaseClosed":
      return `Purchase ${e.purchaseId} closed unbilled: producer receives ${formatEth(e.producerAmount)}, refund ${formatEth(e.refund)}`;
    case "MeterAuthorized":
      return `Meter ${shortHex(e.meter)} authorised by ${shortHex(e.producer)}, rated ${formatPower(e.ratedPower)}`;
    case "MeterRevoked":
      return `Meter ${shortHex(e.meter)} revoked by ${shortHex(e.producer)}`;
    case "Withdrawn":
      return `${shortHex(e.account)} withdrew ${formatEth(e.amount)}`;
    case "OperatorTransferred":
      return `Operator changed from ${shortHex(e.previousOperator)} to ${shortHex(e.newOperator)}`;
    default: {
      // A kind this app does not describe yet: its name and its ids.
      const other = e as LedgerEvent;
      const ids = Object.entries(other)
        .filter(([key, value]) => key.endsWith("Id") && typeof value === "bigint")
        .map(([key, value]) => `${key.slice(0, -2)} ${String(value)}`);
      return [kindLabel(other.kind), ...ids].join(", ");
    }
  }
}

/** The purchase or offer an event belongs to, for links and filters. */
export function eventSubject(e: LedgerEvent): { purchaseId?: bigint; offerId?: bigint } {
  if ("purchaseId" in e) return { purchaseId: e.purchaseId, ...("offerId" in e ? { offerId: e.offerId } : {}) };
  if ("offerId" in e) return { offerId: e.offerId };
  return {};
}
