/**
 * Simulated accounts: every producer, meter and purchaser has its own key, derived from the seed (and a salt
 * that keeps reruns against a persistent chain apart), and is funded before the run.
 */
import { id as keccakText, Wallet, type JsonRpcProvider, type Signer } from "ethers";
import type { Role } from "./plan.js";

/** A deterministic key for one simulated account. */
export function simKey(seed: string, salt: string, role: Role | string, index: number): string {
  return keccakText(`gridledger-sim/${seed}/${salt}/${role}/${index}`);
}

export function simWallet(provider: JsonRpcProvider, seed: string, salt: string, role: Role | string, index: number): Wallet {
  return new Wallet(simKey(seed, salt, role, index), provider);
}

/**
 * Gives every address at least `amount` wei: with anvil's (or Hardhat's) setBalance where the node has it,
 * else by transfers from `funder` (an unlocked development account, say).
 */
export async function fund(
  provider: JsonRpcProvider,
  addresses: readonly string[],
  amount: bigint,
  funder?: Signer,
): Promise<"setBalance" | "transfer"> {
  const hex = "0x" + amount.toString(16);
  try {
    await provider.send("anvil_setBalance", [addresses[0], hex]);
    await inBatches(addresses.slice(1), 32, (a) => provider.send("anvil_setBalance", [a, hex]));
    return "setBalance";
  } catch (error) {
    if (!/method|not found|not supported|unsupported/i.test((error as Error).message)) throw error;
  }
  const signer = funder ?? (await provider.getSigner(0).catch(() => undefined));
  if (!signer) throw new Error("cannot fund the simulated accounts: the node has no anvil_setBalance and no unlocked account");
  // One transfer after another: the funder's nonces stay in order whoever assigns them.
  for (const to of addresses) {
    const balance = await provider.getBalance(to);
    if (balance < amount) await (await signer.sendTransaction({ to, value: amount - balance })).wait();
  }
  return "transfer";
}

/** Runs `task` over `items`, at most `size` at a time. */
export async function inBatches<T, R>(items: readonly T[], size: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}
