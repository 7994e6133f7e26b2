/**
 * One instance of something per provider, made on first use and dropped with the provider: the send queue and
 * the receipt poller are shared by every sender on a provider.
 */
import type { Provider } from "ethers";

/** A function giving the provider's instance, made by `make` the first time it is asked for. */
export function perProvider<T>(make: (provider: Provider) => T): (provider: Provider) => T {
  const made = new WeakMap<Provider, T>();
  return (provider) => {
    let instance = made.get(provider);
    if (instance === undefined) {
      instance = make(provider);
      made.set(provider, instance);
    }
    return instance;
  };
}
