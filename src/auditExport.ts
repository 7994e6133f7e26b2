/**
 * The audit export: every GridLedger record in a block range, one row each, as CSV (RFC 4180) or a JSON array,
 * streamed. Logs are read in pages of `pageBlocks` blocks, and only one page is held at a time; rows are
 * written as they are made, through `write` (awaited: a slow sink slows the export down, nothing piles up).
 * For BillRecorded rows the bill is fetched by its CID and re-checked against the chain (verifyBill's rules).
 *
 * Columns: see {@link EXPORT_COLUMNS} and docs/EXPORT.md.
 *
 * No node: imports: the web app runs it into a Blob for download.
 */
import type { BillStore } from "./billStore.js";
import { parseLedgerLog, type EventKind, type EventOf, type LedgerEvent } from "./events.js";
import type { GridLedgerClient } from "./ledgerClient.js";
import { verifyBillBytes } from "./verifyBill.js";

/** The columns, in order. Empty when a column does not apply to a record's kind. */
export const EXPORT_COLUMNS = [
  "kind",
  "record_id",
  "offer_id",
  "purchase_id",
  "transfer_index",
  "producer",
  "purchaser",
  "meter",
  "recorder",
  "account",
  "previous_operator",
  "device",
  "location",
  "capacity_wh",
  "amount_wh",
  "rated_power_w",
  "rate_wei_per_wh",
  "cost_wei",
  "producer_amount_wei",
  "refund_wei",
  "withdrawn_wei",
  "start",
  "end",
  "dispute_reason",
  "outcome",
  "block_number",
  "block_time",
  "transaction_hash",
  "log_index",
  "bill_cid",
  "bill_verification",
] as const;

export type ExportColumn = (typeof EXPORT_COLUMNS)[number];
/** One row: every column as a string ("" when it does not apply). */
export type ExportRow = Record<ExportColumn, string>;
export type ExportFormat = "csv" | "json";

export interface ExportProgress {
  fromBlock: number;
  toBlock: number;
  /** The page just written. */
  pageFromBlock: number;
  pageToBlock: number;
  /** Blocks written so far, of `blocksTotal`. */
  blocksDone: number;
  blocksTotal: number;
  /** Rows written so far. */
  records: number;
}

export interface ExportOptions {
  fromBlock: number;
  toBlock: number;
  format: ExportFormat;
  /** Blocks per eth_getLogs page (default: the client's logRange). A page the node refuses is split in two. */
  pageBlocks?: number;
  /** After each page. */
  onProgress?: (progress: ExportProgress) => void;
  /** Receives the output in order; awaited before anything more is read. */
  write: (chunk: string) => Promise<void>;
  /** Fetch and check each recorded bill (default true). */
  verifyBills?: boolean;
  /** Fill `block_time` (one block header read per block with records; default true). */
  blockTimes?: boolean;
  signal?: AbortSignal;
}

export interface ExportSummary {
  fromBlock: number;
  toBlock: number;
  pages: number;
  records: number;
  byKind: Partial<Record<EventKind, number>>;
  bills: { ok: number; failed: number; unavailable: number; unchecked: number };
}

/** Largest bill fetched for verification (as verify-bill). */
const MAX_BILL_BYTES = 4 * 1024 * 1024;
/** Purchases whose offer id is remembered (rows of a purchase other than EnergyPurchased name their offer). */
const OFFER_CACHE = 50_000;

