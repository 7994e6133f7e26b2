/** Display helpers. Quantities are formatted exactly with the core's unit formatters. */
import { formatEnergy, formatEth, formatRate } from "../../src/units.js";

export { formatEnergy, formatEth, formatRate };

/** 0x1234…abcd */
export function shortHex(value: string, keep = 4): string {
  return value.length <= 2 + keep * 2 + 1 ? value : `${value.slice(0, 2 + keep)}…${value.slice(-keep)}`;
}

export function sameAddress(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

/** Gas with thousands separators. */
export function formatGas(gas: bigint): string {
  return gas.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Unix seconds as an ISO date-time in UTC, without milliseconds. */
export function formatTime(seconds: bigint | number): string {
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}

/** Unix seconds of now. */
export function nowSeconds(): bigint {
  return BigInt(Math.floor(Date.now() / 1000));
}

/** An ISO date-time (UTC, seconds) for a unix time: what the time fields show and accept. */
export function isoSeconds(seconds: bigint): string {
  return formatTime(seconds);
}
