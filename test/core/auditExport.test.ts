import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { csvField, EXPORT_COLUMNS, exportRecords, type ExportProgress } from "../../src/auditExport.js";
import { billBytes, buildBill } from "../../src/bill.js";
import { openBillStore, type BillStore } from "../../src/billStore.js";
import { cidOfBytes } from "../../src/cid.js";
import { parseLedgerLog, type LedgerEvent } from "../../src/events.js";
import type { Filter } from "ethers";
import { ledgerFixture, RATE, type LedgerFixture } from "./ledgerFixture.js";
import { parseCsv } from "../support/csv.js";

const LOCATION = 'Dock 7, "North" bay';
const DEVICE = 'inv-1, "east"\r\nrack 2';

let f: LedgerFixture;
let dir: string;
let store: BillStore;
let head: number;
let ids: { good: bigint; tampered: bigint; missing: bigint };

/** A purchase delivered (amount of quantity) and acknowledged: ready for its bill. */
async function delivered(offerId: bigint, quantity: bigint, amount: bigint, device = "inverter-1") {
  const { id: purchaseId } = await f.purchaser.purchase({ offerId, quantity });
  const start = BigInt(await f.networkHelpers.time.latest());
  await f.networkHelpers.time.increase(3_600);
  await f.meter.recordTransfer({ purchaseId, meter: f.accounts.meter.address, amount, start, end: start + 3_600n, device });
  await f.purchaser.acknowledgeTransfer({ purchaseId, index: 0 });
  return purchaseId;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "gridledger-export-"));
  store = await openBillStore({ kind: "embedded", dataDir: dir });
  f = await ledgerFixture();
  await f.producer.authorizeMeter({ meter: f.accounts.meter.address, ratedPower: 10_000n });
  const { id: offerId } = await f.producer.openOffer({ capacity: 100_000n, available: 80_000n, rate: RATE, location: LOCATION });
  await f.meter.recordStorage({ offerId, available: 75_000n });
  await f.producer.recordStorage({ offerId, available: 70_000n });

  // A bill recorded as built: ok.
  const good = await delivered(offerId, 5_000n, 4_000n, DEVICE);
  await f.producer.recordBill({ purchaseId: good, cid: await store.put(billBytes(await buildBill(f.producer, good))) });
  // A bill with a wrong figure whose CID was recorded as is: failed.
  const tampered = await delivered(offerId, 3_000n, 3_000n);
  const bill = await buildBill(f.producer, tampered);
  const wrong = { ...bill, transfers: [{ ...bill.transfers[0], amount: "2999" }] };
  await f.producer.recordBill({ purchaseId: tampered, cid: await store.put(billBytes(wrong)) });
  // A bill whose bytes were never stored: unavailable.
  const missing = await delivered(offerId, 1_000n, 1_000n);
  await f.producer.recordBill({ purchaseId: missing, cid: await cidOfBytes(billBytes(await buildBill(f.producer, missing))) });
  // A disputed transfer, upheld; a withdrawal; a closed offer; a revoked meter; a new operator.
  const { id: disputed } = await f.purchaser.purchase({ offerId, quantity: 500n });
  const now = BigInt(await f.networkHelpers.time.latest());
  await f.networkHelpers.time.increase(600);
  await f.meter.recordTransfer({ purchaseId: disputed, meter: f.accounts.meter.address, amount: 500n, start: now, end: now + 600n, device: "inverter-1" });
  await f.purchaser.disputeTransfer({ purchaseId: disputed, index: 0, reason: 2 });
  await f.operator.resolveDispute({ purchaseId: disputed, index: 0, upheld: true });
  await f.producer.withdraw();
  await f.producer.closeOffer({ offerId });
  await f.producer.revokeMeter({ meter: f.accounts.meter.address });
  await f.operator.transferOperator({ newOperator: f.accounts.other.address });
  ids = { good, tampered, missing };
  head = Number(await f.ethers.provider.send("eth_blockNumber", []));
}, 120_000);

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs an export into a string. */
async function exported(format: "csv" | "json", pageBlocks?: number, onProgress?: (p: ExportProgress) => void, s: BillStore | null = store) {
  let text = "";
  const summary = await exportRecords(f.reader, s ?? undefined, { fromBlock: 0, toBlock: head, format, pageBlocks, onProgress, write: async (chunk) => void (text += chunk) });
  return { text, summary };
}

