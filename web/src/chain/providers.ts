/**
 * Providers and signers: the read provider over the server's /rpc proxy, the node's unlocked development
 * accounts (local chain only), and the signing client for either a dev account or a browser wallet.
 */
import { BrowserProvider, JsonRpcProvider, type Eip1193Provider, type Signer } from "ethers";
import { GridLedgerClient } from "../../../src/ledgerClient.js";
import { openBillStore, type BillStore } from "../../../src/billStore.js";
import type { AppConfig } from "../config.js";

/** How often the app looks for new blocks and receipts, ms (a local chain mines at once). */
export const POLL_MS = 500;

export function rpcProvider(config: AppConfig, origin = window.location.origin): JsonRpcProvider {
  const url = new URL(config.rpcUrl, origin).toString();
  return new JsonRpcProvider(url, config.chainId, { staticNetwork: true, pollingInterval: POLL_MS });
}

/**
 * The provider signing clients send and wait through. It is not the one the app polls for blocks, and it keeps
 * no cache: ethers' waitForTransaction compares the receipt's block with getBlockNumber, and a block number
 * cached from just before the transaction was mined (on a chain that mines at once, with no block after it)
 * would leave it waiting for a block that never comes.
 */
export function signingProvider(config: AppConfig, origin = window.location.origin): JsonRpcProvider {
  const url = new URL(config.rpcUrl, origin).toString();
  return new JsonRpcProvider(url, config.chainId, { staticNetwork: true, pollingInterval: POLL_MS, cacheTimeout: -1 });
}

export function clientOptions(config: AppConfig) {
  return { address: config.contract, fromBlock: config.deployedAtBlock ?? 0 };
}

/** A read-only client over /rpc. */
export function connectReader(config: AppConfig, provider: JsonRpcProvider): Promise<GridLedgerClient> {
  return GridLedgerClient.connect(provider, clientOptions(config));
}

/** The node's accounts (anvil's unlocked development accounts), in index order. */
export async function localAccounts(provider: JsonRpcProvider): Promise<string[]> {
  return (await provider.listAccounts()).map((s) => s.address);
}

/** A client signing with development account `index` of the local node (pass a `signingProvider`). */
export async function connectLocalAccount(config: AppConfig, provider: JsonRpcProvider, index: number): Promise<GridLedgerClient> {
  const signer = await provider.getSigner(index);
  return GridLedgerClient.connect(signer, clientOptions(config));
}

/** A client signing with a browser wallet; the wallet assigns nonces. */
export async function connectWalletClient(
  config: AppConfig,
  wallet: Eip1193Provider,
): Promise<{ client: GridLedgerClient; chainId: number }> {
  const provider = new BrowserProvider(wallet, "any", { pollingInterval: POLL_MS, cacheTimeout: -1 });
  const chainId = Number((await provider.getNetwork()).chainId);
  if (chainId !== config.chainId) throw new WrongChainError(chainId, config.chainId);
  const signer: Signer = await provider.getSigner();
  return { client: await GridLedgerClient.connect(signer, { ...clientOptions(config), manageNonce: false }), chainId };
}

export class WrongChainError extends Error {
  override readonly name = "WrongChainError";
  constructor(
    readonly walletChainId: number,
    readonly appChainId: number,
  ) {
    super(`the wallet is on chain ${walletChainId}; GridLedger here runs on chain ${appChainId}`);
  }
}

/** Asks the wallet to switch to the app's chain, adding it first when the wallet does not know it. */
export async function switchWalletChain(wallet: Eip1193Provider, config: AppConfig, origin = window.location.origin): Promise<void> {
  const chainId = "0x" + config.chainId.toString(16);
  try {
    await wallet.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
  } catch (error) {
    if ((error as { code?: number }).code !== 4902) throw error;
    await wallet.request({
      method: "wallet_addEthereumChain",
      params: [
        {
          chainId,
          chainName: config.chainId === 31337 ? "GridLedger local chain" : `Chain ${config.chainId}`,
          nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
          rpcUrls: [new URL(config.rpcUrl, origin).toString()],
        },
      ],
    });
  }
}

let storePromise: Promise<BillStore> | undefined;

/** The bill store behind the server's same-origin /api/v0 proxy, opened once. */
export function browserBillStore(origin = window.location.origin): Promise<BillStore> {
  storePromise ??= openBillStore({ kind: "kubo", url: origin, timeoutMs: 30_000 }).catch((error: unknown) => {
    storePromise = undefined;
    throw error;
  });
  return storePromise;
}
