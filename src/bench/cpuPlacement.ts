/**
 * Which CPUs the node and the processes sending to it run on. In a deployment the node is one machine and the
 * meters and their clients are others: a client's CPU (signing, reading receipts) never comes out of the node's.
 * On one machine they compete, and a throughput figure then mixes the client's cost with the node's share of
 * the cores. The throughput benchmark therefore also measures with the node on cores of its own and every sender
 * (the ceiling's and the client's alike) on another, through Linux's `taskset` (util-linux).
 */
import { execFileSync } from "node:child_process";

/** The node's CPUs and the senders' CPUs: disjoint, neither empty. */
export interface CoreSplit {
  node: number[];
  senders: number[];
}

/**
 * Parses a CPU list as taskset and /sys print it ("0-3,6"): the CPUs in increasing order, each once.
 * Throws on anything else, naming the text.
 */
export function parseCpuList(text: string): number[] {
  const cpus = new Set<number>();
  for (const part of text.trim().split(",")) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) throw new Error(`CPU list "${text}": "${part}" is not a CPU number or a range a-b`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from || to - from > 4096) throw new Error(`CPU list "${text}": range ${part} is not ascending`);
    for (let cpu = from; cpu <= to; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** The list as taskset takes it: "0,1,2". */
export const formatCpuList = (cpus: readonly number[]): string => cpus.join(",");

/**
 * Splits the CPUs this process may run on: the senders get the last one, the node the rest (it runs the
 * chain, its RPC server and its miner on threads of their own; a client's sending is one thread's work).
 * Undefined with fewer than two CPUs: there is nothing to split.
 */
export function splitCores(cpus: readonly number[]): CoreSplit | undefined {
  if (cpus.length < 2) return undefined;
  return { node: cpus.slice(0, -1), senders: cpus.slice(-1) };
}

/** The CPUs a process may run on, as taskset reports them; throws if taskset is missing or refuses. */
export function cpusOf(pid: number): number[] {
  const out = execFileSync("taskset", ["-p", "-c", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  // "pid 123's current affinity list: 0,1"
  const list = out.slice(out.lastIndexOf(":") + 1);
  return parseCpuList(list);
}

/** Confines every thread of the process to these CPUs (its later threads inherit them); throws if taskset fails. */
export function pinProcess(pid: number, cpus: readonly number[]): void {
  if (cpus.length === 0) throw new Error(`pinning process ${pid}: no CPU given`);
  execFileSync("taskset", ["-a", "-p", "-c", formatCpuList(cpus), String(pid)], { stdio: "ignore" });
}

/**
 * How this machine can split its cores between the node and the senders, or why it cannot: not Linux, a single
 * CPU, or no working taskset.
 */
export function coreSplitHere(): { split: CoreSplit; all: number[] } | { split?: undefined; why: string } {
  if (process.platform !== "linux") return { why: `CPU pinning needs Linux's taskset (this is ${process.platform})` };
  let all: number[];
  try {
    all = cpusOf(process.pid);
  } catch (error) {
    return { why: `taskset cannot read this process's CPUs: ${(error as Error).message.split("\n")[0]}` };
  }
  const split = splitCores(all);
  return split ? { split, all } : { why: `this process may run on one CPU only (${formatCpuList(all)})` };
}
