/**
 * The throughput benchmark's core split: CPU lists read and written as taskset does, the senders on the last
 * CPU and the node on the rest, real processes pinned (Linux); and a small throughput measurement that runs its
 * "own cores" rounds with the node and this process really apart, then gives this process its CPUs back.
 */
import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { coreSplitHere, cpusOf, parseCpuList, pinProcess, splitCores } from "../../src/bench/cpuPlacement.js";
import { measureThroughput } from "../../src/bench/throughput.js";
import { startLocalGrid, type LocalGrid } from "../../src/sim/localGrid.js";

const linux = process.platform === "linux";
const here = coreSplitHere();

describe("CPU lists", () => {
  it("reads taskset's lists: numbers and ranges, in order, each once", () => {
    expect(parseCpuList("0-3,6")).toEqual([0, 1, 2, 3, 6]);
    expect(parseCpuList(" 1\n")).toEqual([1]);
    expect(parseCpuList("5,0-1,1")).toEqual([0, 1, 5]);
  });

  it("refuses anything else, naming the text and the part", () => {
    expect(() => parseCpuList("")).toThrow(/CPU list "": "" is not a CPU number/);
    expect(() => parseCpuList("0,a")).toThrow(/CPU list "0,a": "a" is not a CPU number or a range/);
    expect(() => parseCpuList("3-1")).toThrow(/range 3-1 is not ascending/);
  });

  it("gives the senders the last CPU and the node the rest; one CPU cannot be split", () => {
    expect(splitCores([0])).toBeUndefined();
    expect(splitCores([])).toBeUndefined();
    expect(splitCores([0, 1])).toEqual({ node: [0], senders: [1] });
    expect(splitCores([0, 2, 5, 7])).toEqual({ node: [0, 2, 5], senders: [7] });
  });
});

describe.runIf(linux)("pinning a process (taskset)", () => {
  const children: ReturnType<typeof spawn>[] = [];
  afterAll(() => children.forEach((c) => c.kill()));

  it("confines a running process to the CPUs given and reads them back", () => {
    const mine = cpusOf(process.pid);
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    children.push(child);
    expect(cpusOf(child.pid!)).toEqual(mine);
    pinProcess(child.pid!, [mine[0]]);
    expect(cpusOf(child.pid!)).toEqual([mine[0]]);
    // This process was not touched.
    expect(cpusOf(process.pid)).toEqual(mine);
  });

  it("fails loudly for a process that is gone or an empty list", () => {
    expect(() => pinProcess(process.pid, [])).toThrow(/no CPU given/);
    expect(() => cpusOf(2 ** 22 + 1)).toThrow();
  });
});

describe("the throughput measurement's placements", () => {
  it(
    here.split ? "runs the own-cores rounds with the node and this process apart, then gives this process its CPUs back" : "measures sharing every core, saying why",
    async () => {
      const before = linux && here.split ? cpusOf(process.pid) : [];
      const grids: LocalGrid[] = [];
      const seen: { placement: string; node: number[]; self: number[] }[] = [];
      const result = await measureThroughput({
        startChain: async () => {
          const grid = await startLocalGrid({ accounts: 8, pollingMs: 50, gasLimit: 1_000_000_000n, store: false });
          grids.push(grid);
          return grid;
        },
        accounts: 2,
        perAccount: 3,
        rounds: 1,
        // A round's line is logged while its placement still holds.
        log: (line) => {
          const placement = /round \d+\/\d+, (own cores|shared cores)/.exec(line)?.[1];
          if (placement && here.split) seen.push({ placement, node: cpusOf(grids.at(-1)!.chain.process.pid!), self: cpusOf(process.pid) });
        },
      });
      for (const f of Object.values(result.byPlacement)) {
        expect(f.ceilingTxPerSec).toBeGreaterThan(0);
        expect(f.gridledgerEventsPerSec).toBeGreaterThan(0);
        expect(f.ratio).toBeCloseTo(f.gridledgerEventsPerSec / f.ceilingTxPerSec, 2);
      }
      expect(result.ceilingTxPerSec).toBe(result.byPlacement[result.placement]!.ceilingTxPerSec);
      if (!here.split) {
        expect(result.placement).toBe("shared cores");
        expect(result.cores).toEqual({ notSplit: here.why });
        expect(result.rounds.map((r) => r.placement)).toEqual(["shared cores"]);
        return;
      }
      expect(result.placement).toBe("own cores");
      expect(result.cores).toEqual({ node: here.split.node.join(","), senders: here.split.senders.join(",") });
      expect(result.rounds.map((r) => r.placement)).toEqual(["own cores", "shared cores"]);
      expect(seen).toEqual([
        { placement: "own cores", node: here.split.node, self: here.split.senders },
        // The shared round's node inherited every CPU: this process had its own back before starting it.
        { placement: "shared cores", node: before, self: before },
      ]);
      expect(cpusOf(process.pid)).toEqual(before);
    },
    120_000,
  );
});
