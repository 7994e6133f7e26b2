/**
 * Throughput: the node's ceiling on this machine (plain ETH transfers from N accounts, signed beforehand and
 * pipelined), against GridLedger storage readings from N meters through the core client (each meter its own key
 * and TxSender, all concurrent), in the same run, round after round side by side. The client runs as a meter
 * sending many readings would: with a gas limit for recordStorage; a second client path lets it estimate each
 * reading. A third path sends the same GridLedger readings signed beforehand on the ceiling's path: the gap
 * between it and the ceiling is the contract's, the gap between it and the client is the client's.
 *
 * Every round is measured twice, on a fresh chain each time: with the node on cores of its own and the senders
 * on another (cpuPlacement.ts), as in a deployment where the meters are not the node's machine, and with both
 * sharing every core. Sharing, the client's CPU (its ECDSA signatures above all, which the ceiling makes before
 * its clock starts) is taken from the node's, so that ratio also measures how the machine's cores are divided.
 */
import { Interface, Wallet, id as keccakText } from "ethers";
import { gridLedgerAbi } from "../generated/contracts.js";
import { GridLedgerClient } from "../ledgerClient.js";
import { median } from "../stats.js";
import { signTransaction } from "../txEncoding.js";
import { TxSender } from "../txSender.js";
import { digestSigner } from "../txSigning.js";
import { inBatches } from "../sim/accounts.js";
import type { LocalGrid } from "../sim/localGrid.js";
import { ReceiptPollingProvider } from "../sim/provider.js";
import { coreSplitHere, formatCpuList, pinProcess, type CoreSplit } from "./cpuPlacement.js";
import { hex, minedNonces, minerWatchdog, rpcBatch, waitForNonces } from "./rpc.js";

export const THROUGHPUT_TARGET_RATIO = 0.7;

/** How long the client paths wait for a receipt before resubmitting, ms. */
const STUCK_AFTER_MS = 5_000;

export interface ThroughputOptions {
  /** Starts a fresh local chain (one per round); the measurement stops it. */
  startChain(): Promise<LocalGrid>;
  accounts: number;
  perAccount: number;
  rounds: number;
  log?: (line: string) => void;
}

/** Where the node and the senders ran: on cores of their own, or all sharing every core. */
export type Placement = "own cores" | "shared cores";

