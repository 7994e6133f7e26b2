/**
 * Deploys GridLedger to the local chain through its Ignition module, and keeps the Ignition journal of the
 * local chain consistent with the chain's state file.
 *
 * The default data directory's journal is `ignition/deployments/chain-31337`, which the generated contract map
 * reads, so the CLI finds the local contract by chain id. Any other data directory (tests, a second grid) gets
 * its own journal, `ignition/deployments/local-<hash of the directory>`, and leaves the map alone.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { deploymentBlock, generateContracts } from "./contractMap.js";

const root = path.resolve(import.meta.dirname, "../..");
export const DEFAULT_DATA_DIR = path.join(root, ".gridledger");

export function deploymentId(dataDir: string, chainId: number): string {
  if (path.resolve(dataDir) === DEFAULT_DATA_DIR) return `chain-${chainId}`;
  return `local-${createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 12)}`;
}
export const journalDir = (id: string) => path.join(root, "ignition/deployments", id);

/** Forgets the journal of a local chain whose state was not kept: it describes a chain that no longer exists. */
export async function forgetLocalDeployment(dataDir: string, chainId: number): Promise<void> {
  await rm(journalDir(deploymentId(dataDir, chainId)), { recursive: true, force: true });
}

async function journalAddress(id: string): Promise<string | undefined> {
  const file = path.join(journalDir(id), "deployed_addresses.json");
  if (!existsSync(file)) return undefined;
  return (JSON.parse(await readFile(file, "utf8")) as Record<string, string>)["GridLedger#GridLedger"];
}

/** Deploys unless the journal already names a contract the chain has; returns its address and block. */
export async function deployLocal(
  rpcUrl: string,
  chainId: number,
  dataDir: string,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<{ address: string; deployedAtBlock: number | null }> {
  const id = deploymentId(dataDir, chainId);
  const provider = new JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true });
  try {
    let address = await journalAddress(id);
    if (address) {
      if ((await provider.getCode(address)) === "0x") {
        throw new Error(
          `the Ignition journal ${path.relative(root, journalDir(id))} names GridLedger at ${address}, ` +
            "but the chain has no contract there: the chain state and the deployment do not match. " +
            "Start over with `npm start -- --fresh`, or restore the data directory that goes with that deployment",
        );
      }
    } else {
      log("deploying GridLedger through Ignition ...");
      await runIgnition(rpcUrl, id, signal);
      address = await journalAddress(id);
      if (!address) throw new Error("ignition deploy finished but wrote no GridLedger address");
    }
    if (id === `chain-${chainId}`) await generateContracts();
    return { address, deployedAtBlock: await deploymentBlock(id) };
  } finally {
    provider.destroy();
  }
}

/** Runs `hardhat ignition deploy` as a child process; aborting `signal` kills it (no deployer is left running). */
function runIgnition(rpcUrl: string, id: string, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const args = [
      path.join(root, "node_modules/hardhat/dist/src/cli.js"),
      "ignition", "deploy", "ignition/modules/GridLedger.ts",
      "--network", "localhost",
      "--deployment-id", id,
    ];
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, GRIDLEDGER_RPC_URL: rpcUrl },
      stdio: ["ignore", "pipe", "pipe"],
      signal,
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`ignition deploy failed (exit ${code}):\n${output.trim()}`))));
  });
}
