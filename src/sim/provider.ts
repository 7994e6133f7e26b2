/**
 * The JSON-RPC provider of the simulator and the benchmarks: no response cache (a receipt polled again must not
 * come back as the null of 250 ms ago), no batching stall (a request goes out at once), a count of the calls
 * made per method, and a waitForTransaction that polls for the receipt itself.
 *
 * ethers' own waitForTransaction checks for the receipt once and then waits for the next block event; on a
 * chain that mines a block per transaction (anvil's automine, `npm start`) a transaction mined between the two
 * is not seen until another block comes, which on a quiet chain is never (measured: 7 of 10 concurrent sends
 * waited the whole 20 s timeout). The core TxSender now polls receipts itself; ethers' own waits (a contract
 * deployment, tx.wait()) still go through here.
 *
 * Its JSON-RPC goes over httpTransport.ts (node:http, kept-alive sockets) with the runtime's own JSON and UTF-8
 * coding: ethers' transport codes UTF-8 in JavaScript, a byte at a time (measured: 0.25-0.5 ms of CPU per
 * transaction of the throughput benchmark, of about 2 ms). The answers are ethers' (the same JSON), so errors
 * decode as they did.
 */
import {
  JsonRpcProvider,
  makeError,
  type JsonRpcApiProviderOptions,
  type JsonRpcPayload,
  type JsonRpcResult,
  type Networkish,
  type TransactionReceipt,
} from "ethers";
import { postJson } from "./httpTransport.js";

/** How long one JSON-RPC request may take, ms (ethers' own default). */
const REQUEST_TIMEOUT_MS = 300_000;

export class ReceiptPollingProvider extends JsonRpcProvider {
  readonly #url: string;
  readonly #maxPollMs: number;

  constructor(url: string, network?: Networkish, options: JsonRpcApiProviderOptions & { maxPollMs?: number } = {}) {
    // No response cache: a receipt polled again must not come back as the null of 250 ms ago.
    const { maxPollMs, ...rest } = options;
    super(url, network, { pollingInterval: 100, batchStallTime: 0, ...rest, cacheTimeout: -1 });
    this.#url = url;
    this.#maxPollMs = maxPollMs ?? 25;
  }

  /** JSON-RPC calls sent, per method (for the benchmarks' accounting of what one event costs). */
  readonly calls = new Map<string, number>();

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    for (const p of Array.isArray(payload) ? payload : [payload]) this.calls.set(p.method, (this.calls.get(p.method) ?? 0) + 1);
    const answer = await postJson(this.#url, payload, REQUEST_TIMEOUT_MS);
    return (Array.isArray(answer) ? answer : [answer]) as JsonRpcResult[];
  }

  /** The calls counted so far, and a reset to zero. */
  takeCalls(): Record<string, number> {
    const out = Object.fromEntries(this.calls);
    this.calls.clear();
    return out;
  }

  override async waitForTransaction(hash: string, confirms?: null | number, timeout?: null | number): Promise<null | TransactionReceipt> {
    const need = confirms ?? 1;
    if (need === 0) return this.getTransactionReceipt(hash);
    const deadline = timeout == null ? Infinity : performance.now() + timeout;
    let wait = 2;
    for (;;) {
      const receipt = await this.getTransactionReceipt(hash);
      if (receipt && (need <= 1 || (await receipt.confirmations()) >= need)) return receipt;
      const left = deadline - performance.now();
      if (left <= 0) throw makeError("timeout", "TIMEOUT", { operation: "waitForTransaction", reason: "timeout" });
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, left)));
      wait = Math.min(wait * 1.5, this.#maxPollMs);
    }
  }
}
