/**
 * Throughput: the node's ceiling on this machine (plain ETH transfers from N accounts, signed beforehand and
 * pipelined), against GridLedger storage readings from N meters through the core client (each meter its own key
 * and TxSender, all concurrent), in the same run, round after round side by side. A third path sends the same
 * GridLedger readings signed beforehand on the ceiling's path: the gap between it and the ceiling is the
 * contract's, the gap between it and the client is the client's.
 */
import { Interface, Wallet, id as keccakText, type JsonRpcSigner } from "ethers";
import { gridLedgerAbi } from "../generated/contracts.js";
import { GridLedgerClient } from "../ledgerClient.js";
import { median } from "../stats.js";
import { TxSender } from "../txSender.js";
import { inBatches } from "../sim/accounts.js";
import { deployGridLedger } from "../sim/localGrid.js";
import type { ReceiptPollingProvider } from "../sim/provider.js";
import { hex, minedNonces, rpcBatch, waitForNonces } from "./rpc.js";

export const THROUGHPUT_TARGET_RATIO = 0.7;

export interface ThroughputOptions {
  url: string;
  provider: ReceiptPollingProvider;
  operator: JsonRpcSigner;
  accounts: number;
  perAccount: number;
  rounds: number;
  log?: (line: string) => void;
}

export interface ThroughputRound {
  round: number;
  order: string;
  ceilingTxPerSec: number;
  gridledgerEventsPerSec: number;
  gridledgerPresignedTxPerSec: number;
  plainViaSenderTxPerSec: number;
}

export interface ThroughputResult {
  ceilingTxPerSec: number;
  gridledgerEventsPerSec: number;
  accounts: number;
  ratio: number;
  targetRatio: number;
  meetsTarget: boolean;
  gridledgerPresignedTxPerSec: number;
  /** Plain ETH transfers sent through the core TxSender (signed as sent): the client path without the contract. */
  plainViaSenderTxPerSec: number;
  event: "recordStorage";
  /** What one event costs the client: JSON-RPC calls (by method) and CPU time of this process. */
  clientCostPerEvent: { rpcCalls: number; rpcCallsByMethod: Record<string, number>; nodeCpuMs: number };
  perAccount: number;
  txPerRound: number;
  rounds: ThroughputRound[];
  method: string;
}

const ledger = new Interface(gridLedgerAbi);
const wallet = (label: string, i: number, provider: ReceiptPollingProvider) => new Wallet(keccakText(`gridledger-bench/${label}/${i}`), provider);

