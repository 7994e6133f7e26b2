/**
 * Runs a plan against GridLedger: every producer, meter and purchaser signs with its own key through the core
 * client, concurrently, on the plan's schedule. Each action ends mined, failed (with its reason) or skipped
 * (never sent, with its reason); a transaction that reached the node is never sent twice, and one that could
 * not be confirmed is looked up again by its hash before the books close.
 *
 * Batched (`batched` option): meters do not send their storage readings as transactions; each signs its reading
 * (EIP-712) and posts it to an aggregator started here (the same Aggregator and HTTP intake as `gridledger
 * aggregate`), which anchors them in batches. A reading is then mined when the batch holding it is anchored.
 */
import { isError, type JsonRpcProvider, type Signer, type TransactionReceipt, type Wallet } from "ethers";
import { billBytes, buildBill } from "../bill.js";
import type { BillStore } from "../billStore.js";
import { parseLedgerLog, type EventKind } from "../events.js";
import { GridLedgerClient, type RecordCounts, type WriteResult } from "../ledgerClient.js";
import { decodeLedgerError, describeError, LedgerError } from "../ledgerErrors.js";
import type { TxStatus } from "../txSender.js";
import { verifyBill } from "../verifyBill.js";
import { fund, inBatches, simWallet } from "./accounts.js";
import { ReadingBatcher, type BatchedReadings } from "./batchedReadings.js";
import { ChainClock } from "./clock.js";
import { Metrics, type Outcome } from "./metrics.js";
import type { Action, ActionKind, ActionOf, Plan } from "./plan.js";

export interface SimTarget {
  provider: JsonRpcProvider;
  address: string;
  chainId: number;
  /** Where log queries start: GridLedger's deployment block. */
  fromBlock: number;
  store: BillStore;
  /** Keeps this run's keys apart from earlier runs on a chain that persists ("" on a fresh chain). */
  salt: string;
  /** Pays for the accounts when the node has no anvil_setBalance. */
  funder?: Signer;
}

export interface RunOptions {
  /** Longest wait after the plan's duration for the last deliveries, acknowledgements and bills, s. */
  drainS: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** How long the client waits for a receipt before checking on the transaction, ms (default 20 000). */
  confirmTimeoutMs?: number;
  /** Bills verified at once at the end (default 4). */
  verifyConcurrency?: number;
  /** "warp" (default): move the chain's clock forward for delivery windows where the node allows; "wait": real time. */
  clock?: "warp" | "wait";
  /** Storage readings signed and posted to an aggregator that anchors them in batches, instead of transactions. */
  batched?: { batchSize: number; maxAgeMs: number };
}

export type Phase = "funding" | "setup" | "run" | "drain" | "final" | "verify" | "done";

export interface BillCheck {
  purchaseId: string;
  cid: string | undefined;
  ok: boolean;
  problem?: string;
}

export interface SimResult {
  plan: Plan;
  metrics: Metrics;
  countsBefore: RecordCounts;
  countsAfter: RecordCounts;
  bills: { checks: BillCheck[]; buildMs: number[]; uploadMs: number[] };
  /** Wei paid into escrow by mined purchases, and paid out by mined withdrawals. */
  escrowWei: bigint;
  withdrawnWei: bigint;
  seconds: { setup: number; run: number; final: number; verify: number; total: number };
  accounts: { producers: string[]; meters: string[]; purchasers: string[] };
  fundedBy: "setBalance" | "transfer";
  /** How simulated time was kept: the chain's clock moved forward ("warp") or real time waited for. */
  clock: { mode: "warp" | "wait"; warpedS: number };
  /** With the batched option: the readings' books. */
  readings?: BatchedReadings;
  interrupted: boolean;
}

/** ETH each simulated account gets for gas, on top of a purchaser's budget. */
export const GAS_ALLOWANCE_WEI = 100_000_000_000_000_000n; // 0.1 ETH

export class Simulation {
  readonly metrics: Metrics;
  phase: Phase = "funding";
  /** When the timed part started (performance.now()), once it has. */
  runStartMs: number | undefined;

