/**
 * The alert feed of one account: the alerts received so far, newest first, each once, and the cursor to
 * resume after, kept in localStorage per chain, contract and account. After a reload the feed resumes right
 * behind its cursor (src/alerts.ts `after`) and drops anything it already holds, so nothing shows twice.
 */
import type { Alert, AlertCursor } from "../../../src/alerts.js";
import { eventKey, type EventKind } from "../../../src/events.js";
import { describeNotice, type ThresholdNotice } from "../../../src/thresholds.js";
import { describeEvent, kindLabel } from "../events.js";

export interface StoredAlert {
  /** eventKey: block hash, transaction hash and log index; a threshold notice's own key. */
  key: string;
  kind: EventKind | ThresholdNotice["type"];
  title: string;
  text: string;
  roles: string[];
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
  purchaseId?: string;
  offerId?: string;
}

export interface Feed {
  cursor: AlertCursor | undefined;
  items: StoredAlert[];
}

/** How many alerts a feed keeps. */
export const FEED_LIMIT = 200;

export function feedKey(chainId: number, contract: string, account: string): string {
  return `gridledger:alerts:v1:${chainId}:${contract.toLowerCase()}:${account.toLowerCase()}`;
}

export function toStored(alert: Pick<Alert, "event" | "roles">): StoredAlert {
  const e = alert.event;
  return {
    key: eventKey(e),
    kind: e.kind,
    title: kindLabel(e.kind),
    text: describeEvent(e),
    roles: [...alert.roles],
    blockNumber: e.blockNumber,
    logIndex: e.logIndex,
    transactionHash: e.transactionHash,
    ...("purchaseId" in e ? { purchaseId: e.purchaseId.toString() } : {}),
    ...("offerId" in e ? { offerId: e.offerId.toString() } : {}),
  };
}

const NOTICE_TITLES: Record<ThresholdNotice["type"], string> = {
  "storage-below": "Storage below threshold",
  "storage-restored": "Storage back above threshold",
  "delivery-late": "Delivery late",
};

/** A threshold notice as a feed item: a storage notice sits at its reading, a late delivery where it was found. */
export function noticeToStored(notice: ThresholdNotice, foundAt: AlertCursor): StoredAlert {
  const base = { key: notice.key, kind: notice.type, title: NOTICE_TITLES[notice.type], text: describeNotice(notice) };
  if (notice.type === "delivery-late") {
    return {
      ...base,
      roles: ["purchaser"],
      blockNumber: foundAt.block,
      logIndex: foundAt.logIndex,
      transactionHash: "",
      purchaseId: notice.purchaseId.toString(),
    };
  }
  const e = notice.event;
  return {
    ...base,
    roles: ["producer"],
    blockNumber: e.blockNumber,
    logIndex: e.logIndex,
    transactionHash: e.transactionHash,
    offerId: notice.offerId.toString(),
  };
}

/** Adds what is new, newest first, without duplicates; returns the new list and what was added. */
export function mergeAlerts(
  items: readonly StoredAlert[],
  incoming: readonly StoredAlert[],
): { items: StoredAlert[]; added: StoredAlert[] } {
  const seen = new Set(items.map((a) => a.key));
  const added: StoredAlert[] = [];
  for (const alert of incoming) {
    if (seen.has(alert.key)) continue;
    seen.add(alert.key);
    added.push(alert);
  }
  if (added.length === 0) return { items: [...items], added };
  const merged = [...items, ...added].sort((a, b) => b.blockNumber - a.blockNumber || b.logIndex - a.logIndex).slice(0, FEED_LIMIT);
  return { items: merged, added };
}

/** The later of two cursors. */
export function laterCursor(a: AlertCursor | undefined, b: AlertCursor | undefined): AlertCursor | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.block > b.block || (a.block === b.block && a.logIndex >= b.logIndex) ? a : b;
}

export function loadFeed(storage: Storage, key: string): Feed {
  try {
    const raw = storage.getItem(key);
    if (!raw) return { cursor: undefined, items: [] };
    const parsed = JSON.parse(raw) as Partial<Feed>;
    const cursor =
      parsed.cursor && Number.isSafeInteger(parsed.cursor.block) && typeof parsed.cursor.logIndex === "number" ? parsed.cursor : undefined;
    const items = Array.isArray(parsed.items) ? parsed.items.filter((a) => typeof a?.key === "string") : [];
    return { cursor, items };
  } catch {
    return { cursor: undefined, items: [] };
  }
}

export function saveFeed(storage: Storage, key: string, feed: Feed): void {
  try {
    storage.setItem(key, JSON.stringify(feed));
  } catch {
    // storage full or disabled: the feed still works for this page
  }
}
