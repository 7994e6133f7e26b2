/**
 * Deploys GridLedger to the local chain through its Ignition module, and keeps the Ignition journal of the
 * local chain consistent with the chain's state file.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { generateContracts, readDeployments } from "./contractMap.js";

const root = path.resolve(import.meta.dirname, "../..");
export const localJournalDir = (chainId: number) => path.join(root, "ignition/deployments", `chain-${chainId}`);

/** Forgets the journal of a local chain whose state was not kept: it describes a chain that no longer exists. */
export async function forgetLocalDeployment(chainId: number): Promise<void> {
  await rm(localJournalDir(chainId), { recursive: true, force: true });
}

export async function deployLocal(rpcUrl: string, chainId: number, log: (line: string) => void): Promise<{ address: string; deployedAtBlock: number | null }> {
  const existing = (await readDeployments())[chainId];
  const provider = new JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true });
  try {
    if (existing) {
      if ((await provider.getCode(existing.address)) !== "0x") {
        await generateContracts();
        return existing;
      }
      throw new Error(
        `the Ignition journal ${path.relative(root, localJournalDir(chainId))} names GridLedger at ${existing.address}, ` +
          "but the chain has no contract there: the chain state and the deployment do not match. " +
          "Start over with `npm start -- --fresh`, or restore the data directory that goes with that deployment",
      );
    }
  } finally {
    provider.destroy();
  }
  log("deploying GridLedger through Ignition ...");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(root, "node_modules/hardhat/dist/src/cli.js"), "ignition", "deploy", "ignition/modules/GridLedger.ts", "--network", "localhost"],
      { cwd: root, env: { ...process.env, GRIDLEDGER_RPC_URL: rpcUrl }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`ignition deploy failed (exit ${code}):\n${output.trim()}`))));
  });
  await generateContracts();
  const deployed = (await readDeployments())[chainId];
  if (!deployed) throw new Error("ignition deploy finished but wrote no GridLedger address");
  return deployed;
}