  readonly #plan: Plan;
  readonly #target: SimTarget;
  readonly #options: RunOptions;
  readonly #outcomes = new Map<number, Promise<Outcome>>();
  /** Each action's final outcome, once settled (a failure found mined at the end is replaced by its receipt). */
  readonly #settled = new Map<number, Outcome>();
  readonly #ids = new Map<number, bigint | number | string>();
  readonly #billMs = { build: [] as number[], upload: [] as number[] };
  #wallets!: { producers: Wallet[]; meters: Wallet[]; purchasers: Wallet[] };
  #clients!: { producers: GridLedgerClient[]; meters: GridLedgerClient[]; purchasers: GridLedgerClient[] };
  #reader!: GridLedgerClient;
  #offerOf: (bigint | undefined)[] = [];
  /** Where each meter's next delivery window may start (the end of its last one). */
  #meterCursor: bigint[] = [];
  /** Each meter's transfers go out one after another, in window order. */
  #meterQueue: Promise<unknown>[] = [];
  readonly #purchasedAt = new Map<number, Promise<bigint>>();
  #clock!: ChainClock;
  #deadlineMs = Infinity;
  /** Batched readings: the aggregator, its intake, and the readings still to be posted or anchored. */
  #batch: ReadingBatcher | undefined;

  constructor(plan: Plan, target: SimTarget, options: RunOptions) {
    this.#plan = plan;
    this.#target = target;
    this.#options = options;
    this.metrics = new Metrics(plan.actions);
  }

  async run(): Promise<SimResult> {
    try {
      return await this.#run();
    } finally {
      await this.#batch?.close();
    }
  }

  async #run(): Promise<SimResult> {
    const plan = this.#plan;
    const { provider, address, fromBlock } = this.#target;
    const log = this.#options.log ?? (() => {});
    const t0 = performance.now();

