/**
 * Many JSON-RPC calls in one HTTP request, straight to an ethers JsonRpcProvider's transport. ethers' own queue
 * batches the calls of one tick too, but re-serialises the growing batch for every call it adds and searches
 * the answers once per call (quadratic in the batch: a tenth of the client's CPU at a hundred receipts a tick).
 * Errors come back as ethers makes them (getRpcError), so callers decode them as before.
 */
import { JsonRpcProvider, type JsonRpcError, type JsonRpcResult } from "ethers";

export interface RpcCall {
  method: string;
  params: unknown[];
}

export type RpcOutcome = { ok: true; result: unknown } | { ok: false; error: unknown };

/** Most calls in one request: ethers' default batchMaxCount, which nodes' batch limits are set against. */
export const MAX_BATCH = 100;

/** Whether the provider can take a batch in one request (HTTP JSON-RPC; not a browser wallet or a socket). */
export function canBatch(provider: unknown): provider is JsonRpcProvider {
  return provider instanceof JsonRpcProvider;
}

/**
 * Sends the calls in requests of at most MAX_BATCH; resolves with each call's outcome, in order. A request that
 * fails as a whole fails each of its calls with that error.
 */
export async function sendBatch(provider: JsonRpcProvider, calls: readonly RpcCall[]): Promise<RpcOutcome[]> {
  const requests: Promise<RpcOutcome[]>[] = [];
  for (let i = 0; i < calls.length; i += MAX_BATCH) requests.push(sendOne(provider, calls.slice(i, i + MAX_BATCH)));
  return (await Promise.all(requests)).flat();
}

async function sendOne(provider: JsonRpcProvider, calls: readonly RpcCall[]): Promise<RpcOutcome[]> {
  const payloads = calls.map((c, i) => ({ method: c.method, params: c.params, id: i + 1, jsonrpc: "2.0" as const }));
  let answers: (JsonRpcResult | JsonRpcError)[];
  try {
    answers = await provider._send(payloads);
  } catch (error) {
    return calls.map(() => ({ ok: false, error }));
  }
  const byId = new Map<unknown, JsonRpcResult | JsonRpcError>();
  for (const answer of answers) byId.set(answer.id, answer);
  return payloads.map((payload): RpcOutcome => {
    const answer = byId.get(payload.id);
    if (!answer) return { ok: false, error: new Error(`the node gave no answer to ${payload.method} (call ${payload.id} of a batch)`) };
    if ("error" in answer) return { ok: false, error: provider.getRpcError(payload, answer) };
    return { ok: true, result: answer.result };
  });
}
