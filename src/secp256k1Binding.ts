/**
 * The native libsecp256k1 binding of the `secp256k1` package, loaded once per process. The package ships it
 * prebuilt (so its install script is not needed and not allowed); its entry point would fall back silently to
 * the `elliptic` package, which is slower than ethers, so callers load the binding itself and, without it, keep
 * ethers' own code.
 *
 * Node only (a native module): nothing the web app bundles imports this module.
 */
import { createRequire } from "node:module";
import type * as Secp256k1 from "secp256k1";

export type Secp256k1Binding = typeof Secp256k1;

/** Loads the binding; throws when the prebuilt binary does not load on this machine. */
export function loadSecp256k1Binding(): Secp256k1Binding {
  return createRequire(import.meta.url)("secp256k1/bindings") as Secp256k1Binding;
}

/** The binding, or undefined when it does not load. */
export function trySecp256k1Binding(): Secp256k1Binding | undefined {
  try {
    return loadSecp256k1Binding();
  } catch {
    return undefined;
  }
}