/** Streams every record in `[fromBlock, toBlock]`; resolves with counts once the last byte is written. */
export async function exportRecords(client: GridLedgerClient, store: BillStore | undefined, options: ExportOptions): Promise<ExportSummary> {
  const { fromBlock, toBlock, format, write } = options;
  if (!Number.isSafeInteger(fromBlock) || fromBlock < 0) throw new RangeError(`export: fromBlock must be a whole number ≥ 0 (got ${fromBlock})`);
  if (!Number.isSafeInteger(toBlock) || toBlock < fromBlock) throw new RangeError(`export: toBlock must be a whole number ≥ fromBlock ${fromBlock} (got ${toBlock})`);
  if (format !== "csv" && format !== "json") throw new RangeError(`export: format must be "csv" or "json" (got ${String(format)})`);
  let pageBlocks = options.pageBlocks ?? client.logRange;
  if (!Number.isSafeInteger(pageBlocks) || pageBlocks < 1) throw new RangeError(`export: pageBlocks must be a whole number ≥ 1 (got ${pageBlocks})`);
  const verify = options.verifyBills ?? true;
  const withTimes = options.blockTimes ?? true;
  const summary: ExportSummary = { fromBlock, toBlock, pages: 0, records: 0, byKind: {}, bills: { ok: 0, failed: 0, unavailable: 0, unchecked: 0 } };
  const offers = new Map<bigint, bigint>();
  const offerOf = async (purchaseId: bigint): Promise<bigint> => {
    let offerId = offers.get(purchaseId);
    if (offerId === undefined) {
      offerId = (await client.purchaseOf(purchaseId)).offerId;
      remember(purchaseId, offerId);
    }
    return offerId;
  };
  const remember = (purchaseId: bigint, offerId: bigint) => {
    if (offers.size >= OFFER_CACHE) offers.clear();
    offers.set(purchaseId, offerId);
  };

  await write(format === "csv" ? csvLine(EXPORT_COLUMNS) : "[");
  let first = true;
  for (let from = fromBlock; from <= toBlock; ) {
    throwIfAborted(options.signal);
    let to = Math.min(toBlock, from + pageBlocks - 1);
    let logs;
    for (;;) {
      try {
        logs = await client.provider.getLogs({ address: client.address, fromBlock: from, toBlock: to });
        break;
      } catch (error) {
        // Too many results or too wide a range for this node: halve the page (and the pages after it).
        if (to === from) throw error;
        pageBlocks = Math.max(1, Math.floor((to - from + 1) / 2));
        to = from + pageBlocks - 1;
      }
    }
    const events = logs
      .map(parseLedgerLog)
      .filter((e): e is LedgerEvent => e !== undefined)
      .sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
    logs = undefined;
    const times = withTimes ? await blockTimes(client, [...new Set(events.map((e) => e.blockNumber))]) : new Map<number, bigint>();
    for (const e of events) {
      throwIfAborted(options.signal);
      if (e.kind === "EnergyPurchased") remember(e.purchaseId, e.offerId);
      let verification = "";
      if (e.kind === "BillRecorded") {
        verification = verify ? await checkRecordedBill(client, store, e, options.signal) : "";
        const outcome = verification === "" ? "unchecked" : verification === "ok" ? "ok" : verification.startsWith("failed") ? "failed" : "unavailable";
        summary.bills[outcome]++;
      }
      const row = recordRow(e, {
        offerId: "purchaseId" in e && e.kind !== "EnergyPurchased" ? await offerOf(e.purchaseId) : undefined,
        blockTime: times.get(e.blockNumber),
        billVerification: verification,
      });
      await write(format === "csv" ? csvLine(EXPORT_COLUMNS.map((c) => row[c])) : `${first ? "\n" : ",\n"}${jsonRow(row)}`);
      first = false;
      summary.records++;
      summary.byKind[e.kind] = (summary.byKind[e.kind] ?? 0) + 1;
    }
    summary.pages++;
    options.onProgress?.({
      fromBlock,
      toBlock,
      pageFromBlock: from,
      pageToBlock: to,
      blocksDone: to - fromBlock + 1,
      blocksTotal: toBlock - fromBlock + 1,
      records: summary.records,
    });
    from = to + 1;
  }
  if (format === "json") await write(first ? "]\n" : "\n]\n");
  return summary;
}

