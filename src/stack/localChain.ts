/**
 * The local Ethereum node of `npm start`: anvil, from the @foundry-rs/anvil npm package, which persists its
 * whole chain (state, blocks, receipts, logs) to one JSON file with `--state`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

export interface LocalChain {
  url: string;
  chainId: number;
  process: ChildProcess;
  /** Stops anvil and waits for it to write its state file. */
  stop(): Promise<void>;
}

export const LOCAL_CHAIN_ID = 31337;

/** The anvil binary shipped in the platform package that @foundry-rs/anvil depends on. */
export function anvilBinary(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`${pkg} is not installed: run \`npm ci\` with Node >= 22 on a supported platform`);
  }
  const binary = path.join(dir, "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
  if (!existsSync(binary)) throw new Error(`${binary} is missing: reinstall with \`npm ci\``);
  return binary;
}

/** Checks a state file before anvil loads it: a corrupted file is reported, never overwritten. */
export function checkStateFile(stateFile: string): void {
  if (!existsSync(stateFile)) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(stateFile, "utf8"));
  } catch (error) {
    throw new Error(
      `chain state ${stateFile} is corrupted (${(error as Error).message.split("\n")[0]}): ` +
        "restore it from a backup, or start over with `npm start -- --fresh`",
    );
  }
  if (!parsed || typeof parsed !== "object" || !("accounts" in parsed)) {
    throw new Error(`chain state ${stateFile} is not an anvil state file: move it away, or start over with \`npm start -- --fresh\``);
  }
}

export async function startLocalChain(options: {
  host: string;
  port: number;
  /** Where the chain persists; without one, nothing is kept (benchmarks holding many blocks). */
  stateFile?: string;
  accounts: number;
  gasLimit?: bigint;
  log?: (line: string) => void;
}): Promise<LocalChain> {
  // --prune-history keeps the states of recent blocks in memory only. Without it anvil moves older states to
  // ~/.foundry/anvil/tmp and leaves them there when stopped: gigabytes per long run. Blocks, receipts and logs
  // are all kept, and the state file still holds the whole current state.
  const args = ["--host", options.host, "--port", String(options.port), "--chain-id", String(LOCAL_CHAIN_ID), "--accounts", String(options.accounts), "--silent", "--prune-history", "256"];
  if (options.stateFile) {
    checkStateFile(options.stateFile);
    // Also write the state every 10 s, so that even a crash loses at most a few seconds of blocks.
    args.push("--state", options.stateFile, "--state-interval", "10");
  }
  if (options.gasLimit) args.push("--gas-limit", options.gasLimit.toString());
  const child = spawn(anvilBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    options.log?.(chunk.toString().trimEnd());
  });
  const url = `http://${options.host}:${options.port}`;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`anvil exited with code ${child.exitCode}: ${stderr.trim().split("\n").at(-1) ?? ""}`);
    }
    if (await rpcReady(url)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`anvil did not answer on ${url} within 30 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    chainId: LOCAL_CHAIN_ID,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function rpcReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}
