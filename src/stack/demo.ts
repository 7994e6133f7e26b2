/**
 * `npm start -- --demo`: seeds a small grid so a new user sees data at once: 3 producers with a meter each,
 * 5 purchasers, complete cycles with bills on IPFS, one purchase still awaiting acknowledgement, and one
 * anchored batch of a meter's signed readings (for the audit view's reading proofs).
 */
import type { JsonRpcProvider } from "ethers";
import { Aggregator } from "../aggregator.js";
import { billBytes, buildBill } from "../bill.js";
import type { BillStore } from "../billStore.js";
import { GridLedgerClient } from "../ledgerClient.js";
import { READING_KIND, readingDomain, signReading } from "../readings.js";

/** Dev-account indexes on the local chain (anvil's unlocked accounts): 0 is the operator. */
export const DEMO_ROLES = { producers: [1, 2, 3], meters: [4, 5, 6], purchasers: [7, 8, 9, 10, 11] } as const;
export const DEMO_ACCOUNTS = 12;

const OFFERS = [
  { location: "North substation", capacity: 100_000n, available: 80_000n, rate: 200_000_000_000n },
  { location: "Solar farm east", capacity: 60_000n, available: 45_000n, rate: 150_000_000_000n },
  { location: "Wind park west", capacity: 150_000n, available: 120_000n, rate: 250_000_000_000n },
];

export async function seedDemo(
  provider: JsonRpcProvider,
  address: string,
  store: BillStore,
  log: (line: string) => void,
  /** Where the demo's reading aggregator keeps its state, so a later `gridledger aggregate` continues it. */
  aggregatorDir: string,
): Promise<{ seeded: boolean }> {
  const client = async (index: number) => GridLedgerClient.connect(await provider.getSigner(index), { address });
  const reader = await GridLedgerClient.connect(provider, { address });
  if ((await reader.counts()).offers > 0n) {
    log("demo: the ledger already holds records; nothing seeded");
    return { seeded: false };
  }
  const producers = await Promise.all(DEMO_ROLES.producers.map(client));
  const meters = await Promise.all(DEMO_ROLES.meters.map(client));
  const purchasers = await Promise.all(DEMO_ROLES.purchasers.map(client));
  const offerIds: bigint[] = [];
  for (const [i, producer] of producers.entries()) {
    await producer.authorizeMeter({ meter: await meters[i].account(), ratedPower: 10_000n });
    const { id } = await producer.openOffer(OFFERS[i]);
    offerIds.push(id);
    await meters[i].recordStorage({ offerId: id, available: OFFERS[i].available - 1_000n });
  }
  log(`demo: 3 producers opened offers ${offerIds.join(", ")}; each has a 10 kW meter`);

  const purchases: { purchaseId: bigint; p: number; quantity: bigint; purchasedAt: bigint }[] = [];
  for (const [j, purchaser] of purchasers.entries()) {
    const p = j % producers.length;
    const quantity = BigInt(2_000 + 1_000 * j);
    const { id: purchaseId } = await purchaser.purchase({ offerId: offerIds[p], quantity });
    purchases.push({ purchaseId, p, quantity, purchasedAt: (await reader.purchaseOf(purchaseId)).purchasedAt });
  }
  // Deliveries take time: move the local chain's clock three hours on, then record one-hour windows,
  // back to back per meter, after each purchase (10 kW for an hour is 10 kWh).
  await provider.send("evm_increaseTime", [3 * 3600]);
  await provider.send("evm_mine", []);
  const nextWindow = new Map<number, bigint>();
  for (const [j, { purchaseId, p, quantity, purchasedAt }] of purchases.entries()) {
    const previous = nextWindow.get(p) ?? 0n;
    const start = previous > purchasedAt ? previous : purchasedAt;
    nextWindow.set(p, start + 3600n);
    const meter = meters[p];
    const { id: index } = await meter.recordTransfer({
      purchaseId,
      meter: await meter.account(),
      amount: quantity,
      start,
      end: start + 3600n,
      device: `inverter-${p + 1}`,
    });
    if (j === purchases.length - 1) {
      log(`demo: purchase ${purchaseId} delivered, awaiting the purchaser's acknowledgement`);
      continue;
    }
    await purchasers[j].acknowledgeTransfer({ purchaseId, index });
    const cid = await store.put(billBytes(await buildBill(producers[p], purchaseId)));
    await producers[p].recordBill({ purchaseId, cid });
    log(`demo: purchase ${purchaseId} delivered, acknowledged and billed (${cid})`);
  }

  // The first meter's signed readings behind the first delivery: four quarter-hour energy readings of
  // purchase 1, then the offer's storage level; the core aggregator stores the batch file and anchors it.
  const first = purchases[0];
  const domain = readingDomain(reader.chainId, address);
  const energy = first.quantity / 4n;
  const windowStart = first.purchasedAt;
  const meterSigner = await provider.getSigner(DEMO_ROLES.meters[0]);
  const readings = [];
  for (let i = 0n; i < 4n; i++) {
    const start = windowStart + i * 900n;
    readings.push(await signReading(meterSigner, domain, { kind: READING_KIND.energy, subject: first.purchaseId, value: energy, start, end: start + 900n, seq: i + 1n }));
  }
  const { available } = await reader.offer(offerIds[0]);
  const storageAt = windowStart + 3600n;
  readings.push(await signReading(meterSigner, domain, { kind: READING_KIND.storage, subject: offerIds[0], value: available, start: storageAt, end: storageAt + 60n, seq: 5n }));
  const aggregator = await Aggregator.open({ client: await client(0), store, dataDir: aggregatorDir });
  await aggregator.submitMany(readings);
  const batch = await aggregator.flush();
  await aggregator.stop();
  if (!batch) throw new Error("demo: the aggregator had no readings to anchor");
  log(`demo: batch ${batch.batchId} anchored ${batch.count} signed readings of meter ${await meterSigner.getAddress()} (${batch.cid})`);
  return { seeded: true };
}
