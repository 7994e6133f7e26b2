/**
 * Throughput: the node's ceiling on this machine (plain ETH transfers from N accounts, signed beforehand and
 * pipelined), against GridLedger storage readings from N meters through the core client (each meter its own key
 * and TxSender, all concurrent), in the same run, round after round side by side. The client runs as a meter
 * sending many readings would: with a gas limit for recordStorage; a second client path lets it estimate each
 * reading. A third path sends the same GridLedger readings signed beforehand on the ceiling's path: the gap
 * between it and the ceiling is the contract's, the gap between it and the client is the client's.
 */
import { Interface, Wallet, id as keccakText, type JsonRpcSigner } from "ethers";
import { gridLedgerAbi } from "../generated/contracts.js";
import { GridLedgerClient } from "../ledgerClient.js";
import { median } from "../stats.js";
import { TxSender } from "../txSender.js";
import { inBatches } from "../sim/accounts.js";
import { deployGridLedger } from "../sim/localGrid.js";
import type { ReceiptPollingProvider } from "../sim/provider.js";
import { hex, minedNonces, minerWatchdog, rpcBatch, waitForNonces } from "./rpc.js";

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
  gridledgerEstimatedEventsPerSec: number;
  gridledgerPresignedTxPerSec: number;
  plainViaSenderTxPerSec: number;
}

/** What one event costs the client: JSON-RPC calls (by method) and CPU time of this process. */
export interface ClientCost {
  rpcCalls: number;
  rpcCallsByMethod: Record<string, number>;
  nodeCpuMs: number;
}

export interface ThroughputResult {
  ceilingTxPerSec: number;
  gridledgerEventsPerSec: number;
  accounts: number;
  ratio: number;
  targetRatio: number;
  meetsTarget: boolean;
  gridledgerPresignedTxPerSec: number;
  /** The same readings through the client without a gas limit: each one estimated before it is sent. */
  gridledgerEstimatedEventsPerSec: number;
  /** Plain ETH transfers sent through the core TxSender (signed as sent): the client path without the contract. */
  plainViaSenderTxPerSec: number;
  event: "recordStorage";
  /** What one event through the client (gas limit given) costs this process. */
  clientCostPerEvent: ClientCost;
  /** The same for the client that estimates each reading. */
  estimatedClientCostPerEvent: ClientCost;
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
  const estimating = Array.from({ length: o.accounts }, (_, i) => wallet("estimating-meter", i, provider));
  const plainViaSender = Array.from({ length: o.accounts }, (_, i) => wallet("plain-sender", i, provider));
  const everyone = [producer, ...plain, ...presigned, ...viaClient, ...estimating, ...plainViaSender];
  await rpcBatch(url, everyone.map((w) => ({ method: "anvil_setBalance", params: [w.address, hex(10n ** 21n)] })));

  const producerClient = await GridLedgerClient.connect(producer, { address });
  const { id: offerId } = await producerClient.openOffer({ capacity: 10n ** 9n, available: 9n * 10n ** 8n, rate: 200_000_000_000n, location: "Bench substation" });
  await Promise.all([...presigned, ...viaClient, ...estimating].map((m) => producerClient.authorizeMeter({ meter: m.address, ratedPower: 10_000n })));