    // Accounts: one key each, funded.
    const { seed } = plan.config;
    const salt = this.#target.salt;
    this.#wallets = {
      producers: plan.producers.map((p) => simWallet(provider, seed, salt, "producer", p.index)),
      meters: plan.meters.map((m) => simWallet(provider, seed, salt, "meter", m.index)),
      purchasers: plan.purchasers.map((p) => simWallet(provider, seed, salt, "purchaser", p.index)),
    };
    const aggregatorWallet = this.#options.batched ? simWallet(provider, seed, salt, "aggregator", 0) : undefined;
    const all = [...this.#wallets.producers, ...this.#wallets.meters, ...this.#wallets.purchasers, ...(aggregatorWallet ? [aggregatorWallet] : [])].map((w) => w.address);
    const fundedBy = await fund(provider, all, plan.config.budgetWei + GAS_ALLOWANCE_WEI, this.#target.funder);
    log(`funded ${all.length} accounts (${fundedBy})`);
    const clientOptions = { address, fromBlock, confirmTimeoutMs: this.#options.confirmTimeoutMs ?? 20_000, maxResubmits: 2 };
    const connect = (w: Wallet) => GridLedgerClient.connect(w, clientOptions);
    this.#clients = {
      producers: await inBatches(this.#wallets.producers, 16, connect),
      meters: await inBatches(this.#wallets.meters, 16, connect),
      purchasers: await inBatches(this.#wallets.purchasers, 16, connect),
    };
    this.#reader = await GridLedgerClient.connect(provider, { address, fromBlock });
    const countsBefore = await this.#reader.counts();
    if (aggregatorWallet && this.#options.batched) {
      this.#batch = await ReadingBatcher.open({
        client: await connect(aggregatorWallet),
        store: this.#target.store,
        ...this.#options.batched,
        readings: plan.actions.filter((a) => a.kind === "recordStorage" && a.timing.phase === "run").length,
        meters: plan.meters.length,
        log,
      });
      log(`aggregator ${aggregatorWallet.address} at ${this.#batch.url}: batches of ${this.#options.batched.batchSize}, max age ${this.#options.batched.maxAgeMs / 1000} s`);
    }

    // Setup: offers and meters.
    this.phase = "setup";
    const setup = plan.actions.filter((a) => a.timing.phase === "setup");
    await Promise.all(setup.map((a) => this.#track(a, () => this.#execute(a))));
    this.#offerOf = plan.producers.map((p) => {
      const open = setup.find((a) => a.kind === "openOffer" && a.actor.index === p.index);
      const id = open ? this.#ids.get(open.id) : undefined;
      return typeof id === "bigint" ? id : undefined;
    });
    const tSetup = performance.now();

    // Each meter's delivery windows follow one another from now on (or from its last one on chain).
    this.#clock = await ChainClock.connect(provider, this.#options.clock);
    const chainNow = await this.#clock.now();
    this.#meterCursor = await inBatches(plan.meters, 16, async (m) => {
      const { lastEnd } = await this.#reader.meterOf(this.#wallets.meters[m.index].address);
      return lastEnd > chainNow ? lastEnd : chainNow;
    });
    this.#meterQueue = plan.meters.map(() => Promise.resolve());

    // The timed part, then the drain: dependent actions still coming are run until the deadline.
    this.phase = "run";
    this.runStartMs = performance.now();
    this.#deadlineMs = this.runStartMs + (plan.config.durationS + this.#options.drainS) * 1000;
    const drainTimer = setTimeout(() => (this.phase = this.phase === "run" ? "drain" : this.phase), plan.config.durationS * 1000);
    const running = plan.actions.filter((a) => a.timing.phase === "run");
    this.#batch?.startClock();
    await Promise.all(
      running.map((a) =>
        this.#track(a, () =>
          a.kind === "recordStorage" && this.#batch
            ? this.#batch.reading(a, {
                offerId: this.#offerOf[a.producer],
                meter: this.#wallets.meters[a.actor.index],
                schedule: (post) => this.#scheduled(a, post),
                sent: () => this.metrics.sent(a),
              })
            : this.#scheduled(a, () => this.#execute(a)),
        ),
      ),
    );
    clearTimeout(drainTimer);
    const readings = await this.#batch?.finish();
    const tRun = performance.now();

    // The end: withdrawals.
    this.phase = "final";
    const final = plan.actions.filter((a) => a.timing.phase === "final");
    await Promise.all(final.map((a) => this.#track(a, () => this.#withdraw(a))));
    await this.#reconcile();
    const tFinal = performance.now();

    // Books closed: the chain's counts, and every bill checked against the chain.
    this.phase = "verify";
    const countsAfter = await this.#reader.counts();
    const bills = plan.actions.filter((a) => a.kind === "recordBill");
    const checks: BillCheck[] = [];
    await inBatches(bills, this.#options.verifyConcurrency ?? 4, async (a) => {
      if (this.#settled.get(a.id)?.status !== "mined") return;
      const purchaseId = this.#ids.get((a as ActionOf<"recordBill">).purchase) as bigint;
      try {
        const v = await verifyBill(this.#reader, this.#target.store, purchaseId);
        checks.push({
          purchaseId: purchaseId.toString(),
          cid: v.cid,
          ok: v.ok,
          ...(v.ok ? {} : { problem: v.error ?? v.mismatches.map((m) => m.field).join(", ") }),
        });
      } catch (error) {
        checks.push({ purchaseId: purchaseId.toString(), cid: undefined, ok: false, problem: describeError(error) });
      }
    });
    checks.sort((a, b) => Number(BigInt(a.purchaseId) - BigInt(b.purchaseId)));
    const tVerify = performance.now();
    this.phase = "done";

    let escrowWei = 0n;
    let withdrawnWei = 0n;
    for (const a of plan.actions) {
      const outcome = this.#settled.get(a.id);
      if (outcome?.status !== "mined") continue;
      if (a.kind === "purchase") escrowWei += a.cost;
      if (a.kind === "withdraw") withdrawnWei += BigInt(outcome.id);
    }
    const s = (ms: number) => Math.round(ms) / 1000;
    return {
      plan,
      metrics: this.metrics,
      countsBefore,
      countsAfter,
      bills: { checks, buildMs: this.#billMs.build, uploadMs: this.#billMs.upload },
      escrowWei,
      withdrawnWei,
      seconds: { setup: s(tSetup - t0), run: s(tRun - tSetup), final: s(tFinal - tRun), verify: s(tVerify - tFinal), total: s(tVerify - t0) },
      accounts: {
        producers: this.#wallets.producers.map((w) => w.address),
        meters: this.#wallets.meters.map((w) => w.address),
        purchasers: this.#wallets.purchasers.map((w) => w.address),
      },
      fundedBy,
      clock: { mode: this.#clock.mode, warpedS: this.#clock.warpedS },
      ...(readings ? { readings } : {}),
      interrupted: this.#options.signal?.aborted ?? false,
    };
  }

  /** Registers the action's outcome promise (so that dependants can wait on it) and books it when settled. */
  #track(action: Action, run: () => Promise<Outcome>): Promise<Outcome> {
    const promise = run().catch((error: unknown): Outcome =>
      this.metrics.wasSent(action)
        ? { status: "failed", reason: "simulator error", detail: describeError(error), stage: "prepare", attempts: 1 }
        : { status: "skipped", reason: `not sent: ${describeError(error)}` },
    );
    this.#outcomes.set(action.id, promise);
    return promise.then((outcome) => {
      if (outcome.status === "mined") this.#ids.set(action.id, outcome.id);
      this.#settled.set(action.id, outcome);
      this.metrics.settle(action, outcome);
      return outcome;
    });
  }

  /** Waits for the action's time or for the actions it depends on, then runs `go` unless the deadline passed. */
  async #scheduled<T>(action: Action, go: () => Promise<T>): Promise<T | Outcome> {
    const timing = action.timing;
    if (timing.phase !== "run") throw new Error(`#${action.id} is not a timed action`);
    if ("atMs" in timing) {
      await sleepUntil(this.runStartMs! + timing.atMs, this.#options.signal);
    } else {
      for (const dep of timing.after) {
        // Dependencies come earlier in the plan, so their promises already exist.
        const outcome = await this.#outcomes.get(dep)!;
        if (outcome.status !== "mined") return { status: "skipped", reason: `needs #${dep}, which ${outcome.status === "failed" ? "failed" : "was skipped"}` };
      }
      await sleepUntil(Math.min(performance.now() + timing.delayMs, this.#deadlineMs), this.#options.signal);
    }
    if (this.#options.signal?.aborted) return { status: "skipped", reason: "interrupted" };
    if (performance.now() >= this.#deadlineMs) return { status: "skipped", reason: "not reached before --duration + --drain" };
    return go();
  }

  async #withdraw(action: Action): Promise<Outcome> {
    if (this.#options.signal?.aborted) return { status: "skipped", reason: "interrupted" };
    const account = this.#walletOf(action).address;
    if ((await this.#reader.balanceOf(account)) === 0n) return { status: "skipped", reason: "nothing to withdraw" };
    return this.#execute(action);
  }

  #walletOf(action: Action): Wallet {
    const { role, index } = action.actor;
    return role === "producer" ? this.#wallets.producers[index] : role === "meter" ? this.#wallets.meters[index] : this.#wallets.purchasers[index];
  }
  #clientOf(action: Action): GridLedgerClient {
    const { role, index } = action.actor;
    return role === "producer" ? this.#clients.producers[index] : role === "meter" ? this.#clients.meters[index] : this.#clients.purchasers[index];
  }

  /** Sends the action's transaction through the core client. */
  async #execute(action: Action): Promise<Outcome> {
    const client = this.#clientOf(action);
    switch (action.kind) {
      case "openOffer":
        return this.#send(action, (s) =>
          client.openOffer({ capacity: action.capacity, available: action.available, rate: action.rate, location: action.location }, s),
        );
      case "authorizeMeter":
        return this.#send(action, (s) =>
          client.authorizeMeter({ meter: this.#wallets.meters[action.meter].address, ratedPower: action.ratedPower }, s),
        );
      case "recordStorage": {
        const offerId = this.#offerOf[action.producer];
        if (offerId === undefined) return { status: "skipped", reason: "the producer's offer was not opened" };
        return this.#send(action, (s) => client.recordStorage({ offerId, available: action.available }, s));
      }
      case "purchase": {
        const offerId = this.#offerOf[action.producer];
        if (offerId === undefined) return { status: "skipped", reason: "the producer's offer was not opened" };
        return this.#send(action, (s) => client.purchase({ offerId, quantity: action.quantity, maxCost: action.cost }, s));
      }
      case "recordTransfer":
        return this.#transfer(action, client);
      case "acknowledgeTransfer": {
        const purchaseId = this.#ids.get(action.purchase) as bigint;
        const index = this.#ids.get(action.transfer) as number;
        return this.#send(action, (s) => client.acknowledgeTransfer({ purchaseId, index }, s));
      }
      case "recordBill": {
        const purchaseId = this.#ids.get(action.purchase) as bigint;
        // Building and storing the bill is part of sending it: a failure there is booked as a failure.
        this.metrics.sent(action);
        let cid: string | undefined;
        let lastError: unknown;
        for (let attempt = 1; attempt <= 3 && cid === undefined; attempt++) {
          try {
            const t0 = performance.now();
            const bytes = billBytes(await buildBill(client, purchaseId));
            const t1 = performance.now();
            cid = await this.#target.store.put(bytes);
            this.#billMs.build.push(t1 - t0);
            this.#billMs.upload.push(performance.now() - t1);
          } catch (error) {
            lastError = error;
            if (decodeLedgerError(error) instanceof LedgerError) break;
            await sleep(250 * attempt);
          }
        }
        if (cid === undefined) {
          return { status: "failed", reason: "bill not built or stored", detail: describeError(lastError), stage: "prepare", attempts: 3 };
        }
        const billCid = cid;
        return this.#send(action, (s) => client.recordBill({ purchaseId, cid: billCid }, s));
      }
      case "withdraw":
        return this.#send(action, (s) => client.withdraw(s));
    }
  }

  /**
   * A meter's delivery: its window starts after its previous window and after the purchase, lasts long enough
   * for the amount at its rated power, and is reported once it has ended (the clock moves on if need be). The
   * meter's transfers are sent one after another in window order, so windows never overlap.
   */
  #transfer(action: ActionOf<"recordTransfer">, client: GridLedgerClient): Promise<Outcome> {
    const m = action.actor.index;
    const purchaseId = this.#ids.get(action.purchase) as bigint;
    let purchasedAt = this.#purchasedAt.get(action.purchase);
    if (!purchasedAt) {
      purchasedAt = this.#reader.purchaseOf(purchaseId).then((p) => p.purchasedAt);
      this.#purchasedAt.set(action.purchase, purchasedAt);
    }
    const bought = purchasedAt;
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const previous = this.#meterQueue[m];
    this.#meterQueue[m] = turn;
    return (async (): Promise<Outcome> => {
      try {
        await previous;
        const after = await bought;
        const cursor = this.#meterCursor[m];
        const start = (cursor > after ? cursor : after) + BigInt(action.gapS);
        const end = start + BigInt(action.durationS);
        if (!(await this.#clock.reach(end, this.#deadlineMs))) {
          return { status: "skipped", reason: "the delivery window could not end before --duration + --drain" };
        }
        this.#meterCursor[m] = end;
        const meter = this.#wallets.meters[m].address;
        return await this.#send(
          action,
          (s) => client.recordTransfer({ purchaseId, meter, amount: action.amount, start, end, device: action.device }, s),
          // The next transfer of this meter may go once this one has its nonce.
          release,
        );
      } finally {
        release();
      }
    })();
  }

  /**
   * Sends once, retrying only what never reached the node (a lost connection, a stale nonce). A transaction
   * that was broadcast is followed by its hash, never sent again.
   */
  async #send(
    action: Action,
    call: (onStatus: (s: TxStatus) => void) => Promise<WriteResult<unknown>>,
    onBroadcast?: () => void,
  ): Promise<Outcome> {
    this.metrics.sent(action);
    const callMs = performance.now();
    const provider = this.#target.provider;
    for (let attempt = 1; ; attempt++) {
      let hash: string | undefined;
      let submitMs: number | undefined;
      // Every hash sent for this action: a resubmission replaces the transaction, but the first may still be mined.
      const hashes: string[] = [];
      const onStatus = (s: TxStatus) => {
        if (s.stage === "pending" || s.stage === "resubmitted") {
          hash = s.hash;
          hashes.push(s.hash);
          submitMs ??= performance.now();
          onBroadcast?.();
        }
      };
      try {
        const result = await call(onStatus);
        const now = performance.now();
        return minedOutcome(result, result.id as bigint | number | string, now - callMs, submitMs === undefined ? undefined : now - submitMs);
      } catch (error) {
        const decoded = decodeLedgerError(error);
        if (hash) {
          // It reached the node: find out what became of it rather than send it again.
          const receipt = decoded instanceof LedgerError ? null : await waitForAnyReceipt(provider, hashes, 30_000);
          if (receipt && receipt.status === 1) {
            const now = performance.now();
            return minedOutcome(receipt, idFromReceipt(action.kind, receipt), now - callMs, submitMs === undefined ? undefined : now - submitMs);
          }
          return { status: "failed", reason: await revertReason(provider, hash, decoded), detail: describeError(decoded), stage: "receipt", hash, attempts: attempt };
        }
        if (decoded instanceof LedgerError) {
          return { status: "failed", reason: decoded.errorName, detail: decoded.message, stage: "estimate", attempts: attempt };
        }
        if (attempt < 3 && isTransient(decoded) && !this.#options.signal?.aborted) {
          await sleep(250 * 2 ** attempt);
          continue;
        }
        return { status: "failed", reason: reasonOf(decoded), detail: describeError(decoded), stage: "broadcast", attempts: attempt };
      }
    }
  }

  /** Failures that had reached the node are looked up once more: one mined late is booked as mined. */
  async #reconcile(): Promise<void> {
    const pending = this.metrics.failures.filter((f) => f.hash && f.stage === "receipt");
    for (const f of pending) {
      const receipt = await this.#target.provider.getTransactionReceipt(f.hash!).catch(() => null);
      if (receipt?.status === 1) {
        const action = this.#plan.actions[f.id];
        const outcome = minedOutcome(receipt, idFromReceipt(action.kind, receipt), 0, undefined);
        this.metrics.reclassify(action, { ...outcome, late: true });
        this.#ids.set(action.id, outcome.id);
        this.#settled.set(action.id, { ...outcome, late: true });
      }
    }
  }
}

function minedOutcome(
  receipt: Pick<TransactionReceipt, "hash" | "blockNumber" | "gasUsed" | "fee">,
  id: bigint | number | string,
  callToMinedMs: number,
  submitToMinedMs: number | undefined,
): Extract<Outcome, { status: "mined" }> {
  return {
    status: "mined",
    hash: receipt.hash,
    blockNumber: receipt.blockNumber,
    gasUsed: receipt.gasUsed,
    fee: receipt.fee,
    id,
    callToMinedMs,
    submitToMinedMs,
  };
}

const EVENT_OF: Record<ActionKind, EventKind> = {
  openOffer: "OfferOpened",
  authorizeMeter: "MeterAuthorized",
  recordStorage: "StorageRecorded",
  purchase: "EnergyPurchased",
  recordTransfer: "EnergyTransferred",
  acknowledgeTransfer: "TransferAcknowledged",
  recordBill: "BillRecorded",
  withdraw: "Withdrawn",
};

/** The record id a mined transaction of this kind made, read from its receipt's logs. */
export function idFromReceipt(kind: ActionKind, receipt: TransactionReceipt): bigint | number | string {
  for (const log of receipt.logs) {
    const event = parseLedgerLog(log);
    if (!event || event.kind !== EVENT_OF[kind]) continue;
    switch (event.kind) {
      case "OfferOpened":
      case "StorageRecorded":
        return event.offerId;
      case "EnergyPurchased":
      case "BillRecorded":
        return event.purchaseId;
      case "EnergyTransferred":
      case "TransferAcknowledged":
        return event.index;
      case "MeterAuthorized":
        return event.meter;
      case "Withdrawn":
        return event.amount;
    }
  }
  throw new Error(`transaction ${receipt.hash} has no ${EVENT_OF[kind]} event`);
}

function reasonOf(error: unknown): string {
  if (error instanceof LedgerError) return error.errorName;
  if (error instanceof Error && error.name === "TxNotMinedError") return "not mined";
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string") return code;
  return describeError(error).slice(0, 80);
}

/** Why a broadcast transaction failed; a mined revert that used all its gas is named as running out of gas. */
async function revertReason(provider: JsonRpcProvider, hash: string, error: unknown): Promise<string> {
  const reason = reasonOf(error);
  if (error instanceof LedgerError) return reason;
  try {
    const [receipt, tx] = await Promise.all([provider.getTransactionReceipt(hash), provider.getTransaction(hash)]);
    if (receipt && tx && receipt.status === 0) {
      return receipt.gasUsed >= tx.gasLimit ? "out of gas (the gas estimate was too low)" : `reverted on chain (${reason})`;
    }
  } catch {
    // keep the first reason
  }
  return reason;
}

function isTransient(error: unknown): boolean {
  if (isError(error, "NETWORK_ERROR") || isError(error, "SERVER_ERROR") || isError(error, "TIMEOUT")) return true;
  if (isError(error, "NONCE_EXPIRED") || isError(error, "REPLACEMENT_UNDERPRICED")) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /ECONNRESET|ECONNREFUSED|socket hang up|fetch failed|nonce too low/i.test(message);
}

/** The receipt of whichever of the hashes (one nonce: a transaction and its replacements) was mined. */
async function waitForAnyReceipt(provider: JsonRpcProvider, hashes: readonly string[], timeoutMs: number): Promise<TransactionReceipt | null> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    for (const hash of hashes) {
      const receipt = await provider.getTransactionReceipt(hash).catch(() => null);
      if (receipt) return receipt;
    }
    await sleep(250);
  }
  return null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sleepUntil(atMs: number, signal?: AbortSignal): Promise<void> {
  const wait = atMs - performance.now();
  if (wait <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, wait);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
