/**
 * The simulator end to end: plan from the seed, a target (the `npm start` stack, any RPC node, or a private
 * local grid), the run, the check against recordCounts(), and the JSON report.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { openBillStore, type BillStore } from "../billStore.js";
import { gridLedgerDeployments } from "../generated/contracts.js";
import type { SimConfig } from "./config.js";
import { startLocalGrid, type LocalGrid } from "./localGrid.js";
import { generatePlan, type Plan, type PlanConfig } from "./plan.js";
import { ProgressBar } from "./progress.js";
import { ReceiptPollingProvider } from "./provider.js";
import { buildReport, checkResult, type SimCheck, type SimReport } from "./report.js";
import { Simulation, type SimResult, type SimTarget } from "./run.js";

/** The plan's part of the configuration: what decides which actions are intended. */
export function planConfigOf(config: SimConfig): PlanConfig {
  return {
    producers: config.producers,
    meters: config.meters,
    purchasers: config.purchasers,
    durationS: config.duration,
    seed: config.seed,
    readingEveryS: config.readingEvery,
    purchaseEveryS: config.purchaseEvery ?? Math.max(0.1, config.duration / 5),
    budgetWei: config.budget,
  };
}

export interface SimulateOptions {
  log?: (line: string) => void;
  /** Draw a progress bar on stderr (default: unless config.quiet). */
  progress?: boolean;
  signal?: AbortSignal;
}

export interface SimulateOutcome {
  plan: Plan;
  result: SimResult;
  check: SimCheck;
  report: SimReport;
  /** Where the JSON report was written (absolute). */
  out: string;
}

export async function simulate(config: SimConfig, options: SimulateOptions = {}): Promise<SimulateOutcome> {
  const log = options.log ?? (() => {});
  const plan = generatePlan(planConfigOf(config));
  log(`plan: ${plan.actions.length} actions from seed "${config.seed}" (fingerprint ${plan.fingerprint.slice(0, 16)})`);
  const startedAt = new Date().toISOString();
  const { target, context, close } = config.local ? await localTarget(config, log) : await rpcTarget(config, log);
  let progress: ProgressBar | undefined;
  try {
    const simulation = new Simulation(plan, target, {
      drainS: config.drain,
      signal: options.signal,
      log,
      clock: config.clock,
      ...(config.batched ? { batched: { batchSize: config.batchSize, maxAgeMs: config.maxAge * 1000 } } : {}),
    });
    if (options.progress ?? !config.quiet) {
      progress = new ProgressBar({
        snapshot: () => {
          const s = simulation.metrics.snapshot();
          const start = simulation.runStartMs;
          const p = start === undefined ? 0 : (performance.now() - start) / 1000 / config.duration;
          return { ...s, phase: simulation.phase, progress: simulation.phase === "run" || simulation.phase === "drain" ? p : simulation.phase === "done" ? 1 : 0 };
        },
      });
    }
    const result = await simulation.run();
    progress?.stop();
    progress = undefined;
    const check = checkResult(result);
    const report = buildReport(result, { ...context, drainS: config.drain, blockTimeS: config.blockTime, startedAt, finishedAt: new Date().toISOString() }, check);
    const out = path.resolve(config.out);
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify(report, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n");
    return { plan, result, check, report, out };
  } finally {
    progress?.stop();
    await close();
  }
}

interface TargetSetup {
  target: SimTarget;
  context: { mode: "local" | "rpc"; rpcUrl: string; ipfs: string; chainId: number; contract: string };
  close(): Promise<void>;
}

async function localTarget(config: SimConfig, log: (line: string) => void): Promise<TargetSetup> {
  const grid: LocalGrid = await startLocalGrid({ blockTimeS: config.blockTime, store: true, pollingMs: 50 });
  log(`local grid: anvil ${grid.rpcUrl}, GridLedger ${grid.address}, bills in ${grid.dir}`);
  return {
    target: { provider: grid.provider, address: grid.address, chainId: grid.chainId, fromBlock: grid.deployedAtBlock, store: grid.store!, salt: "", funder: grid.operator },
    context: { mode: "local", rpcUrl: grid.rpcUrl, ipfs: "embedded (temp dir)", chainId: grid.chainId, contract: grid.address },
    close: () => grid.stop(),
  };
}

async function rpcTarget(config: SimConfig, log: (line: string) => void): Promise<TargetSetup> {
  const provider = new ReceiptPollingProvider(config.rpcUrl, undefined, { pollingInterval: 100 });
  let store: BillStore | undefined;
  try {
    const network = await Promise.race([
      provider.getNetwork(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 10_000)),
    ]).catch(() => {
      throw new Error(`the chain at --rpc-url ${config.rpcUrl} does not answer: start the stack with \`npm start\`, or run with --local`);
    });
    const chainId = Number(network.chainId);
    const deployment = gridLedgerDeployments[chainId];
    const contract = config.contract ?? deployment?.address;
    if (!contract) {
      throw new Error(`GridLedger is not deployed on chain ${chainId} (src/generated/contracts.ts): pass --contract <address>, or run with --local`);
    }
    if ((await provider.getCode(contract)) === "0x") {
      throw new Error(`no contract at ${contract} on chain ${chainId}: fix --contract, restart the stack, or run with --local`);
    }
    const fromBlock = deployment && deployment.address.toLowerCase() === contract.toLowerCase() ? (deployment.deployedAtBlock ?? 0) : 0;
    store = await openBillStore({ kind: "kubo", url: config.ipfsUrl }).catch((error: unknown) => {
      throw new Error(`the IPFS API at --ipfs-url ${config.ipfsUrl} does not answer (${(error as Error).message}): start the stack with \`npm start\`, or run with --local`);
    });
    // Fresh keys on every run against a chain that persists: earlier runs' meters keep their last windows.
    const salt = `block-${await provider.getBlockNumber()}`;
    log(`chain ${chainId} at ${config.rpcUrl}, GridLedger ${contract}, bills on ${config.ipfsUrl}`);
    const opened = store;
    return {
      target: { provider, address: contract, chainId, fromBlock, store: opened, salt },
      context: { mode: "rpc", rpcUrl: config.rpcUrl, ipfs: config.ipfsUrl, chainId, contract },
      async close() {
        await opened.close().catch(() => undefined);
        provider.destroy();
      },
    };
  } catch (error) {
    await store?.close().catch(() => undefined);
    provider.destroy();
    throw error;
  }
}
