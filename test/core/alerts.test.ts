import { describe, expect, it } from "vitest";
import { alerts, alertsInRange, type Alert, type AlertCursor } from "../../src/alerts.js";
import { eventKey } from "../../src/events.js";
import { deliveredPurchase, ledgerFixture, type LedgerFixture } from "./ledgerFixture.js";

const CID = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4";

/** Collects alerts until `stopAfter` arrived (or the signal aborts), bounded by `timeoutMs`. */
async function collect(f: LedgerFixture, address: string, after: AlertCursor | undefined, stopAfter: number, timeoutMs = 20_000) {
  const got: Alert[] = [];
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  for await (const alert of alerts(f.reader, address, { after, pollMs: 20, signal: controller.signal })) {
    got.push(alert);
    if (got.length >= stopAfter) controller.abort();
  }
  clearTimeout(timer);
  return got;
}

describe("alerts", () => {
  it("delivers every alert once across a reconnect in the middle", async () => {
    const f = await ledgerFixture();
    const purchaser = f.accounts.purchaser.address;
    // 4 of 5 kWh delivered: the bill refunds 1 kWh, which the purchaser withdraws live.
    const { purchaseId } = await deliveredPurchase(f, 5_000n, 4_000n);

    // Connected: catch up from the start, then leave after the second alert.
    const first = await collect(f, purchaser, { block: 0, logIndex: -1 }, 2);
    expect(first.map((a) => a.event.kind)).toEqual(["EnergyPurchased", "EnergyTransferred"]);

    // While disconnected: acknowledgement, bill, a withdrawal and a second purchase.
    await f.purchaser.acknowledgeTransfer({ purchaseId, index: 0 });
    await f.producer.recordBill({ purchaseId, cid: CID });
    await deliveredPurchase(f, 1_000n);

    // Reconnect right behind the last alert handled; live alerts keep coming after the catch-up.
    const resume = first.at(-1)!.cursor;
    const livePurchase = (async () => {
      await new Promise((r) => setTimeout(r, 200));
      await f.purchaser.withdraw();
    })();
    const second = await collect(f, purchaser, resume, 5);
    await livePurchase;

    const latest = Number(await f.ethers.provider.send("eth_blockNumber", []));
    const expected = await alertsInRange(f.reader, purchaser, 0, latest);
    const delivered = [...first, ...second];
    expect(delivered.map((a) => eventKey(a.event))).toEqual(expected.map((a) => eventKey(a.event)));
    expect(new Set(delivered.map((a) => eventKey(a.event))).size).toBe(delivered.length);
    expect(second.map((a) => a.event.kind)).toEqual(["TransferAcknowledged", "BillRecorded", "EnergyPurchased", "EnergyTransferred", "Withdrawn"]);
  });

  it("tells each side how an event concerns it: producer, meter, purchaser, operator", async () => {
    const f = await ledgerFixture();
    const { purchaseId } = await deliveredPurchase(f);
    await f.purchaser.disputeTransfer({ purchaseId, index: 0, reason: 1 });
    const latest = Number(await f.ethers.provider.send("eth_blockNumber", []));
    const kindsFor = async (address: string) =>
      (await alertsInRange(f.reader, address, 0, latest)).map((a) => `${a.event.kind}:${a.roles.join("+")}`);

    expect(await kindsFor(f.accounts.producer.address)).toEqual([
      "MeterAuthorized:producer",
      "OfferOpened:producer",
      "EnergyPurchased:producer",
      "EnergyTransferred:producer",
      "TransferDisputed:producer",
    ]);
    expect(await kindsFor(f.accounts.meter.address)).toEqual(["MeterAuthorized:meter", "EnergyTransferred:meter"]);
    expect(await kindsFor(f.accounts.purchaser.address)).toEqual([
      "EnergyPurchased:purchaser",
      "EnergyTransferred:purchaser",
      "TransferDisputed:purchaser",
    ]);
    expect(await kindsFor(f.accounts.operator.address)).toEqual(["OperatorTransferred:operator", "TransferDisputed:operator"]);
    expect(await kindsFor(f.accounts.other.address)).toEqual([]);
  });
});
