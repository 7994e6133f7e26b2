import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { billBytes, buildBill, canonicalJson, parseBill, renderBillHtml } from "../../src/bill.js";
import { openBillStore, type BillStore } from "../../src/billStore.js";
import { verifyBill, verifyBillBytes } from "../../src/verifyBill.js";
import { deliveredPurchase, ledgerFixture, RATE } from "./ledgerFixture.js";

let dir: string;
let store: BillStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "gridledger-bill-"));
  store = await openBillStore({ kind: "embedded", dataDir: dir });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe("bills", () => {
  it("builds the same bytes from the same chain data, with every figure of the purchase", async () => {
    const f = await ledgerFixture();
    const { purchaseId, offerId } = await deliveredPurchase(f, 5_000n, 4_000n);
    await f.purchaser.acknowledgeTransfer({ purchaseId, index: 0 });
    const bill = await buildBill(f.producer, purchaseId);
    expect(billBytes(await buildBill(f.reader, purchaseId))).toEqual(billBytes(bill));
    expect(bill).toMatchObject({
      chainId: "31337",
      contract: f.address,
      purchaseId: purchaseId.toString(),
      producer: f.accounts.producer.address,
      purchaser: f.accounts.purchaser.address,
      offer: { offerId: offerId.toString(), capacity: "100000", location: "North substation", rate: RATE.toString() },
      purchase: { quantity: "5000", cost: (5_000n * RATE).toString() },
      settlement: { delivered: "4000", withheld: "0", producerAmount: (4_000n * RATE).toString(), refund: (1_000n * RATE).toString() },
    });
    expect(bill.transfers).toHaveLength(1);
    expect(bill.transfers[0]).toMatchObject({ index: 0, meter: f.accounts.meter.address, device: "inverter-1", amount: "4000", state: "acknowledged" });
    expect(bill.transfers[0].mined.transactionHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(parseBill(billBytes(bill))).toEqual(bill);
    expect(renderBillHtml(bill, "bafy-test")).toContain("Bill for purchase 1");
  });

  it("canonical JSON sorts keys and has one encoding per value", () => {
    expect(canonicalJson({ b: 1n, a: [true, null, "x"], c: { z: 1, y: 2 } })).toBe('{"a":[true,null,"x"],"b":"1","c":{"y":2,"z":1}}');
  });

  it("build → store → record → verify passes, and the settlement matches what was paid", async () => {
    const f = await ledgerFixture();
    const { purchaseId } = await deliveredPurchase(f, 5_000n, 3_000n);
    await f.purchaser.acknowledgeTransfer({ purchaseId, index: 0 });
    const cid = await store.put(billBytes(await buildBill(f.producer, purchaseId)));
    await f.producer.recordBill({ purchaseId, cid });
    const result = await verifyBill(f.reader, store, purchaseId);
    expect(result).toEqual({ purchaseId, cid, ok: true, mismatches: [] });
    expect(await f.reader.balanceOf(f.accounts.producer.address)).toBe(3_000n * RATE);
  });

  it("lists disputes and their outcomes", async () => {
    const f = await ledgerFixture();
    const { purchaseId } = await deliveredPurchase(f, 5_000n, 2_000n);
    const now = BigInt(await f.networkHelpers.time.latest());
    await f.meter.recordTransfer({ purchaseId, meter: f.accounts.meter.address, amount: 1_000n, start: now - 600n, end: now, device: "inverter-1" });
    await f.purchaser.disputeTransfer({ purchaseId, index: 0, reason: 1 });
    await f.purchaser.disputeTransfer({ purchaseId, index: 1, reason: 2 });
    await f.operator.resolveDispute({ purchaseId, index: 0, upheld: true });
    await f.operator.resolveDispute({ purchaseId, index: 1, upheld: false });
    const bill = await buildBill(f.producer, purchaseId);
    expect(bill.disputes.map(({ index, reason, outcome, expired }) => ({ index, reason, outcome, expired }))).toEqual([
      { index: 0, reason: 1, outcome: "upheld", expired: false },
      { index: 1, reason: 2, outcome: "rejected", expired: false },
    ]);
    expect(bill.settlement).toMatchObject({ delivered: "3000", withheld: "2000", producerAmount: (1_000n * RATE).toString() });
  });

  it("detects a tampered bill: its bytes do not hash to the recorded CID", async () => {
    const f = await ledgerFixture();
    const { purchaseId } = await deliveredPurchase(f);
    await f.purchaser.acknowledgeTransfer({ purchaseId, index: 0 });
    const bytes = billBytes(await buildBill(f.producer, purchaseId));
    const cid = await store.put(bytes);
    await f.producer.recordBill({ purchaseId, cid });
    const tampered = new TextEncoder().encode(new TextDecoder().decode(bytes).replace('"quantity":"5000"', '"quantity":"5001"'));
    const result = await verifyBillBytes(f.reader, purchaseId, tampered);
    expect(result.ok).toBe(false);
    expect(result.mismatches.map((m) => m.field)).toEqual(["cid", "purchase.quantity"]);
    expect(result.mismatches[1]).toEqual({ field: "purchase.quantity", bill: "5001", chain: "5000" });
  });

  it("detects a wrong figure in a bill whose CID was recorded as is", async () => {
    const f = await ledgerFixture();
    const { purchaseId } = await deliveredPurchase(f, 5_000n, 4_000n);
    await f.purchaser.acknowledgeTransfer({ purchaseId, index: 0 });
    const bill = await buildBill(f.producer, purchaseId);
    const wrong = { ...bill, transfers: [{ ...bill.transfers[0], amount: "5000" }], settlement: { ...bill.settlement, refund: "0" } };
    const cid = await store.put(billBytes(wrong));
    await f.producer.recordBill({ purchaseId, cid });
    const result = await verifyBill(f.reader, store, purchaseId);
    expect(result.ok).toBe(false);
    expect(result.mismatches).toEqual([
      { field: "transfers.0.amount", bill: "5000", chain: "4000" },
      { field: "settlement.refund", bill: "0", chain: (1_000n * RATE).toString() },
      { field: "settlement.refund (paid)", bill: "0", chain: (1_000n * RATE).toString() },
    ]);
  });

  it("says so when a purchase has no bill", async () => {
    const f = await ledgerFixture();
    const { purchaseId } = await deliveredPurchase(f);
    expect(await verifyBill(f.reader, store, purchaseId)).toMatchObject({ ok: false, error: `purchase ${purchaseId} has no bill recorded` });
  });
});
