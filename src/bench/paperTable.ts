/**
 * The paper's cost and capacity table, recomputed from measured gas: the fee of each event at the paper's gas
 * prices (3, 4.5 and 20 gwei) next to its fees for 54,246 gas, and how many events one deployment could record a day
 * on a public chain, from its block gas limit and slot time, next to the paper's 1,440–2,880 pushes a day.
 */
import { z } from "zod";
import { PAPER_GAS_PER_PUSH } from "./gas.js";

/** The paper's gas prices, gwei, and its fee per push at each, ETH (54,246 gas × price, rounded by the paper). */
export const PAPER_FEES = [
  { gwei: "3", paperEth: 0.000163 },
  { gwei: "4.5", paperEth: 0.000244 },
  { gwei: "20", paperEth: 0.001085 },
] as const;
/** The paper's pushes a day: one every 60 s to one every 30 s. */
export const PAPER_PUSHES_PER_DAY = { low: 1_440, high: 2_880 } as const;

/**
 * Sepolia's block gas limit and slot time. The limit was raised to 60M gas on Sepolia and Hoodi in 2025
 * (https://ethpandaops.io/posts/60m-gas-sepolia-hoodi); slots are 12 s on every Ethereum chain since the Merge.
 */
export const SEPOLIA = {
  name: "Sepolia",
  blockGasLimit: 60_000_000,
  slotSeconds: 12,
  source: "https://ethpandaops.io/posts/60m-gas-sepolia-hoodi",
} as const;

export const chainParameters = z.object({
  name: z.string().min(1, "must not be empty"),
  blockGasLimit: z.number().int("must be a whole number of gas").min(21_000, "must be at least 21,000 gas (one transaction)").max(10 ** 10, "must be at most 10,000,000,000 gas"),
  slotSeconds: z.number().positive("must be more than 0 seconds").max(3_600, "must be at most 3,600 seconds"),
  source: z.string(),
});
export type ChainParameters = z.infer<typeof chainParameters>;

export interface PaperTableRow {
  event: string;
  gas: number;
  /** Fee in ETH at each of the paper's gas prices, keyed by gwei. */
  feeEth: Record<string, number>;
  /** Events of this kind one block holds, and a day of full blocks holds. */
  perBlock: number;
  perDay: number;
  /** The same at the chain's gas target (half the limit), where the base fee stops rising: the sustainable rate. */
  perDayAtTarget: number;
}

export interface PaperTable {
  paperGasPerPush: number;
  paperFees: typeof PAPER_FEES;
  paperPushesPerDay: typeof PAPER_PUSHES_PER_DAY;
  chain: ChainParameters;
  blocksPerDay: number;
  rows: PaperTableRow[];
}

/** The fee of `gas` (a fraction for a batched reading's share) at `gwei` (a decimal such as "4.5"), ETH, rounded to the wei. */
export function feeEth(gas: number, gwei: string): number {
  const wei = Math.round(gas * Number(gwei) * 1e9);
  return wei / 1e18;
}

/** The table for `events` (name → gas), the paper's push first, on `chain` (Sepolia by default). */
export function paperTable(events: Record<string, number>, chain: ChainParameters = SEPOLIA): PaperTable {
  const parsed = chainParameters.parse(chain);
  const blocksPerDay = Math.floor(86_400 / parsed.slotSeconds);
  const row = (event: string, gas: number): PaperTableRow => {
    const perBlock = Math.floor(parsed.blockGasLimit / gas);
    return {
      event,
      gas,
      feeEth: Object.fromEntries(PAPER_FEES.map((p) => [p.gwei, feeEth(gas, p.gwei)])),
      perBlock,
      perDay: perBlock * blocksPerDay,
      perDayAtTarget: Math.floor(parsed.blockGasLimit / 2 / gas) * blocksPerDay,
    };
  };
  return {
    paperGasPerPush: PAPER_GAS_PER_PUSH,
    paperFees: PAPER_FEES,
    paperPushesPerDay: PAPER_PUSHES_PER_DAY,
    chain: parsed,
    blocksPerDay,
    rows: [row("paper: one push", PAPER_GAS_PER_PUSH), ...Object.entries(events).map(([event, gas]) => row(event, gas))],
  };
}
