/** Chart series from a producer's events: available storage per offer over time, energy sold and revenue per day. */
import type { LedgerEvent } from "../../../src/events.js";

export interface Point {
  /** Unix seconds. */
  t: number;
  value: bigint;
}

/** Available storage of each offer after each event that changed it, oldest first. */
export function availabilitySeries(events: readonly LedgerEvent[], time: (block: number) => number): Map<string, Point[]> {
  const series = new Map<string, Point[]>();
  const sorted = [...events].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  const push = (offerId: bigint, t: number, value: bigint) => {
    const key = offerId.toString();
    const list = series.get(key) ?? [];
    list.push({ t, value });
    series.set(key, list);
  };
  const last = (offerId: bigint) => series.get(offerId.toString())?.at(-1)?.value;
  for (const e of sorted) {
    const t = time(e.blockNumber);
    if (e.kind === "OfferOpened") push(e.offerId, t, e.available);
    else if (e.kind === "StorageRecorded") push(e.offerId, t, e.available);
    else if (e.kind === "OfferClosed") push(e.offerId, t, 0n);
    else if (e.kind === "EnergyPurchased") {
      const before = last(e.offerId);
      if (before !== undefined) push(e.offerId, t, before > e.quantity ? before - e.quantity : 0n);
    }
  }
  return series;
}

export interface DaySales {
  /** YYYY-MM-DD (UTC). */
  day: string;
  /** Energy sold, Wh (purchases of the day). */
  energy: bigint;
  /** Revenue, wei (paid to the producer by the day's bills and closings). */
  revenue: bigint;
}

export function dailySales(events: readonly LedgerEvent[], time: (block: number) => number): DaySales[] {
  const days = new Map<string, DaySales>();
  const at = (block: number) => {
    const day = new Date(time(block) * 1000).toISOString().slice(0, 10);
    let entry = days.get(day);
    if (!entry) days.set(day, (entry = { day, energy: 0n, revenue: 0n }));
    return entry;
  };
  for (const e of events) {
    if (e.kind === "EnergyPurchased") at(e.blockNumber).energy += e.quantity;
    else if (e.kind === "BillRecorded" || e.kind === "PurchaseClosed") at(e.blockNumber).revenue += e.producerAmount;
  }
  return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
}
