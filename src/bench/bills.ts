/**
 * Bills end to end, one after another as a producer's billing job would: build the bill from the chain, upload
 * it to IPFS (the embedded store), record its CID, and verify it (fetch by the on-chain CID, check every figure).
 */
import { Wallet, id as keccakText, type JsonRpcSigner } from "ethers";
import { billBytes, buildBill } from "../bill.js";
import type { BillStore } from "../billStore.js";
import { GridLedgerClient } from "../ledgerClient.js";
import { verifyBill } from "../verifyBill.js";
import { ChainClock } from "../sim/clock.js";
import { latencySummary } from "../sim/metrics.js";
import { deployGridLedger } from "../sim/localGrid.js";
import type { ReceiptPollingProvider } from "../sim/provider.js";
import { hex, rpcBatch } from "./rpc.js";

export interface BillsOptions {
  url: string;
  operator: JsonRpcSigner;
  provider: ReceiptPollingProvider;
  store: BillStore;
  count: number;
  log?: (line: string) => void;
}

type Summary = ReturnType<typeof latencySummary>;
export interface BillsResult {
  bills: number;
  verified: number;
  billsPerSec: number;
  stagesMs: { build: Summary; upload: Summary; record: Summary; verify: Summary; total: Summary };
  billBytes: Summary;
  store: string;
  method: string;
}

export async function measureBills(o: BillsOptions): Promise<BillsResult> {
  const { address, deployedAtBlock } = await deployGridLedger(o.operator);
  const wallet = (role: string) => new Wallet(keccakText(`gridledger-bench/bills/${role}`), o.provider);
  const producer = wallet("producer");
  const meter = wallet("meter");
  const purchaser = wallet("purchaser");
  await rpcBatch(o.url, [producer, meter, purchaser].map((w) => ({ method: "anvil_setBalance", params: [w.address, hex(10n ** 21n)] })));
  const options = { address, fromBlock: deployedAtBlock };
  const producerClient = await GridLedgerClient.connect(producer, options);
  const meterClient = await GridLedgerClient.connect(meter, options);
  const purchaserClient = await GridLedgerClient.connect(purchaser, options);
  const reader = await GridLedgerClient.connect(o.provider, options);

  // Not timed: purchases, each delivered in a one-minute window after them, and acknowledged.
  const { id: offerId } = await producerClient.openOffer({ capacity: 10n ** 9n, available: 9n * 10n ** 8n, rate: 200_000_000_000n, location: "Billing substation" });
  await producerClient.authorizeMeter({ meter: meter.address, ratedPower: 10_000n });
  const purchases = await Promise.all(Array.from({ length: o.count }, (_, i) => purchaserClient.purchase({ offerId, quantity: 100n + BigInt(i % 50) })));
  const clock = await ChainClock.connect(o.provider);
  const first = (await clock.now()) + 1n;
  await clock.reach(first + BigInt(o.count * 60) + 1n, Infinity);
  const indexes = await Promise.all(
    purchases.map((p, i) =>
      meterClient.recordTransfer({
        purchaseId: p.id,
        meter: meter.address,
        amount: 100n + BigInt(i % 50),
        start: first + BigInt(i * 60),
        end: first + BigInt(i * 60 + 60),
        device: "bench-inverter",
      }),
    ),
  );
  await Promise.all(purchases.map((p, i) => purchaserClient.acknowledgeTransfer({ purchaseId: p.id, index: indexes[i].id })));

  // Timed: each bill in turn.
  const ms = { build: [] as number[], upload: [] as number[], record: [] as number[], verify: [] as number[], total: [] as number[] };
  const sizes: number[] = [];
  let verified = 0;
  const started = performance.now();
  for (const [i, p] of purchases.entries()) {
    const t0 = performance.now();
    const bytes = billBytes(await buildBill(producerClient, p.id));
    const t1 = performance.now();
    const cid = await o.store.put(bytes);
    const t2 = performance.now();
    await producerClient.recordBill({ purchaseId: p.id, cid });
    const t3 = performance.now();
    const check = await verifyBill(reader, o.store, p.id);
    const t4 = performance.now();
    if (check.ok) verified++;
    else o.log?.(`bills: purchase ${p.id} did not verify: ${check.error ?? check.mismatches.map((m) => m.field).join(", ")}`);
    ms.build.push(t1 - t0);
    ms.upload.push(t2 - t1);
    ms.record.push(t3 - t2);
    ms.verify.push(t4 - t3);
    ms.total.push(t4 - t0);
    sizes.push(bytes.length);
    if ((i + 1) % 25 === 0) o.log?.(`bills: ${i + 1}/${o.count}`);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    bills: o.count,
    verified,
    billsPerSec: Math.round((o.count / seconds) * 100) / 100,
    stagesMs: {
      build: latencySummary(ms.build),
      upload: latencySummary(ms.upload),
      record: latencySummary(ms.record),
      verify: latencySummary(ms.verify),
      total: latencySummary(ms.total),
    },
    billBytes: latencySummary(sizes),
    store: o.store.kind,
    method:
      `${o.count} purchases, each delivered and acknowledged beforehand (not timed). Then per bill, one after another: build ` +
      "(buildBill: the purchase, its offer, its events, from the chain), upload (the embedded Helia store: put and pin), " +
      "record (recordBill through GridLedgerClient, until the receipt), verify (verifyBill: fetch by the on-chain CID, " +
      "rebuild from the chain, compare). Bills/s is bills over the wall time of the whole sequence.",
  };
}
