/**
 * A private grid in a temp dir: anvil on a free loopback port, GridLedger deployed from the build artifact,
 * and an embedded bill store. The simulator's --local mode, the simulator test and the benchmarks run on it.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ContractFactory, type InterfaceAbi, type JsonRpcSigner } from "ethers";
import { openBillStore, type EmbeddedBillStore } from "../billStore.js";
import { startLocalChain, type LocalChain } from "../stack/localChain.js";
import { freePort } from "../stack/ports.js";
import { ReceiptPollingProvider } from "./provider.js";

const root = path.resolve(import.meta.dirname, "../..");
export const ARTIFACTS = {
  gridLedger: path.join(root, "artifacts/contracts/GridLedger.sol/GridLedger.json"),
  paperBaseline: path.join(root, "artifacts/contracts/test/PaperBaseline.sol/PaperBaseline.json"),
  withoutRatedPower: path.join(root, "artifacts/contracts/test/GridLedgerRuleProbe.sol/GridLedgerWithoutRatedPower.json"),
  withoutWindows: path.join(root, "artifacts/contracts/test/GridLedgerRuleProbe.sol/GridLedgerWithoutWindows.json"),
  withoutDisputeCheck: path.join(root, "artifacts/contracts/test/GridLedgerRuleProbe.sol/GridLedgerWithoutDisputeCheck.json"),
};

/** The Ignition module's defaults: 24 h to dispute, 72 h to resolve, 7 days to bill. */
export const DEFAULT_WINDOWS = { dispute: 86_400n, resolution: 3n * 86_400n, billing: 7n * 86_400n };

export interface LocalGrid {
  rpcUrl: string;
  chainId: number;
  chain: EphemeralChain;
  provider: ReceiptPollingProvider;
  /** Development account 0: deployed GridLedger, is its operator, funds the others. */
  operator: JsonRpcSigner;
  address: string;
  deployedAtBlock: number;
  store: EmbeddedBillStore | undefined;
  dir: string;
  stop(): Promise<void>;
}

export interface LocalGridOptions {
  /** Seconds between blocks; 0 (default): a block per transaction (anvil's automine). */
  blockTimeS?: number;
  /** Open an embedded bill store in the temp dir (default true). */
  store?: boolean;
  /** Development accounts anvil creates (default 4). */
  accounts?: number;
  /** Receipt polling of the provider, ms (default 50). */
  pollingMs?: number;
  /**
   * Block gas limit. A burst of transactions fills blocks at anvil's default (30M), the base fee then climbs
   * 12.5% a block, and transactions priced before the climb wait in the pool until the next one arrives: the
   * benchmarks raise it so that their bursts do not price themselves out.
   */
  gasLimit?: bigint;
}

export async function readArtifact(file: string): Promise<{ abi: InterfaceAbi; bytecode: string }> {
  if (!existsSync(file)) throw new Error(`missing ${path.relative(root, file)}: run \`npm run build\` first`);
  return JSON.parse(await readFile(file, "utf8")) as { abi: InterfaceAbi; bytecode: string };
}

/** Deploys GridLedger from the build artifact with `operator` as deployer and operator. */
export async function deployGridLedger(
  operator: JsonRpcSigner,
  windows = DEFAULT_WINDOWS,
): Promise<{ address: string; deployedAtBlock: number }> {
  const artifact = await readArtifact(ARTIFACTS.gridLedger);
  const factory = new ContractFactory(artifact.abi, artifact.bytecode, operator);
  const contract = await factory.deploy(await operator.getAddress(), windows.dispute, windows.resolution, windows.billing);
  const receipt = await contract.deploymentTransaction()!.wait();
  if (!receipt) throw new Error("GridLedger's deployment was not mined");
  return { address: await contract.getAddress(), deployedAtBlock: receipt.blockNumber };
}

export async function startLocalGrid(options: LocalGridOptions = {}): Promise<LocalGrid> {
  const dir = await mkdtemp(path.join(tmpdir(), "gridledger-local-"));
  const stops: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const chain = await startEphemeralChain({ accounts: options.accounts ?? 4, gasLimit: options.gasLimit });
    stops.push(() => chain.stop());
    const provider = new ReceiptPollingProvider(chain.url, chain.chainId, { staticNetwork: true, pollingInterval: options.pollingMs ?? 50 });
    stops.push(async () => provider.destroy());
    const operator = await provider.getSigner(0);
    const { address, deployedAtBlock } = await deployGridLedger(operator);
    if (options.blockTimeS && options.blockTimeS > 0) {
      await provider.send("evm_setAutomine", [false]);
      await provider.send("evm_setIntervalMining", [options.blockTimeS]);
    }
    let store: EmbeddedBillStore | undefined;
    if (options.store !== false) {
      store = await openBillStore({ kind: "embedded", dataDir: path.join(dir, "ipfs") });
      stops.push(() => store!.close());
    }
    return { rpcUrl: chain.url, chainId: chain.chainId, chain, provider, operator, address, deployedAtBlock, store, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export type EphemeralChain = LocalChain;

/**
 * anvil with nothing persisted, on a free loopback port: a benchmark holding 100,000 blocks cannot afford the
 * stack's state file, written every 10 s.
 */
export async function startEphemeralChain(options: { accounts: number; port?: number; gasLimit?: bigint }): Promise<EphemeralChain> {
  return startLocalChain({ host: "127.0.0.1", port: options.port ?? (await freePort()), accounts: options.accounts, gasLimit: options.gasLimit });
}
