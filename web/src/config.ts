/** What the server tells the app at /config.json (src/stack/webServer.ts). */
export interface AppConfig {
  chainId: number;
  contract: string;
  deployedAtBlock: number | null;
  /** Same-origin JSON-RPC proxy, "/rpc". */
  rpcUrl: string;
  /** Same-origin Kubo RPC proxy, "/api/v0". */
  ipfsUrl: string;
  /** Same-origin gateway, "/ipfs". */
  gatewayUrl: string;
  /** True on the local chain: the node's unlocked development accounts may sign. */
  localAccounts: boolean;
}

export async function loadConfig(origin = window.location.origin): Promise<AppConfig> {
  const response = await fetch(new URL("/config.json", origin), { cache: "no-store" });
  if (!response.ok) throw new Error(`/config.json answered HTTP ${response.status}: is the GridLedger server running?`);
  const config = (await response.json()) as Partial<AppConfig>;
  if (typeof config.chainId !== "number" || typeof config.contract !== "string") {
    throw new Error("/config.json does not name a chain and contract");
  }
  return {
    chainId: config.chainId,
    contract: config.contract,
    deployedAtBlock: config.deployedAtBlock ?? null,
    rpcUrl: config.rpcUrl ?? "/rpc",
    ipfsUrl: config.ipfsUrl ?? "/api/v0",
    gatewayUrl: config.gatewayUrl ?? "/ipfs",
    localAccounts: config.localAccounts === true,
  };
}

/** Block-explorer base URLs of public chains; elsewhere hashes are shown as text. */
const EXPLORERS: Record<number, string> = {
  1: "https://etherscan.io",
  11155111: "https://sepolia.etherscan.io",
  17000: "https://holesky.etherscan.io",
};

export function explorerUrl(chainId: number, kind: "tx" | "block", id: string | number): string | undefined {
  const base = EXPLORERS[chainId];
  return base ? `${base}/${kind}/${id}` : undefined;
}
