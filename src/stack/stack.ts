/**
 * The whole grid on one machine: local chain (anvil, persisted), GridLedger deployed through Ignition, the
 * embedded IPFS node behind a Kubo-compatible HTTP service, and the web app. Everything persists under one
 * data directory; a restart finds every record, balance, bill and the deployment still there.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { openBillStore, type BillStore } from "../billStore.js";
import { startIpfsService } from "../ipfsService.js";
import { readDeployments } from "./contractMap.js";
import { DEMO_ACCOUNTS, seedDemo } from "./demo.js";
import { startLocalChain, type LocalChain } from "./localChain.js";
import { deployLocal, forgetLocalDeployment } from "./localDeploy.js";
import { assertPortFree } from "./ports.js";
import type { StackConfig } from "./stackConfig.js";
import { startWebServer } from "./webServer.js";

export const HOST = "127.0.0.1";
const root = path.resolve(import.meta.dirname, "../..");

export interface RunningStack {
  rpcUrl: string;
  ipfsUrl: string;
  webUrl: string;
  chainId: number;
  contract: string;
  stop(): Promise<void>;
}

/** What the data directory records about the chain it holds, to catch a mismatched state early. */
interface StackRecord {
  chainId: number;
  contract: string;
}

export async function startStack(config: StackConfig, log: (line: string) => void, signal?: AbortSignal): Promise<RunningStack> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => log(`stop: ${(error as Error).message}`));
  };
  /** Between steps: a stop asked for while starting ends the start here, and the catch below stops what runs. */
  const go = () => signal?.throwIfAborted();
  try {
    go();
    if (!config.rpcUrl) await assertPortFree(HOST, config.rpcPort, "--rpc-port");
    if (!config.ipfsUrl) await assertPortFree(HOST, config.ipfsPort, "--ipfs-port");
    await assertPortFree(HOST, config.webPort, "--web-port");
    await mkdir(config.dataDir, { recursive: true });
    const recordFile = path.join(config.dataDir, "stack.json");
    const stateFile = path.join(config.dataDir, "chain", "state.json");

    // 1. The chain.
    let rpcUrl: string;
    let chainId: number;
    let contract: string;
    let deployedAtBlock: number | null;
    if (config.rpcUrl) {
      rpcUrl = config.rpcUrl;
      const provider = new JsonRpcProvider(rpcUrl);
      chainId = Number((await provider.getNetwork().catch(() => {
        throw new Error(`the chain at --rpc-url ${rpcUrl} does not answer`);
      })).chainId);
      provider.destroy();
      const deployment = (await readDeployments())[chainId];
      if (!deployment) throw new Error(`GridLedger is not deployed on chain ${chainId}: run \`npm run deploy -- --network <name>\` first`);
      ({ address: contract, deployedAtBlock } = deployment);
    } else {
      const record = existsSync(recordFile) ? (JSON.parse(await readFile(recordFile, "utf8")) as StackRecord) : undefined;
      const hasState = existsSync(stateFile);
      if (record && !hasState) {
        throw new Error(
          `${recordFile} names a chain but ${stateFile} is missing: the chain state was lost. ` +
            "Restore it, or start over with `npm start -- --fresh`",
        );
      }
      await mkdir(path.dirname(stateFile), { recursive: true });
      const chain: LocalChain = await startLocalChain({ host: HOST, port: config.rpcPort, stateFile, accounts: DEMO_ACCOUNTS });
      stops.push(() => chain.stop());
      go();
      rpcUrl = chain.url;
      chainId = chain.chainId;
      if (!hasState) await forgetLocalDeployment(config.dataDir, chainId);
      ({ address: contract, deployedAtBlock } = await deployLocal(rpcUrl, chainId, config.dataDir, log, signal));
      go();
      if (record && record.contract.toLowerCase() !== contract.toLowerCase()) {
        throw new Error(
          `the data directory holds GridLedger at ${record.contract} but the deployment names ${contract}: ` +
            "they do not belong together. Start over with `npm start -- --fresh`",
        );
      }
      await writeFile(recordFile, JSON.stringify({ chainId, contract } satisfies StackRecord, null, 2) + "\n");
    }
    log(`chain    ${rpcUrl}  (chain id ${chainId}, GridLedger at ${contract})`);

    // 2. IPFS.
    let ipfsUrl: string;
    let store: BillStore;
    if (config.ipfsUrl) {
      ipfsUrl = config.ipfsUrl;
      store = await openBillStore({ kind: "kubo", url: ipfsUrl });
    } else {
      const embedded = await openBillStore({ kind: "embedded", dataDir: path.join(config.dataDir, "ipfs") });
      store = embedded;
      const service = await startIpfsService({ store: embedded, host: HOST, port: config.ipfsPort });
      stops.push(() => service.close());
      ipfsUrl = service.url;
    }
    stops.push(() => store.close());
    go();
    log(`ipfs     ${ipfsUrl}/api/v0  (gateway ${ipfsUrl}/ipfs/<cid>${config.ipfsUrl ? "" : ", embedded Helia node"})`);

    // 3. Demo data.
    if (config.demo) {
      if (config.rpcUrl) throw new Error("--demo seeds the local chain's development accounts: drop --rpc-url to use it");
      const provider = new JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true, pollingInterval: 100 });
      try {
        await seedDemo(provider, contract, store, log, path.join(config.dataDir, "aggregator"));
      } finally {
        provider.destroy();
      }
      go();
    }

    // 4. The web app.
    const web = await startWebServer({
      host: HOST,
      port: config.webPort,
      distDir: path.join(root, "web/dist"),
      config: { chainId, contract, deployedAtBlock, rpcUrl, ipfsUrl, localAccounts: !config.rpcUrl },
    });
    stops.push(() => web.close());
    go();
    log(`web      ${web.url}`);

    return { rpcUrl, ipfsUrl, webUrl: web.url, chainId, contract, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Removes the data directory and the local chain's Ignition journal (`--fresh`). */
export async function wipeState(config: StackConfig): Promise<void> {
  await rm(config.dataDir, { recursive: true, force: true });
  await forgetLocalDeployment(config.dataDir, 31337);
}