  const { chainId } = await provider.getNetwork();
  const block = await provider.getBlock("latest");
  const maxFeePerGas = (block?.baseFeePerGas ?? 1_000_000_000n) * 4n + 2_000_000_000n;
  const fees = { type: 2, chainId, maxFeePerGas, maxPriorityFeePerGas: 1_000_000_000n };
  const readingData = (i: number) => ledger.encodeFunctionData("recordStorage", [offerId, 9n * 10n ** 8n - BigInt(i % 1_000_000)]);
  const readingGas =
    ((await provider.estimateGas({ from: presigned[0].address, to: address, data: readingData(1) })) * 12n) / 10n;
  const sink = wallet("sink", 0, provider).address;
  // The client as a meter sending many readings runs it: a fixed gas limit for recordStorage (the estimate with
  // headroom, as the presigned path has), so that a reading costs no estimate.
  const clients = await inBatches(viaClient, 16, (w) =>
    GridLedgerClient.connect(w, { address, confirmTimeoutMs: 60_000, gasLimits: { recordStorage: readingGas } }),
  );
  const estimatingClients = await inBatches(estimating, 16, (w) => GridLedgerClient.connect(w, { address, confirmTimeoutMs: 60_000 }));

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
  const newCost = () => ({ events: 0, cpuMs: 0, calls: {} as Record<string, number> });
  let clientCost = newCost();
  let estimatedCost = newCost();
  const clientRound = async (of: GridLedgerClient[], cost: ReturnType<typeof newCost>, count: number) => {
    provider.takeCalls();
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      of.map((c) => Promise.all(Array.from({ length: count }, () => c.recordStorage({ offerId, available: 9n * 10n ** 8n - BigInt(++readingNo) })))),
    );
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu);
    cost.events += of.length * count;
    cost.cpuMs += (used.user + used.system) / 1000;
    for (const [method, n] of Object.entries(provider.takeCalls())) cost.calls[method] = (cost.calls[method] ?? 0) + n;
    return (of.length * count) / seconds;
  };
  const gridClient = (count = o.perAccount) => clientRound(clients, clientCost, count);
  const gridEstimated = (count = o.perAccount) => clientRound(estimatingClients, estimatedCost, count);

  // Plain transfers through the client's own sender (TxSender: sign, send, receipt; the gas limit given as for
  // the readings): the client's machinery without GridLedger, to tell the contract's share of the client path
  // from the client's.
  const senders = plainViaSender.map((w) => new TxSender(w, { confirmTimeoutMs: 60_000 }));
  const plainClient = async (count = o.perAccount) => {
    const t0 = performance.now();
    await Promise.all(senders.map((s) => Promise.all(Array.from({ length: count }, () => s.send({ to: sink, value: 1n, gasLimit: 21_000n })))));
    return (senders.length * count) / ((performance.now() - t0) / 1000);
  };

  const rounds: ThroughputRound[] = [];
  // anvil's automine can leave a ready transaction unmined after a burst until another arrives (the presigned
  // path mines a block when it sees no progress for a second); the client paths get the same nudge.
  const watchdog = minerWatchdog(url);
  try {
    // A short warm-up of each path, not counted.
    const warm = Math.max(2, Math.ceil(o.perAccount / 5));
    await ceiling(warm);
    await gridPresigned(warm);
    await gridClient(warm);
    await gridEstimated(warm);
    await plainClient(warm);
    clientCost = newCost();
    estimatedCost = newCost();
    for (let r = 0; r < o.rounds; r++) {
      const forward = r % 2 === 0;
      const result: Partial<ThroughputRound> = {
        round: r + 1,
        order: forward
          ? "ceiling, presigned, client, client estimating, plain via sender"
          : "plain via sender, client estimating, client, presigned, ceiling",
      };
      if (forward) {
        result.ceilingTxPerSec = await ceiling();
        result.gridledgerPresignedTxPerSec = await gridPresigned();
        result.gridledgerEventsPerSec = await gridClient();
        result.gridledgerEstimatedEventsPerSec = await gridEstimated();
        result.plainViaSenderTxPerSec = await plainClient();
      } else {
        result.plainViaSenderTxPerSec = await plainClient();
        result.gridledgerEstimatedEventsPerSec = await gridEstimated();
        result.gridledgerEventsPerSec = await gridClient();
        result.gridledgerPresignedTxPerSec = await gridPresigned();
        result.ceilingTxPerSec = await ceiling();
      }
      const done = result as ThroughputRound;
      rounds.push(done);
      log(
        `throughput round ${r + 1}/${o.rounds}: ceiling ${done.ceilingTxPerSec.toFixed(0)} tx/s, ` +
          `GridLedger via client ${done.gridledgerEventsPerSec.toFixed(0)} ev/s (estimating ${done.gridledgerEstimatedEventsPerSec.toFixed(0)}), presigned ${done.gridledgerPresignedTxPerSec.toFixed(0)} tx/s, ` +
          `plain via TxSender ${done.plainViaSenderTxPerSec.toFixed(0)} tx/s`,
      );
    }
  } finally {
    watchdog.stop();
  }
  if (watchdog.nudges() > 0) log(`throughput: the miner watchdog mined ${watchdog.nudges()} blocks for transactions left in the pool`);
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
    gridledgerEstimatedEventsPerSec: r1(median(rounds.map((r) => r.gridledgerEstimatedEventsPerSec))),
    plainViaSenderTxPerSec: r1(median(rounds.map((r) => r.plainViaSenderTxPerSec))),
    event: "recordStorage",
    clientCostPerEvent: perEvent(clientCost),
    estimatedClientCostPerEvent: perEvent(estimatedCost),
    perAccount: o.perAccount,
    txPerRound: o.accounts * o.perAccount,
    rounds: rounds.map((r) => ({
      ...r,
      ceilingTxPerSec: r1(r.ceilingTxPerSec),
      gridledgerEventsPerSec: r1(r.gridledgerEventsPerSec),
      gridledgerEstimatedEventsPerSec: r1(r.gridledgerEstimatedEventsPerSec),
      gridledgerPresignedTxPerSec: r1(r.gridledgerPresignedTxPerSec),
      plainViaSenderTxPerSec: r1(r.plainViaSenderTxPerSec),
    })),
    method:
      `Each round: ${o.accounts} accounts × ${o.perAccount} transactions on each path. Ceiling: plain ETH transfers, signed before ` +
      "the clock starts, sent pipelined (10 per JSON-RPC batch, accounts concurrent), timed until the last is mined. GridLedger: " +
      "recordStorage from as many meters through GridLedgerClient, all concurrent, timed until every receipt is back; the client " +
      "has a gas limit for recordStorage (as a meter sending many readings would), signs each reading as it is sent with cached " +
      "fees, pipelines each meter's readings and polls receipts in batches. Estimating: the same with each reading estimated " +
      "first. Presigned: the same readings on the ceiling's path. Plain via TxSender: plain transfers through the client's " +
      "sender, signed as sent, gas limit given (the client's machinery without the contract). Figures are medians of the " +
      "rounds; the order alternates from round to round.",
  };
}

function perEvent(cost: { events: number; cpuMs: number; calls: Record<string, number> }): ClientCost {
  const per = (n: number) => Math.round((n / cost.events) * 100) / 100;
  return {
    rpcCalls: per(Object.values(cost.calls).reduce((a, b) => a + b, 0)),
    rpcCallsByMethod: Object.fromEntries(Object.entries(cost.calls).map(([m, n]) => [m, per(n)])),
    nodeCpuMs: per(cost.cpuMs),
  };
}