export async function measureThroughput(o: ThroughputOptions): Promise<ThroughputResult> {
  const { provider, url } = o;
  const log = o.log ?? (() => {});
  const { address } = await deployGridLedger(o.operator);
  const producer = wallet("producer", 0, provider);
  const plain = Array.from({ length: o.accounts }, (_, i) => wallet("plain", i, provider));
  const presigned = Array.from({ length: o.accounts }, (_, i) => wallet("presigned-meter", i, provider));
  const viaClient = Array.from({ length: o.accounts }, (_, i) => wallet("client-meter", i, provider));
  const plainViaSender = Array.from({ length: o.accounts }, (_, i) => wallet("plain-sender", i, provider));
  const everyone = [producer, ...plain, ...presigned, ...viaClient, ...plainViaSender];
  await rpcBatch(url, everyone.map((w) => ({ method: "anvil_setBalance", params: [w.address, hex(10n ** 21n)] })));

  const producerClient = await GridLedgerClient.connect(producer, { address });
  const { id: offerId } = await producerClient.openOffer({ capacity: 10n ** 9n, available: 9n * 10n ** 8n, rate: 200_000_000_000n, location: "Bench substation" });
  await Promise.all([...presigned, ...viaClient].map((m) => producerClient.authorizeMeter({ meter: m.address, ratedPower: 10_000n })));
  const clients = await inBatches(viaClient, 16, (w) => GridLedgerClient.connect(w, { address, confirmTimeoutMs: 60_000 }));

  const { chainId } = await provider.getNetwork();
  const block = await provider.getBlock("latest");
  const maxFeePerGas = (block?.baseFeePerGas ?? 1_000_000_000n) * 4n + 2_000_000_000n;
  const fees = { type: 2, chainId, maxFeePerGas, maxPriorityFeePerGas: 1_000_000_000n };
  const readingData = (i: number) => ledger.encodeFunctionData("recordStorage", [offerId, 9n * 10n ** 8n - BigInt(i % 1_000_000)]);
  const readingGas =
    ((await provider.estimateGas({ from: presigned[0].address, to: address, data: readingData(1) })) * 12n) / 10n;
  const sink = wallet("sink", 0, provider).address;

  /** Signs `count` transactions for each account (not timed), then sends them pipelined and times until mined. */
  async function presignedRound(accounts: Wallet[], build: (i: number) => { to: string; data?: string; value?: bigint; gasLimit: bigint }, count: number): Promise<number> {
    const nonces = await minedNonces(url, accounts.map((a) => a.address));
    const signed = await Promise.all(
      accounts.map((a, k) => Promise.all(Array.from({ length: count }, (_, i) => a.signTransaction({ ...fees, ...build(i), nonce: nonces[k] + i })))),
    );
    const t0 = performance.now();
    await Promise.all(
      signed.map(async (txs) => {
        for (let i = 0; i < txs.length; i += 10) {
          await rpcBatch(url, txs.slice(i, i + 10).map((raw) => ({ method: "eth_sendRawTransaction", params: [raw] })));
        }
      }),
    );
    await waitForNonces(url, accounts.map((a) => a.address), nonces.map((n) => n + count), 300_000, 10, async () => {
      await rpcBatch(url, [{ method: "evm_mine", params: [] }]);
    });
    return (accounts.length * count) / ((performance.now() - t0) / 1000);
  }

  const ceiling = (count = o.perAccount) => presignedRound(plain, () => ({ to: sink, value: 1n, gasLimit: 21_000n }), count);
  const gridPresigned = (count = o.perAccount) => presignedRound(presigned, (i) => ({ to: address, data: readingData(i), gasLimit: readingGas }), count);
  let readingNo = 0;
  const clientCost = { events: 0, cpuMs: 0, calls: {} as Record<string, number> };
  const gridClient = async (count = o.perAccount) => {
    provider.takeCalls();
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      clients.map((c) => Promise.all(Array.from({ length: count }, () => c.recordStorage({ offerId, available: 9n * 10n ** 8n - BigInt(++readingNo) })))),
    );
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu);
    clientCost.events += clients.length * count;
    clientCost.cpuMs += (used.user + used.system) / 1000;
    for (const [method, n] of Object.entries(provider.takeCalls())) clientCost.calls[method] = (clientCost.calls[method] ?? 0) + n;
    return (clients.length * count) / seconds;
  };

  // Plain transfers through the client's own sender (TxSender: estimate, sign, send, receipt): the client's
  // machinery without GridLedger, to tell the contract's share of the client path from the client's.
  const senders = plainViaSender.map((w) => new TxSender(w, { confirmTimeoutMs: 60_000 }));
  const plainClient = async (count = o.perAccount) => {
    const t0 = performance.now();
    await Promise.all(senders.map((s) => Promise.all(Array.from({ length: count }, () => s.send({ to: sink, value: 1n })))));
    return (senders.length * count) / ((performance.now() - t0) / 1000);
  };

  const rounds: ThroughputRound[] = [];
  // A short warm-up of each path, not counted.
  const warm = Math.max(2, Math.ceil(o.perAccount / 5));
  await ceiling(warm);
  await gridPresigned(warm);
  await gridClient(warm);
  await plainClient(warm);
  clientCost.events = 0;
  clientCost.cpuMs = 0;
  clientCost.calls = {};
  for (let r = 0; r < o.rounds; r++) {
    const forward = r % 2 === 0;
    const result: Partial<ThroughputRound> = {
      round: r + 1,
      order: forward ? "ceiling, presigned, client, plain via sender" : "plain via sender, client, presigned, ceiling",
    };
    if (forward) {
      result.ceilingTxPerSec = await ceiling();
      result.gridledgerPresignedTxPerSec = await gridPresigned();
      result.gridledgerEventsPerSec = await gridClient();
      result.plainViaSenderTxPerSec = await plainClient();
    } else {
      result.plainViaSenderTxPerSec = await plainClient();
      result.gridledgerEventsPerSec = await gridClient();
      result.gridledgerPresignedTxPerSec = await gridPresigned();
      result.ceilingTxPerSec = await ceiling();
    }
    const done = result as ThroughputRound;
    rounds.push(done);
    log(
      `throughput round ${r + 1}/${o.rounds}: ceiling ${done.ceilingTxPerSec.toFixed(0)} tx/s, ` +
        `GridLedger via client ${done.gridledgerEventsPerSec.toFixed(0)} ev/s, presigned ${done.gridledgerPresignedTxPerSec.toFixed(0)} tx/s, ` +
        `plain via TxSender ${done.plainViaSenderTxPerSec.toFixed(0)} tx/s`,
    );
  }
  const r1 = (n: number) => Math.round(n * 10) / 10;
  const ceilingTxPerSec = r1(median(rounds.map((r) => r.ceilingTxPerSec)));
  const gridledgerEventsPerSec = r1(median(rounds.map((r) => r.gridledgerEventsPerSec)));
  const ratio = Math.round((gridledgerEventsPerSec / ceilingTxPerSec) * 1000) / 1000;
  return {
    ceilingTxPerSec,
    gridledgerEventsPerSec,
    accounts: o.accounts,
    ratio,
    targetRatio: THROUGHPUT_TARGET_RATIO,
    meetsTarget: ratio >= THROUGHPUT_TARGET_RATIO,
    gridledgerPresignedTxPerSec: r1(median(rounds.map((r) => r.gridledgerPresignedTxPerSec))),
    plainViaSenderTxPerSec: r1(median(rounds.map((r) => r.plainViaSenderTxPerSec))),
    event: "recordStorage",
    clientCostPerEvent: {
      rpcCalls: Math.round((Object.values(clientCost.calls).reduce((a, b) => a + b, 0) / clientCost.events) * 100) / 100,
      rpcCallsByMethod: Object.fromEntries(Object.entries(clientCost.calls).map(([m, n]) => [m, Math.round((n / clientCost.events) * 100) / 100])),
      nodeCpuMs: Math.round((clientCost.cpuMs / clientCost.events) * 100) / 100,
    },
    perAccount: o.perAccount,
    txPerRound: o.accounts * o.perAccount,
    rounds: rounds.map((r) => ({
      ...r,
      ceilingTxPerSec: r1(r.ceilingTxPerSec),
      gridledgerEventsPerSec: r1(r.gridledgerEventsPerSec),
      gridledgerPresignedTxPerSec: r1(r.gridledgerPresignedTxPerSec),
      plainViaSenderTxPerSec: r1(r.plainViaSenderTxPerSec),
    })),
    method:
      `Each round: ${o.accounts} accounts × ${o.perAccount} transactions on each path. Ceiling: plain ETH transfers, signed before ` +
      "the clock starts, sent pipelined (10 per JSON-RPC batch, accounts concurrent), timed until the last is mined. GridLedger: " +
      "recordStorage from as many meters through GridLedgerClient (TxSender: estimate, sign, send, receipt), all concurrent, timed " +
      "until every receipt is back. Presigned: the same readings on the ceiling's path. Plain via TxSender: plain transfers through " +
      "the client's sender, signed as sent (the client's machinery without the contract). Figures are medians of the rounds; " +
      "the order alternates from round to round.",
  };
}
