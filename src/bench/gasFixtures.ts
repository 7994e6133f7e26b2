/** The figures and accounts every gas measurement uses, so that the gas and rule-cost benches price the same cycle. */
import type { Signer } from "ethers";

export const RATE = 200_000_000_000n; // 0.0002 ETH per kWh, in wei per Wh
export const QUANTITY = 5_000n; // 5 kWh
export const WINDOW_S = 60;
export const RATED_POWER = 10_000_000n; // 10 MW: 5 kWh fits in a one-minute window
/** The deployment's windows for the bench: 24 h to dispute, 72 h to resolve, 7 days to bill. */
export const BENCH_WINDOWS = [86_400, 3 * 86_400, 7 * 86_400] as const;

export interface GasSigners {
  operator: Signer;
  producer: Signer;
  meter: Signer;
  purchaser: Signer;
  baselineUser: Signer;
}
