/**
 * Plain JSON-RPC in batches, over the client paths' own transport (httpTransport.ts): what the benchmarks use
 * to drive the node as fast as it goes (the throughput ceiling, seeding 100,000 records), without a client
 * library in the way.
 */
import type { RpcCall } from "../jsonRpcBatch.js";
import { postJson } from "../sim/httpTransport.js";

let nextId = 1;

/** Sends the calls as one JSON-RPC batch; resolves with their results in order, or rejects naming the first error. */
export async function rpcBatch(url: string, calls: readonly RpcCall[], timeoutMs = 60_000): Promise<unknown[]> {
  if (calls.length === 0) return [];
  const first = nextId;
  nextId += calls.length;
  const body = calls.map((c, i) => ({ jsonrpc: "2.0", id: first + i, method: c.method, params: c.params }));
  const answers = (await postJson(url, body, timeoutMs)) as { id: number; result?: unknown; error?: { message: string } }[];
  const byId = new Map(answers.map((a) => [a.id, a]));
  return calls.map((c, i) => {
    const a = byId.get(first + i);
    if (!a) throw new Error(`${c.method}: no answer in the batch`);
    if (a.error) throw new Error(`${c.method}: ${a.error.message}`);
    return a.result;
  });
}

export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const [result] = await rpcBatch(url, [{ method, params }]);
  return result as T;
}

/** The mined transaction count ("latest" nonce) of each address. */
export async function minedNonces(url: string, addresses: readonly string[]): Promise<number[]> {
  const results = await rpcBatch(
    url,
    addresses.map((a) => ({ method: "eth_getTransactionCount", params: [a, "latest"] })),
  );
  return results.map((r) => Number(r));
}

/**
 * Waits until every address has `expected[i]` mined transactions; polls every `pollMs`. When nothing was mined
 * for a second, `onStall` is called (anvil's automine can leave the last transactions of a burst in its pool
 * until another arrives: an evm_mine moves them). Rejects after `timeoutMs`.
 */
export async function waitForNonces(
  url: string,
  addresses: readonly string[],
  expected: readonly number[],
  timeoutMs: number,
  pollMs = 10,
  onStall?: () => Promise<void>,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let lastSum = -1;
  let lastProgress = performance.now();
  for (;;) {
    const nonces = await minedNonces(url, addresses);
    if (nonces.every((n, i) => n >= expected[i])) return;
    const sum = nonces.reduce((a, b) => a + b, 0);
    if (sum !== lastSum) {
      lastSum = sum;
      lastProgress = performance.now();
    } else if (onStall && performance.now() - lastProgress > 1_000) {
      await onStall();
      lastProgress = performance.now();
    }
    if (performance.now() > deadline) {
      const behind = nonces.map((n, i) => expected[i] - n).reduce((a, b) => a + Math.max(0, b), 0);
      throw new Error(`${behind} transactions still not mined after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export const hex = (n: bigint | number) => "0x" + BigInt(n).toString(16);

/**
 * Watches anvil's pool once a second: when transactions wait there and no block came since the last look, mines
 * one (evm_mine). Works around anvil's automine leaving a ready transaction unmined after a burst of seeding
 * (observed with anvil 1.7.1: the transaction stays "pending" in txpool_content until another one arrives).
 * Returns the stop function and the number of nudges.
 */
export function minerWatchdog(url: string, everyMs = 1_000): { stop(): void; nudges(): number } {
  let lastBlock = -1;
  let nudges = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        const [status, block] = await rpcBatch(url, [
          { method: "txpool_status", params: [] },
          { method: "eth_blockNumber", params: [] },
        ]);
        const pending = Number((status as { pending: string }).pending);
        const number = Number(block);
        if (pending > 0 && number === lastBlock) {
          await rpc(url, "evm_mine");
          nudges++;
        }
        lastBlock = number;
      } catch {
        // the node is busy or gone: look again next time
      } finally {
        busy = false;
      }
    })();
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), nudges: () => nudges };
}