export interface ThroughputRound {
  round: number;
  placement: Placement;
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

/** The medians of one placement's rounds. */
export interface PlacementFigures {
  ceilingTxPerSec: number;
  gridledgerEventsPerSec: number;
  ratio: number;
  meetsTarget: boolean;
  gridledgerPresignedTxPerSec: number;
  /** The same readings through the client without a gas limit: each one estimated before it is sent. */
  gridledgerEstimatedEventsPerSec: number;
  /** Plain ETH transfers sent through the core TxSender (signed as sent): the client path without the contract. */
  plainViaSenderTxPerSec: number;
  /** What one event through the client (gas limit given) costs this process. */
  clientCostPerEvent: ClientCost;
  /** The same for the client that estimates each reading. */
  estimatedClientCostPerEvent: ClientCost;
}

/**
 * The headline figures (top level) are those with the node on cores of its own where the machine can split
 * them, else those sharing the cores (`placement` says which); `byPlacement` holds both.
 */
export interface ThroughputResult extends PlacementFigures {
  accounts: number;
  targetRatio: number;
  placement: Placement;
  /** The CPUs of the node and of the senders ("0", "1"), or why the cores were not split. */
  cores: { node: string; senders: string } | { notSplit: string };
  byPlacement: { "own cores"?: PlacementFigures; "shared cores": PlacementFigures };
  event: "recordStorage";
  perAccount: number;
  txPerRound: number;
  rounds: ThroughputRound[];
  method: string;
}

const ledger = new Interface(gridLedgerAbi);
const wallet = (label: string, i: number, provider: ReceiptPollingProvider) => new Wallet(keccakText(`gridledger-bench/${label}/${i}`), provider);

type Cost = { events: number; cpuMs: number; calls: Record<string, number> };
const newCost = (): Cost => ({ events: 0, cpuMs: 0, calls: {} });

/** The five paths of a round on one chain, each a function of the transactions per account it sends. */
interface Paths {
  ceiling(count: number): Promise<number>;
  gridPresigned(count: number): Promise<number>;
  gridClient(count: number, cost?: Cost): Promise<number>;
  gridEstimated(count: number, cost?: Cost): Promise<number>;
  plainClient(count: number): Promise<number>;
}

export async function measureThroughput(o: ThroughputOptions): Promise<ThroughputResult> {
  const log = o.log ?? (() => {});
  const here = coreSplitHere();
  if (!here.split) log(`throughput: measuring with the node and the senders sharing every core only: ${here.why}`);
  const placements: Placement[] = here.split ? ["own cores", "shared cores"] : ["shared cores"];
  const costs = new Map(placements.map((p) => [p, { client: newCost(), estimated: newCost() }]));
  const rounds: ThroughputRound[] = [];
  let nudges = 0;
  for (let r = 0; r < o.rounds; r++) {
    // Which placement goes first alternates too, so that neither always runs on a machine the other warmed.
    for (const placement of r % 2 === 0 ? placements : [...placements].reverse()) {
      const cost = costs.get(placement)!;
      // Each round on a fresh chain, set up alike: anvil's CPU per block grows with the chain's length (measured:
      // 0.4 ms per empty block at 200 blocks, 2.6 ms at 1,200), so on one long chain the later rounds, and a path
      // measured after one that made more blocks, would pay for the earlier ones.
      const grid = await o.startChain();
      const watchdog = minerWatchdog(grid.rpcUrl);
      let unpin = () => {};
      try {
        if (placement === "own cores" && here.split) unpin = pinApart(grid, here.split, here.all);
        const done = await measureRound(grid, o, r, placement, cost);
        rounds.push(done);
        log(
          `throughput round ${r + 1}/${o.rounds}, ${placement}: ceiling ${done.ceilingTxPerSec.toFixed(0)} tx/s, ` +
            `GridLedger via client ${done.gridledgerEventsPerSec.toFixed(0)} ev/s (estimating ${done.gridledgerEstimatedEventsPerSec.toFixed(0)}), presigned ${done.gridledgerPresignedTxPerSec.toFixed(0)} tx/s, ` +
            `plain via TxSender ${done.plainViaSenderTxPerSec.toFixed(0)} tx/s`,
        );
      } finally {
        unpin();
        watchdog.stop();
        nudges += watchdog.nudges();
        await grid.stop();
      }
    }
  }
  if (nudges > 0) log(`throughput: the miner watchdog mined ${nudges} blocks for transactions left in the pool`);
  const r1 = (n: number) => Math.round(n * 10) / 10;
  const figures = (placement: Placement): PlacementFigures => {
    const mine = rounds.filter((r) => r.placement === placement);
    const ceilingTxPerSec = r1(median(mine.map((r) => r.ceilingTxPerSec)));
    const gridledgerEventsPerSec = r1(median(mine.map((r) => r.gridledgerEventsPerSec)));
    const ratio = Math.round((gridledgerEventsPerSec / ceilingTxPerSec) * 1000) / 1000;
    return {
      ceilingTxPerSec,
      gridledgerEventsPerSec,
      ratio,
      meetsTarget: ratio >= THROUGHPUT_TARGET_RATIO,
      gridledgerPresignedTxPerSec: r1(median(mine.map((r) => r.gridledgerPresignedTxPerSec))),
      gridledgerEstimatedEventsPerSec: r1(median(mine.map((r) => r.gridledgerEstimatedEventsPerSec))),
      plainViaSenderTxPerSec: r1(median(mine.map((r) => r.plainViaSenderTxPerSec))),
      clientCostPerEvent: perEvent(costs.get(placement)!.client),
      estimatedClientCostPerEvent: perEvent(costs.get(placement)!.estimated),
    };
  };
  // In the order of `placements`: the headline first.
  const byPlacement = Object.fromEntries(placements.map((p) => [p, figures(p)])) as ThroughputResult["byPlacement"];
  const placement = placements[0];
  return {
    ...byPlacement[placement]!,
    accounts: o.accounts,
    targetRatio: THROUGHPUT_TARGET_RATIO,
    placement,
    cores: here.split ? { node: formatCpuList(here.split.node), senders: formatCpuList(here.split.senders) } : { notSplit: here.why },
    byPlacement,
    event: "recordStorage",
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
      `Each round on a fresh anvil, set up alike (GridLedger deployed, one offer, the meters authorised), each path warmed up ` +
      `with a few transactions, then ${o.accounts} accounts × ${o.perAccount} transactions on each path. Ceiling: plain ETH ` +
      "transfers, signed before the clock starts, sent pipelined (10 per JSON-RPC batch, accounts concurrent, over the client " +
      "paths' own HTTP transport: node:http, kept-alive sockets), timed until the " +
      "last is mined. GridLedger: recordStorage from as many meters through GridLedgerClient, all concurrent, timed until every " +
      "receipt is back; the client has a gas limit for recordStorage (as a meter sending many readings would), " +
      "signs each reading as it is sent with cached fees, shares send requests among the " +
      "meters and reads receipts a block at a time. Estimating: the same with each reading estimated first. Presigned: the " +
      "same readings on the ceiling's path. Plain via TxSender: plain transfers through the client's sender, signed as sent, " +
      "gas limit given (the client's machinery without the contract). A transaction anvil leaves unmined is replaced at " +
      "higher fees on every path (after 1 s without progress on the presigned paths, 5 s on the client's). " +
      (here.split
        ? `Every round runs twice, each time on a fresh chain: with the node on CPU ${formatCpuList(here.split.node)} and this ` +
          `process (every sender: the ceiling's, the presigned path's and the client's) on CPU ${formatCpuList(here.split.senders)}, ` +
          "pinned with taskset, as in a deployment where the meters are other machines than the node; and with both sharing every " +
          "core, where the client's CPU is taken from the node's. The headline figures are the first. "
        : `The node and the senders share every core (${here.why}). `) +
      "Figures are medians of the rounds; the order of the paths alternates from round to round, and so does the order of the placements.",
  };
}

/** Pins the round's node to its cores and this process to the senders' core; the returned function undoes the latter. */
function pinApart(grid: LocalGrid, split: CoreSplit, all: number[]): () => void {
  const nodePid = grid.chain.process.pid;
  if (nodePid === undefined) throw new Error("throughput: the node's process has no pid to pin");
  pinProcess(nodePid, split.node);
  pinProcess(process.pid, split.senders);
  return () => pinProcess(process.pid, all);
}

/** One round of one placement: a short warm-up of each path on this chain, not counted, then every path. */
async function measureRound(grid: LocalGrid, o: ThroughputOptions, r: number, placement: Placement, cost: { client: Cost; estimated: Cost }): Promise<ThroughputRound> {
  const paths = await preparePaths(grid, o.accounts);
  const warm = Math.max(2, Math.ceil(o.perAccount / 10));
  for (const path of [paths.ceiling, paths.gridPresigned, paths.gridClient, paths.gridEstimated, paths.plainClient]) await path(warm);
  const forward = r % 2 === 0;
  const result: Partial<ThroughputRound> = {
    round: r + 1,
    placement,
    order: forward
      ? "ceiling, presigned, client, client estimating, plain via sender"
      : "plain via sender, client estimating, client, presigned, ceiling",
  };
  const n = o.perAccount;
  if (forward) {
    result.ceilingTxPerSec = await paths.ceiling(n);
    result.gridledgerPresignedTxPerSec = await paths.gridPresigned(n);
    result.gridledgerEventsPerSec = await paths.gridClient(n, cost.client);
    result.gridledgerEstimatedEventsPerSec = await paths.gridEstimated(n, cost.estimated);
    result.plainViaSenderTxPerSec = await paths.plainClient(n);
  } else {
    result.plainViaSenderTxPerSec = await paths.plainClient(n);
    result.gridledgerEstimatedEventsPerSec = await paths.gridEstimated(n, cost.estimated);
    result.gridledgerEventsPerSec = await paths.gridClient(n, cost.client);
    result.gridledgerPresignedTxPerSec = await paths.gridPresigned(n);
    result.ceilingTxPerSec = await paths.ceiling(n);
  }
  return result as ThroughputRound;
}

/** Sets up a fresh chain for a round (GridLedger, funded accounts, an offer, authorised meters) and its paths. */
async function preparePaths(grid: LocalGrid, accounts: number): Promise<Paths> {
  const { provider, rpcUrl: url } = grid;
  const { address } = grid;
  const producer = wallet("producer", 0, provider);
  const plain = Array.from({ length: accounts }, (_, i) => wallet("plain", i, provider));
  const presigned = Array.from({ length: accounts }, (_, i) => wallet("presigned-meter", i, provider));
  const viaClient = Array.from({ length: accounts }, (_, i) => wallet("client-meter", i, provider));
  const estimating = Array.from({ length: accounts }, (_, i) => wallet("estimating-meter", i, provider));
  const plainViaSender = Array.from({ length: accounts }, (_, i) => wallet("plain-sender", i, provider));
  const everyone = [producer, ...plain, ...presigned, ...viaClient, ...estimating, ...plainViaSender];
  await rpcBatch(url, everyone.map((w) => ({ method: "anvil_setBalance", params: [w.address, hex(10n ** 21n)] })));

  const producerClient = await GridLedgerClient.connect(producer, { address });
  const { id: offerId } = await producerClient.openOffer({ capacity: 10n ** 9n, available: 9n * 10n ** 8n, rate: 200_000_000_000n, location: "Bench substation" });
  await Promise.all([...presigned, ...viaClient, ...estimating].map((m) => producerClient.authorizeMeter({ meter: m.address, ratedPower: 10_000n })));

  const chainId = Number((await provider.getNetwork()).chainId);
  const block = await provider.getBlock("latest");
  const maxFeePerGas = (block?.baseFeePerGas ?? 1_000_000_000n) * 4n + 2_000_000_000n;
  const fees = { type: 2, chainId: BigInt(chainId), maxFeePerGas, maxPriorityFeePerGas: 1_000_000_000n } as const;
  // The presigned paths sign with the client's own encoder and signer (the bytes ethers' Wallet gives, tested):
  // ethers' pure-JS signing before the clock would leave garbage for the next path's clock to collect.
  const sign = await digestSigner();
  const signRaw = (account: Wallet, tx: { to: string; data?: string; value?: bigint; gasLimit: bigint; nonce: number }, bump = 100n) =>
    signTransaction(
      {
        ...fees,
        maxFeePerGas: (fees.maxFeePerGas * bump) / 100n,
        maxPriorityFeePerGas: (fees.maxPriorityFeePerGas * bump) / 100n,
        to: tx.to,
        data: tx.data ?? "0x",
        value: tx.value ?? 0n,
        gasLimit: tx.gasLimit,
        nonce: tx.nonce,
      },
      (digest) => sign(digest, account.signingKey),
    ).raw;
  let readingNo = 0;
  const readingData = () => ledger.encodeFunctionData("recordStorage", [offerId, 9n * 10n ** 8n - BigInt(++readingNo)]);
  const readingGas = ((await provider.estimateGas({ from: presigned[0].address, to: address, data: readingData() })) * 12n) / 10n;
  const sink = wallet("sink", 0, provider).address;

  /** Signs `count` transactions for each account (not timed), then sends them pipelined and times until mined. */
  async function presignedRound(senders: Wallet[], build: () => { to: string; data?: string; value?: bigint; gasLimit: bigint }, count: number): Promise<number> {
    const nonces = await minedNonces(url, senders.map((a) => a.address));
    const signed = senders.map((a, k) => Array.from({ length: count }, (_, i) => signRaw(a, { ...build(), nonce: nonces[k] + i })));
    const t0 = performance.now();
    await Promise.all(
      signed.map(async (txs) => {
        for (let i = 0; i < txs.length; i += 10) {
          await rpcBatch(url, txs.slice(i, i + 10).map((raw) => ({ method: "eth_sendRawTransaction", params: [raw] })));
        }
      }),
    );
    let bump = 100n;
    await waitForNonces(url, senders.map((a) => a.address), nonces.map((n) => n + count), 300_000, 10, async () => {
      await rpcBatch(url, [{ method: "evm_mine", params: [] }]);
      // anvil can file a transaction that arrived while its predecessor was being mined as a future one and
      // never promote it (foundry-rs/foundry#10122); a replacement at higher fees is filed afresh, as the
      // client's own resubmission does. Only each lagging account's next nonce: the ones after it follow.
      bump += 25n;
      const mined = await minedNonces(url, senders.map((a) => a.address));
      for (const [k, account] of senders.entries()) {
        if (mined[k] >= nonces[k] + count) continue;
        const raw = signRaw(account, { ...build(), nonce: mined[k] }, bump);
        await rpcBatch(url, [{ method: "eth_sendRawTransaction", params: [raw] }]).catch(() => undefined);
      }
    });
    return (senders.length * count) / ((performance.now() - t0) / 1000);
  }

  /** A provider of one path's run: its own receipt poller, send queue and fee cache. */
  const ownProvider = () => new ReceiptPollingProvider(url, chainId, { staticNetwork: true, pollingInterval: 50 });

  /**
   * A fresh client stack for one run of a path: its own provider (receipt poller, send queue, fee cache) and
   * clients. The client runs as a meter sending many readings would: with a fixed gas limit for recordStorage
   * (the estimate with headroom, as the presigned path has), so that a reading costs no estimate; the
   * estimating path gives no gas limit. A reading not mined within 5 s is
   * resubmitted at higher fees (the client's own recovery).
   */
  async function clientStack(wallets: readonly Wallet[], gasLimit: bigint | undefined) {
    const stackProvider = ownProvider();
    const clients = await inBatches([...wallets], 16, (w) =>
      GridLedgerClient.connect(w.connect(stackProvider), {
        address,
        confirmTimeoutMs: STUCK_AFTER_MS,
        gasLimits: gasLimit === undefined ? undefined : { recordStorage: gasLimit },
      }),
    );
    return { provider: stackProvider, clients };
  }

  async function clientRound(wallets: readonly Wallet[], gasLimit: bigint | undefined, count: number, cost = newCost()): Promise<number> {
    const stack = await clientStack(wallets, gasLimit);
    try {
      stack.provider.takeCalls();
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(
        stack.clients.map((c) =>
          Promise.all(Array.from({ length: count }, () => c.recordStorage({ offerId, available: 9n * 10n ** 8n - BigInt(++readingNo) }))),
        ),
      );
      const seconds = (performance.now() - t0) / 1000;
      const used = process.cpuUsage(cpu);
      cost.events += wallets.length * count;
      cost.cpuMs += (used.user + used.system) / 1000;
      for (const [method, n] of Object.entries(stack.provider.takeCalls())) cost.calls[method] = (cost.calls[method] ?? 0) + n;
      return (wallets.length * count) / seconds;
    } finally {
      stack.provider.destroy();
    }
  }

  let value = 0n;
  return {
    ceiling: (count) => presignedRound(plain, () => ({ to: sink, value: ++value, gasLimit: 21_000n }), count),
    gridPresigned: (count) => presignedRound(presigned, () => ({ to: address, data: readingData(), gasLimit: readingGas }), count),
    gridClient: (count, cost) => clientRound(viaClient, readingGas, count, cost),
    gridEstimated: (count, cost) => clientRound(estimating, undefined, count, cost),
    // Plain transfers through the client's own sender (TxSender: sign, send, receipt; the gas limit given as for
    // the readings): the client's machinery without GridLedger, to tell the contract's share of the client path
    // from the client's.
    plainClient: async (count) => {
      const stackProvider = ownProvider();
      try {
        const senders = plainViaSender.map((w) => new TxSender(w.connect(stackProvider), { confirmTimeoutMs: STUCK_AFTER_MS }));
        const t0 = performance.now();
        await Promise.all(senders.map((s) => Promise.all(Array.from({ length: count }, () => s.send({ to: sink, value: ++value, gasLimit: 21_000n })))));
        return (senders.length * count) / ((performance.now() - t0) / 1000);
      } finally {
        stackProvider.destroy();
      }
    },
  };
}

function perEvent(cost: Cost): ClientCost {
  const per = (n: number) => Math.round((n / cost.events) * 100) / 100;
  return {
    rpcCalls: per(Object.values(cost.calls).reduce((a, b) => a + b, 0)),
    rpcCallsByMethod: Object.fromEntries(Object.entries(cost.calls).map(([m, n]) => [m, per(n)])),
    nodeCpuMs: per(cost.cpuMs),
  };
}
