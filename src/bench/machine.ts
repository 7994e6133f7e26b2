/**
 * The machine a benchmark ran on: every figure is quoted with it.
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import { anvilBinary } from "../stack/localChain.js";

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  anvil: string;
  /** 1-minute load average when the run started: other programs on the machine slow every figure. */
  loadAverageAtStart: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  let anvil = "unknown";
  try {
    const out = spawnSync(anvilBinary(), ["--version"], { encoding: "utf8", timeout: 10_000 });
    anvil = out.stdout.split("\n")[0]?.trim() || anvil;
  } catch {
    // reported as unknown
  }
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    anvil,
    loadAverageAtStart: Math.round(os.loadavg()[0] * 100) / 100,
  };
}
