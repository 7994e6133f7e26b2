/**
 * Fee data per provider, read from the node at most once per `maxAgeMs` and shared by every sender on that
 * provider. ethers' getFeeData costs three JSON-RPC calls (latest block, gas price, priority fee); a device
 * sending many transactions a second needs them once, not for every transaction. The fees it gives
 * (maxFeePerGas = 2 × base fee + priority fee) leave room for the base fee to rise for several full blocks, so
 * a second-old reading still prices a transaction into the next block; one that is underpriced anyway is
 * resubmitted with fresh, raised fees by the sender.
 */
import type { FeeData, Provider } from "ethers";

interface Entry {
  readAt: number;
  fees: Promise<FeeData>;
}

const cache = new WeakMap<Provider, Entry>();

/** The provider's fee data, at most `maxAgeMs` old (0: read now). A failed read is not kept. */
export function cachedFeeData(provider: Provider, maxAgeMs: number): Promise<FeeData> {
  if (maxAgeMs <= 0) return provider.getFeeData();
  const now = Date.now();
  const entry = cache.get(provider);
  if (entry && now - entry.readAt < maxAgeMs) return entry.fees;
  const fees = provider.getFeeData();
  const fresh: Entry = { readAt: now, fees };
  cache.set(provider, fresh);
  fees.catch(() => {
    if (cache.get(provider) === fresh) cache.delete(provider);
  });
  return fees;
}