const asObjects = (rows: string[][]) => rows.slice(1).map((r) => Object.fromEntries(rows[0].map((c, i) => [c, r[i]])));

describe("audit export", () => {
  it("reads a range in pages and matches the chain record for record", async () => {
    const logs = await f.ethers.provider.getLogs({ address: f.address, fromBlock: 0, toBlock: head });
    const chain = logs.map((l) => parseLedgerLog(l)).filter((e): e is LedgerEvent => e !== undefined);
    expect(chain.length).toBeGreaterThanOrEqual(25);

    // Every getLogs call is one page, and each page's rows are written before the next page is read.
    const order: string[] = [];
    const getLogs = f.reader.provider.getLogs.bind(f.reader.provider);
    const spy = vi.spyOn(f.reader.provider, "getLogs").mockImplementation(async (f0) => {
      const filter = f0 as Filter;
      // The export's page reads name no topics (the bill checks' reads do).
      if (!filter.topics) order.push(`page ${filter.fromBlock}-${filter.toBlock}`);
      return getLogs(filter);
    });
    const progress: ExportProgress[] = [];
    let text = "";
    try {
      await exportRecords(f.reader, store, {
        fromBlock: 0,
        toBlock: head,
        format: "csv",
        pageBlocks: 4,
        onProgress: (p) => progress.push(p),
        write: async (chunk) => {
          text += chunk;
          order.push("row");
        },
      });
    } finally {
      spy.mockRestore();
    }
    const pages = order.filter((o) => o.startsWith("page"));
    expect(pages.slice(0, 3)).toEqual(["page 0-3", "page 4-7", "page 8-11"]);
    expect(pages).toHaveLength(Math.ceil((head + 1) / 4));
    // Reads interleave with writes: never all pages first.
    expect(order.indexOf("page 8-11")).toBeGreaterThan(order.indexOf("row", order.indexOf("page 4-7")));
    expect(progress.map((p) => p.blocksDone)).toEqual(pages.map((_, i) => Math.min(head + 1, (i + 1) * 4)));
    expect(progress.at(-1)).toMatchObject({ blocksTotal: head + 1, records: chain.length });

    const rows = asObjects(parseCsv(text));
    expect(rows.map((r) => [r.kind, r.block_number, r.log_index, r.transaction_hash])).toEqual(
      chain.map((e) => [e.kind, String(e.blockNumber), String(e.logIndex), e.transactionHash]),
    );
    // The same bytes in one page as in many.
    expect((await exported("csv", 1_000_000)).text).toBe(text);
  });

  it("fills each kind's columns", async () => {
    const rows = asObjects(parseCsv((await exported("csv", 7)).text));
    const block = await f.ethers.provider.getBlock(Number(rows[0].block_number));
    expect(rows[0]).toMatchObject({ kind: "OperatorTransferred", record_id: f.accounts.operator.address, block_time: String(block!.timestamp) });
    const purchase = rows.find((r) => r.kind === "EnergyPurchased")!;
    expect(purchase).toMatchObject({ record_id: "1", offer_id: "1", purchase_id: "1", amount_wh: "5000", rate_wei_per_wh: RATE.toString(), cost_wei: (5_000n * RATE).toString(), purchaser: f.accounts.purchaser.address });
    const transfer = rows.find((r) => r.kind === "EnergyTransferred")!;
    expect(transfer).toMatchObject({ record_id: "1:0", offer_id: "1", transfer_index: "0", meter: f.accounts.meter.address, amount_wh: "4000", device: DEVICE });
    expect(Number(transfer.end) - Number(transfer.start)).toBe(3_600);
    expect(rows.find((r) => r.kind === "TransferDisputed")).toMatchObject({ record_id: "4:0", dispute_reason: "2", outcome: "disputed" });
    expect(rows.find((r) => r.kind === "DisputeResolved")).toMatchObject({ record_id: "4:0", offer_id: "1", outcome: "upheld" });
    expect(rows.find((r) => r.kind === "StorageRecorded")).toMatchObject({ record_id: "1", recorder: f.accounts.meter.address, amount_wh: "75000" });
    expect(rows.find((r) => r.kind === "MeterAuthorized")).toMatchObject({ record_id: f.accounts.meter.address, rated_power_w: "10000" });
    expect(rows.find((r) => r.kind === "Withdrawn")).toMatchObject({ account: f.accounts.producer.address, withdrawn_wei: ((4_000n + 3_000n + 1_000n) * RATE).toString() });
  });

  it("re-checks every recorded bill: ok, failed with the wrong fields, unavailable", async () => {
    const { text, summary } = await exported("csv", 50);
    const bills = asObjects(parseCsv(text)).filter((r) => r.kind === "BillRecorded");
    expect(bills.map((r) => [r.record_id, r.bill_verification.replace(/:.*/s, "")])).toEqual([
      [ids.good.toString(), "ok"],
      [ids.tampered.toString(), "failed"],
      [ids.missing.toString(), "unavailable"],
    ]);
    expect(bills[1].bill_verification).toBe("failed: transfers.0.amount");
    expect(bills[2].bill_verification).toMatch(/^unavailable: CID not found in the embedded store/);
    expect(bills[0].bill_cid).toMatch(/^bafkrei/);
    expect(bills[1]).toMatchObject({ producer_amount_wei: (3_000n * RATE).toString(), refund_wei: "0" });
    expect(summary.bills).toEqual({ ok: 1, failed: 1, unavailable: 1, unchecked: 0 });
    // Without a store, every bill is unavailable.
    const none = asObjects(parseCsv((await exported("csv", 50, undefined, null)).text)).filter((r) => r.kind === "BillRecorded");
    expect(none.map((r) => r.bill_verification)).toEqual(Array(3).fill("unavailable: no bill store"));
  });

  it("quotes commas, quotes and line breaks in device and location (RFC 4180)", async () => {
    const { text } = await exported("csv");
    expect(text.startsWith(EXPORT_COLUMNS.join(",") + "\r\n")).toBe(true);
    expect(text).toContain(`,"Dock 7, ""North"" bay",`);
    expect(text).toContain(`,"inv-1, ""east""\r\nrack 2",`);
    const rows = asObjects(parseCsv(text));
    expect(rows.find((r) => r.kind === "OfferOpened")!.location).toBe(LOCATION);
    expect(rows.filter((r) => r.device === DEVICE)).toHaveLength(1);
    expect(csvField("plain")).toBe("plain");
    expect(csvField('a"b')).toBe('"a""b"');
  });

  it("JSON is one array with the same rows (null where a column does not apply)", async () => {
    const csv = asObjects(parseCsv((await exported("csv", 5)).text));
    const { text } = await exported("json", 5);
    const rows = JSON.parse(text) as Record<string, string | null>[];
    expect(rows).toHaveLength(csv.length);
    expect(Object.keys(rows[0])).toEqual([...EXPORT_COLUMNS]);
    expect(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v ?? ""])))).toEqual(csv);
    expect(rows.find((r) => r.kind === "OfferOpened")).toMatchObject({ location: LOCATION, device: null, meter: null });
    // An empty range is an empty array.
    let empty = "";
    await exportRecords(f.reader, store, { fromBlock: head + 1, toBlock: head + 1, format: "json", write: async (c) => void (empty += c) });
    expect(JSON.parse(empty)).toEqual([]);
  });

  it("splits a page the node refuses, and still exports everything", async () => {
    const reference = (await exported("csv", 1_000_000)).text;
    const getLogs = f.reader.provider.getLogs.bind(f.reader.provider);
    const spy = vi.spyOn(f.reader.provider, "getLogs").mockImplementation(async (f0) => {
      const filter = f0 as Filter;
      // The export's page reads name no topics; the bill checks' reads do, and are left alone.
      if (!filter.topics && Number(filter.toBlock) - Number(filter.fromBlock) + 1 > 3) throw new Error("query returned more than 10000 results");
      return getLogs(filter);
    });
    try {
      expect((await exported("csv", 16)).text).toBe(reference);
    } finally {
      spy.mockRestore();
    }
  });
});
