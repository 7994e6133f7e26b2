/** Which purchases a party sees: a producer's (and its meters') sales, a purchaser's buys. Newest first. */
import type { GridLedgerClient } from "../../../src/ledgerClient.js";

export async function purchasesOfProducer(reader: GridLedgerClient, producer: string, size = 50): Promise<bigint[]> {
  const page = await reader.history({ kinds: ["EnergyPurchased"], producer }, { size });
  return page.events.map((e) => ("purchaseId" in e ? e.purchaseId : 0n)).filter((id) => id > 0n);
}

export async function purchasesOfPurchaser(reader: GridLedgerClient, purchaser: string, size = 50): Promise<bigint[]> {
  const page = await reader.history({ kinds: ["EnergyPurchased"], purchaser }, { size });
  return page.events.map((e) => ("purchaseId" in e ? e.purchaseId : 0n)).filter((id) => id > 0n);
}