/** A record as a row. `offerId` names the offer of a purchase's later records; pure. */
export function recordRow(e: LedgerEvent, extra: { offerId?: bigint; blockTime?: bigint; billVerification?: string } = {}): ExportRow {
  const row = Object.fromEntries(EXPORT_COLUMNS.map((c) => [c, ""])) as ExportRow;
  const s = (v: bigint | number | string | undefined) => (v === undefined ? "" : String(v));
  row.kind = e.kind;
  row.block_number = s(e.blockNumber);
  row.block_time = s(extra.blockTime);
  row.transaction_hash = e.transactionHash;
  row.log_index = s(e.logIndex);
  if ("purchaseId" in e) {
    row.purchase_id = s(e.purchaseId);
    row.offer_id = s(e.kind === "EnergyPurchased" ? e.offerId : extra.offerId);
  }
  if ("purchaser" in e) row.purchaser = e.purchaser;
  if ("index" in e) {
    row.transfer_index = s(e.index);
    row.record_id = `${e.purchaseId}:${e.index}`;
  } else if ("purchaseId" in e) {
    row.record_id = s(e.purchaseId);
  }
  if ("producer" in e) row.producer = e.producer;
  switch (e.kind) {
    case "OfferOpened":
      Object.assign(row, { record_id: s(e.offerId), offer_id: s(e.offerId), location: e.location, capacity_wh: s(e.capacity), amount_wh: s(e.available), rate_wei_per_wh: s(e.rate) });
      break;
    case "StorageRecorded":
      Object.assign(row, { record_id: s(e.offerId), offer_id: s(e.offerId), recorder: e.recorder, amount_wh: s(e.available) });
      break;
    case "OfferClosed":
      Object.assign(row, { record_id: s(e.offerId), offer_id: s(e.offerId) });
      break;
    case "EnergyPurchased":
      Object.assign(row, { amount_wh: s(e.quantity), cost_wei: s(e.cost), rate_wei_per_wh: s(e.cost / e.quantity) });
      break;
    case "EnergyTransferred":
      Object.assign(row, { meter: e.meter, device: e.device, amount_wh: s(e.amount), cost_wei: s(e.cost), rate_wei_per_wh: s(e.cost / e.amount), start: s(e.start), end: s(e.end) });
      break;
    case "TransferAcknowledged":
      row.outcome = "acknowledged";
      break;
    case "TransferDisputed":
      Object.assign(row, { dispute_reason: s(e.reason), outcome: "disputed" });
      break;
    case "DisputeResolved":
      row.outcome = e.expired ? "expired" : e.upheld ? "upheld" : "rejected";
      break;
    case "BillRecorded":
      Object.assign(row, { producer_amount_wei: s(e.producerAmount), refund_wei: s(e.refund), bill_cid: e.cid, bill_verification: extra.billVerification ?? "" });
      break;
    case "PurchaseClosed":
      Object.assign(row, { producer_amount_wei: s(e.producerAmount), refund_wei: s(e.refund) });
      break;
    case "MeterAuthorized":
      Object.assign(row, { record_id: e.meter, meter: e.meter, rated_power_w: s(e.ratedPower) });
      break;
    case "MeterRevoked":
      Object.assign(row, { record_id: e.meter, meter: e.meter });
      break;
    case "Withdrawn":
      Object.assign(row, { record_id: e.account, account: e.account, withdrawn_wei: s(e.amount) });
      break;
    case "OperatorTransferred":
      Object.assign(row, { record_id: e.newOperator, account: e.newOperator, previous_operator: e.previousOperator });
      break;
    default:
      // Kinds without columns of their own (batches of signed readings, …): the batch id names the record,
      // the signer is the account; position, block and transaction are filled above.
      if ("batchId" in e && !("purchaseId" in e)) row.record_id = s(e.batchId);
      if ("aggregator" in e) row.account = e.aggregator;
  }
  return row;
}

/**
 * Fetches a recorded bill by its CID and re-checks it: "ok", "failed: <field>; <field>…" (the figures or CID
 * that do not match the chain, or why the bytes are not a bill), or "unavailable: <reason>" (no store, not
 * found, unreachable, or the chain could not be read).
 */
export async function checkRecordedBill(client: GridLedgerClient, store: BillStore | undefined, e: EventOf<"BillRecorded">, signal?: AbortSignal): Promise<string> {
  const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();
  if (!store) return "unavailable: no bill store";
  let bytes: Uint8Array;
  try {
    bytes = await store.get(e.cid, { maxBytes: MAX_BILL_BYTES, signal });
  } catch (error) {
    return `unavailable: ${oneLine((error as Error).message)}`;
  }
  try {
    const result = await verifyBillBytes(client, e.purchaseId, bytes, { cid: e.cid, producerAmount: e.producerAmount, refund: e.refund });
    if (result.ok) return "ok";
    const reasons = result.mismatches.map((m) => m.field);
    if (result.error) reasons.push(oneLine(result.error));
    return `failed: ${reasons.join("; ")}`;
  } catch (error) {
    return `unavailable: the chain could not be read to check it (${oneLine((error as Error).message)})`;
  }
}

/** One CSV field, quoted when it holds a comma, a quote, CR or LF (quotes doubled), per RFC 4180. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV record, CRLF-terminated. */
export function csvLine(values: readonly string[]): string {
  return values.map(csvField).join(",") + "\r\n";
}

/** A row as a JSON object: the same columns and strings, null where a column does not apply. */
export function jsonRow(row: ExportRow): string {
  return JSON.stringify(Object.fromEntries(EXPORT_COLUMNS.map((c) => [c, row[c] === "" ? null : row[c]])));
}

async function blockTimes(client: GridLedgerClient, blocks: number[]): Promise<Map<number, bigint>> {
  const times = new Map<number, bigint>();
  for (let i = 0; i < blocks.length; i += 8) {
    const chunk = blocks.slice(i, i + 8);
    const headers = await Promise.all(chunk.map((n) => client.provider.getBlock(n)));
    headers.forEach((h, j) => {
      if (!h) throw new Error(`export: block ${chunk[j]} not found`);
      times.set(chunk[j], BigInt(h.timestamp));
    });
  }
  return times;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) {
    const error = new Error("export aborted");
    error.name = "AbortError";
    throw error;
  }
}
