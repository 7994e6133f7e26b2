/**
 * What an account is on the ledger, from chain data alone: a producer owns offers or authorised meters, a
 * meter is active for a producer (meterOf), a purchaser has bought, the operator resolves disputes.
 */
import type { GridLedgerClient, Meter } from "../../../src/ledgerClient.js";
import { sameAddress } from "../format.js";

export interface Roles {
  producer: boolean;
  meter: boolean;
  purchaser: boolean;
  operator: boolean;
  /** The account's meter record (producer and rated power) when it is a meter. */
  meterRecord: Meter;
}

export async function deriveRoles(reader: GridLedgerClient, account: string): Promise<Roles> {
  const [offers, meters, purchases, meterRecord, operator] = await Promise.all([
    reader.history({ kinds: ["OfferOpened"], producer: account }, { size: 1 }),
    reader.history({ kinds: ["MeterAuthorized"], producer: account }, { size: 1 }),
    reader.history({ kinds: ["EnergyPurchased"], purchaser: account }, { size: 1 }),
    reader.meterOf(account),
    reader.operator(),
  ]);
  return {
    producer: offers.events.length > 0 || meters.events.length > 0,
    meter: meterRecord.active,
    purchaser: purchases.events.length > 0,
    operator: sameAddress(operator, account),
    meterRecord,
  };
}

export function roleNames(roles: Roles): string[] {
  const names: string[] = [];
  if (roles.producer) names.push("producer");
  if (roles.meter) names.push("meter");
  if (roles.purchaser) names.push("purchaser");
  if (roles.operator) names.push("operator");
  return names;
}
