/**
 * Simulated time on the chain. A meter reports a delivery once its window has ended, and a window starts no
 * earlier than its purchase; so that hours of delivery fit in a run of seconds, the simulator moves the chain's
 * clock forward (evm_increaseTime, then a block) whenever a window needs it. Time only ever moves forward. On
 * a node without evm_increaseTime the clock waits for real time instead, up to the run's deadline.
 */
import type { JsonRpcProvider } from "ethers";

export class ChainClock {
  readonly mode: "warp" | "wait";
  /** Seconds the chain's clock was moved forward. */
  warpedS = 0;
  readonly #provider: JsonRpcProvider;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(provider: JsonRpcProvider, mode: "warp" | "wait") {
    this.#provider = provider;
    this.mode = mode;
  }

  /** Warps where the node can (anvil, Hardhat) unless told to wait; waits elsewhere. */
  static async connect(provider: JsonRpcProvider, prefer: "warp" | "wait" = "warp"): Promise<ChainClock> {
    if (prefer === "wait") return new ChainClock(provider, "wait");
    try {
      await provider.send("evm_increaseTime", [0]);
      return new ChainClock(provider, "warp");
    } catch {
      return new ChainClock(provider, "wait");
    }
  }

  /** The latest block's timestamp. */
  async now(): Promise<bigint> {
    const block = await this.#provider.getBlock("latest");
    if (!block) throw new Error("the node returned no latest block");
    return BigInt(block.timestamp);
  }

  /** Resolves true once the latest block's time is at least `time`; false when that cannot happen by `deadlineMs`. */
  reach(time: bigint, deadlineMs: number): Promise<boolean> {
    const run = this.#tail.then(() => this.#reach(time, deadlineMs));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #reach(time: bigint, deadlineMs: number): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const now = await this.now();
      if (now >= time) return true;
      if (performance.now() >= deadlineMs) return false;
      if (this.mode === "warp" && attempt < 5) {
        await this.#provider.send("evm_increaseTime", [Number(time - now)]);
        await this.#provider.send("evm_mine", []);
        this.warpedS += Number(time - now);
        continue;
      }
      const waitMs = Math.min(Number(time - now) * 1000, deadlineMs - performance.now(), 1_000);
      await new Promise((resolve) => setTimeout(resolve, Math.max(50, waitMs)));
    }
  }
}
