/**
 * Alerts: every event that concerns an address, as producer, meter, purchaser, operator or payee. A catch-up
 * from a given position, then live. Each alert carries its position (block, log index); resuming `after` the
 * last position handled misses nothing and repeats nothing.
 */
import { getAddress } from "ethers";
import { compareEvents, eventKey, PRODUCER_EVENTS, PURCHASE_EVENTS, topicOf, parseLedgerLog, type EventKind, type LedgerEvent } from "./events.js";
import type { GridLedgerClient } from "./ledgerClient.js";

export type AlertRole = "producer" | "purchaser" | "meter" | "operator" | "account";

/** A position in the chain's event order: everything up to and including it has been delivered. */
export interface AlertCursor {
  block: number;
  logIndex: number;
}

export interface Alert {
  event: LedgerEvent;
  /** How the event concerns the address. */
  roles: AlertRole[];
  /** This alert's position: pass it as `after` to resume right behind it. */
  cursor: AlertCursor;
}

/** The cursor for "everything in this block and before". */
export const endOfBlock = (block: number): AlertCursor => ({ block, logIndex: Number.MAX_SAFE_INTEGER });

export interface AlertOptions {
  /** Deliver what comes after this position (a catch-up); default: from the next block on (live only). */
  after?: AlertCursor;
  /** How often to look for new blocks, ms. */
  pollMs?: number;
  /** Blocks to wait before delivering, against reorgs (0 on a local chain). */
  confirmations?: number;
  /** Largest block range read at once. */
  batchBlocks?: number;
  /** Stops the subscription. */
  signal?: AbortSignal;
  /** Called after each block range is fully delivered, including ranges without alerts. */
  onCursor?: (cursor: AlertCursor) => void;
}

const pad = (address: string) => "0x" + address.toLowerCase().replace(/^0x/, "").padStart(64, "0");

/** Yields each alert for `forAddress`, oldest first, until the signal aborts. */
export async function* alerts(client: GridLedgerClient, forAddress: string, options: AlertOptions = {}): AsyncGenerator<Alert> {
  const address = getAddress(forAddress);
  const pollMs = options.pollMs ?? 1_000;
  const confirmations = options.confirmations ?? 0;
  const batch = options.batchBlocks ?? client.logRange;
  const after = options.after;
  let next = after ? after.block : (await client.headBlock()) + 1;
  while (!options.signal?.aborted) {
    const head = (await client.headBlock()) - confirmations;
    if (head < next) {
      await sleep(pollMs, options.signal);
      continue;
    }
    const to = Math.min(head, next + batch - 1);
    const found = await alertsInRange(client, address, next, to);
    for (const alert of found) {
      if (options.signal?.aborted) return;
      const cursor = { block: alert.event.blockNumber, logIndex: alert.event.logIndex };
      if (after && compareEvents({ blockNumber: cursor.block, logIndex: cursor.logIndex }, { blockNumber: after.block, logIndex: after.logIndex }) <= 0) continue;
      yield { ...alert, cursor };
    }
    next = to + 1;
    options.onCursor?.(endOfBlock(to));
  }
}

/** The alerts for an address in a block range, oldest first, each once. */
export async function alertsInRange(
  client: GridLedgerClient,
  address: string,
  fromBlock: number,
  toBlock: number,
): Promise<Omit<Alert, "cursor">[]> {
  const me = pad(address);
  const kinds = (list: readonly EventKind[]) => list.map(topicOf);
  const queries: { topics: (string | string[] | null)[]; role: AlertRole; keep?: (e: LedgerEvent) => boolean }[] = [
    { topics: [kinds(PRODUCER_EVENTS), null, me], role: "producer" },
    { topics: [kinds(PURCHASE_EVENTS), null, null, me], role: "purchaser" },
    { topics: [kinds(["MeterAuthorized", "MeterRevoked"]), me], role: "meter" },
    { topics: [kinds(["StorageRecorded"]), null, null, me], role: "meter", keep: (e) => e.kind === "StorageRecorded" && e.producer !== address },
    { topics: [kinds(["Withdrawn"]), me], role: "account" },
    { topics: [kinds(["OperatorTransferred"]), me], role: "operator" },
    { topics: [kinds(["OperatorTransferred"]), null, me], role: "operator" },
  ];
  const [meter, operator] = await Promise.all([client.meterOf(address), client.operator()]);
  if (meter.producer !== "0x0000000000000000000000000000000000000000") {
    // Transfers name their meter in the data: read the producer's transfers and keep this meter's.
    queries.push({
      topics: [kinds(["EnergyTransferred"]), null, pad(meter.producer)],
      role: "meter",
      keep: (e) => e.kind === "EnergyTransferred" && getAddress(e.meter) === address,
    });
  }
  if (getAddress(operator) === address) {
    queries.push({ topics: [kinds(["TransferDisputed", "DisputeResolved"])], role: "operator" });
  }
  const byKey = new Map<string, Omit<Alert, "cursor">>();
  for (const query of queries) {
    const logs = await client.provider.getLogs({ address: client.address, fromBlock, toBlock, topics: query.topics });
    for (const log of logs) {
      const event = parseLedgerLog(log);
      if (!event || (query.keep && !query.keep(event))) continue;
      const key = eventKey(event);
      const existing = byKey.get(key);
      if (existing) {
        if (!existing.roles.includes(query.role)) existing.roles.push(query.role);
      } else {
        byKey.set(key, { event, roles: [query.role] });
      }
    }
  }
  return [...byKey.values()].sort((a, b) => compareEvents(a.event, b.event));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
