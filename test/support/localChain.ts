/**
 * A real anvil node on a free loopback port with GridLedger deployed from the build artifact: what the CLI,
 * the stack and the browser tests talk to over HTTP JSON-RPC.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ContractFactory, JsonRpcProvider } from "ethers";
import { startLocalChain, type LocalChain } from "../../src/stack/localChain.js";
import { freePort } from "../../src/stack/ports.js";

export interface TestChain {
  chain: LocalChain;
  provider: JsonRpcProvider;
  address: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startTestChain(windows = { dispute: 86_400n, resolution: 3n * 86_400n, billing: 7n * 86_400n }): Promise<TestChain> {
  const dir = await mkdtemp(path.join(tmpdir(), "gridledger-chain-"));
  const chain = await startLocalChain({ host: "127.0.0.1", port: await freePort(), stateFile: path.join(dir, "state.json"), accounts: 12 });
  const provider = new JsonRpcProvider(chain.url, chain.chainId, { staticNetwork: true, pollingInterval: 100 });
  const artifact = JSON.parse(await readFile(path.resolve(import.meta.dirname, "../../artifacts/contracts/GridLedger.sol/GridLedger.json"), "utf8"));
  const deployer = await provider.getSigner(0);
  const factory = new ContractFactory(artifact.abi, artifact.bytecode, deployer);
  const contract = await factory.deploy(await deployer.getAddress(), windows.dispute, windows.resolution, windows.billing);
  await contract.waitForDeployment();
  return {
    chain,
    provider,
    address: await contract.getAddress(),
    dir,
    async stop() {
      provider.destroy();
      await chain.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
