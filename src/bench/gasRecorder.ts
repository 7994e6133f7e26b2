/**
 * Sends measured transactions quickly and records their gas: each signer's nonce is counted here and every
 * transaction gets a fixed gas limit and fees, so a send needs no estimate, fee or nonce lookup; receipts are
 * collected in order at each flush. Gas used depends on none of this. Shared by the gas and rule-cost benches.
 */
import type { Contract, ContractTransactionResponse, Provider, Signer } from "ethers";
import { median } from "../stats.js";

export type RpcProvider = Provider & { send(method: string, params: unknown[]): Promise<unknown> };
export type Method = (...args: unknown[]) => Promise<ContractTransactionResponse>;

/** The first records of a kind pay for first-time storage; the steady state starts after them. */
export const GAS_WARMUP = 10;
const QUEUE_LIMIT = 200;

/** The provider of a signer, checked to answer raw JSON-RPC calls (both Hardhat's and anvil's do). */
export function rpcProviderOf(signer: Signer): RpcProvider {
  const provider = signer.provider as RpcProvider | null;
  if (!provider || typeof provider.send !== "function") throw new Error("the bench's signers need a JSON-RPC provider");
  return provider;
}

/** Moves the chain's clock forward and mines a block. */
export async function advanceTime(provider: RpcProvider, seconds: number): Promise<void> {
  await provider.send("evm_increaseTime", [seconds]);
  await provider.send("evm_mine", []);
}

export class GasRecorder {
  /** Gas used by each recorded send, by event then by side (e.g. "gridledger" and "baseline"). */
  readonly gas: Record<string, Record<string, number[]>> = {};
  readonly #provider: RpcProvider;
  readonly #overrides: { gasLimit: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint } = { gasLimit: 3_000_000n };
  readonly #nonces = new Map<Signer, Promise<number>>();
  readonly #methods = new Map<Signer, Map<string, Method>>();
  readonly #queue: { response: ContractTransactionResponse; event?: string; side?: string }[] = [];
  readonly #onMined?: () => void;

  constructor(provider: RpcProvider, onMined?: () => void) {
    this.#provider = provider;
    this.#onMined = onMined;
  }

  /** Sets fees from the latest block; call once before the first send (flush calls it after). */
  async setFees(): Promise<void> {
    const block = await this.#provider.getBlock("latest");
    const base = block?.baseFeePerGas ?? 1_000_000_000n;
    this.#overrides.maxPriorityFeePerGas = 1_000_000_000n;
    this.#overrides.maxFeePerGas = base * 3n + 2_000_000_000n;
  }

  /** `contract.name` as called by `signer`, with the fixed overrides and a counted nonce. */
  method(contract: Contract, signer: Signer, name: string): Method {
    const bySigner = this.#methods.get(signer) ?? new Map<string, Method>();
    this.#methods.set(signer, bySigner);
    const key = `${String(contract.target)}/${name}`;
    let m = bySigner.get(key);
    if (!m) {
      const fn = contract.connect(signer).getFunction(name);
      m = async (...args: unknown[]) => {
        const last = args.at(-1);
        const extra = last !== null && typeof last === "object" && !Array.isArray(last) ? (args.pop() as object) : {};
        const nonce = await this.#nextNonce(signer);
        return fn(...args, { ...this.#overrides, ...extra, nonce }) as Promise<ContractTransactionResponse>;
      };
      bySigner.set(key, m);
    }
    return m;
  }

  /** Queues a sent transaction; its gas is recorded under `event`/`side` when mined. */
  async send(tx: Promise<ContractTransactionResponse>, event?: string, side = "gridledger"): Promise<void> {
    this.#queue.push({ response: await tx, event, side });
    if (this.#queue.length >= QUEUE_LIMIT) await this.flush();
  }

  /** Waits for every queued transaction in order, records its gas, and refreshes the fees. */
  async flush(): Promise<void> {
    for (const item of this.#queue.splice(0)) {
      const receipt = await item.response.wait();
      if (receipt === null) throw new Error(`transaction ${item.response.hash} was dropped`);
      if (item.event && item.side) ((this.gas[item.event] ??= {})[item.side] ??= []).push(Number(receipt.gasUsed));
      this.#onMined?.();
    }
    await this.setFees();
  }

  /** The median gas of `event` on `side` after the warm-up records (all of them when there are no more). */
  steadyMedian(event: string, side = "gridledger"): number {
    const samples = this.gas[event]?.[side];
    if (!samples?.length) throw new Error(`no gas recorded for ${event} (${side})`);
    return median(samples.length > GAS_WARMUP ? samples.slice(GAS_WARMUP) : samples);
  }

  #nextNonce(signer: Signer): Promise<number> {
    const next = this.#nonces.get(signer) ?? signer.getNonce("pending");
    this.#nonces.set(signer, next.then((n) => n + 1));
    return next;
  }
}
