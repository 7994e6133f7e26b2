/**
 * Latency of one event, end to end: a meter sends a storage reading through the core client (submit → mined,
 * as the sender sees its receipt), and the producer's subscriber on another connection, reading `alerts()`,
 * sees it (mined → alert, and submit → alert).
 */
import { Wallet, id as keccakText, type JsonRpcSigner } from "ethers";
import { alerts } from "../alerts.js";
import { GridLedgerClient } from "../ledgerClient.js";
import type { TxStatus } from "../txSender.js";
import { latencySummary } from "../sim/metrics.js";
import { deployGridLedger } from "../sim/localGrid.js";
import { ReceiptPollingProvider } from "../sim/provider.js";
import { hex, rpcBatch } from "./rpc.js";

export interface LatencyOptions {
  url: string;
  operator: JsonRpcSigner;
  provider: ReceiptPollingProvider;
  samples: number;
  /** The subscriber's polling interval, ms. */
  pollMs: number;
  /** Pause between two readings, ms. */
  gapMs: number;
  log?: (line: string) => void;
}

type Summary = ReturnType<typeof latencySummary>;
export interface LatencyResult {
  samples: number;
  event: "recordStorage";
  alertPollMs: number;
  gapMs: number;
  submitToMinedMs: Summary;
  minedToAlertMs: Summary;
  submitToAlertMs: Summary;
  /** Readings the subscriber never saw (should be 0). */
  missedAlerts: number;
  method: string;
}

export async function measureLatency(o: LatencyOptions): Promise<LatencyResult> {
  const { address, deployedAtBlock } = await deployGridLedger(o.operator);
  const producer = new Wallet(keccakText("gridledger-bench/latency/producer"), o.provider);
  const meter = new Wallet(keccakText("gridledger-bench/latency/meter"), o.provider);
  await rpcBatch(o.url, [producer, meter].map((w) => ({ method: "anvil_setBalance", params: [w.address, hex(10n ** 21n)] })));
  const producerClient = await GridLedgerClient.connect(producer, { address });
  const meterClient = await GridLedgerClient.connect(meter, { address });
  const { id: offerId } = await producerClient.openOffer({ capacity: 10n ** 9n, available: 9n * 10n ** 8n, rate: 200_000_000_000n, location: "Latency feeder" });
  await producerClient.authorizeMeter({ meter: meter.address, ratedPower: 10_000n });

  // The subscriber: its own connection, as a producer's dashboard would have.
  const subscriberProvider = new ReceiptPollingProvider(o.url, 31337, { staticNetwork: true });
  const subscriber = await GridLedgerClient.connect(subscriberProvider, { address, fromBlock: deployedAtBlock });
  const controller = new AbortController();
  const arrivals = new Map<string, number>();
  const head = await o.provider.getBlockNumber();
  const listening = (async () => {
    for await (const alert of alerts(subscriber, producer.address, {
      after: { block: head, logIndex: Number.MAX_SAFE_INTEGER },
      pollMs: o.pollMs,
      signal: controller.signal,
    })) {
      if (alert.event.kind === "StorageRecorded") arrivals.set(alert.event.transactionHash, performance.now());
    }
  })();

  const sent: { hash: string; submitMs: number; minedMs: number }[] = [];
  try {
    for (let i = 0; i < o.samples; i++) {
      let submitMs = 0;
      const result = await meterClient.recordStorage({ offerId, available: 9n * 10n ** 8n - BigInt(i) }, (s: TxStatus) => {
        if (s.stage === "pending") submitMs = performance.now();
      });
      sent.push({ hash: result.hash, submitMs, minedMs: performance.now() });
      await new Promise((resolve) => setTimeout(resolve, o.gapMs));
    }
    const deadline = performance.now() + 10_000 + o.pollMs * 4;
    while (performance.now() < deadline && sent.some((s) => !arrivals.has(s.hash))) await new Promise((r) => setTimeout(r, 20));
  } finally {
    controller.abort();
    await listening.catch(() => undefined);
    subscriberProvider.destroy();
  }
  const seen = sent.filter((s) => arrivals.has(s.hash));
  return {
    samples: o.samples,
    event: "recordStorage",
    alertPollMs: o.pollMs,
    gapMs: o.gapMs,
    submitToMinedMs: latencySummary(sent.map((s) => s.minedMs - s.submitMs)),
    minedToAlertMs: latencySummary(seen.map((s) => arrivals.get(s.hash)! - s.minedMs)),
    submitToAlertMs: latencySummary(seen.map((s) => arrivals.get(s.hash)! - s.submitMs)),
    missedAlerts: sent.length - seen.length,
    method:
      `${o.samples} storage readings, one after another ${o.gapMs} ms apart, from a meter through GridLedgerClient. Submit: the ` +
      "transaction reaches the node; mined: the sender has its receipt; alert: the producer's alerts() subscriber, on its own " +
      `connection polling every ${o.pollMs} ms, yields it. The node mines a block per transaction (anvil automine). ` +
      "Mined → alert can be slightly negative when the subscriber sees the log before the sender's receipt poll returns.",
  };
}
