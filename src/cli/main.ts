/**
 * `gridledger`: the command line for devices and operators. Every action of the ledger, plus bills on IPFS,
 * verification, history, counts and live alerts. `--json` for machines; exit code 0 on success, 1 with a
 * one-line reason on failure, 2 on a usage error.
 */
import { open, rename, rm, writeFile } from "node:fs/promises";
import { Command, CommanderError, Option } from "commander";
import { Wallet } from "ethers";
import { anomaliesOf, describeAnomaly } from "../anomaly.js";
import { exportRecords, type ExportFormat } from "../auditExport.js";
import { billBytes, buildBill, renderBillHtml } from "../bill.js";
import type { BillStore } from "../billStore.js";
import { EVENT_KINDS, eventKey, type EventKind, type LedgerEvent } from "../events.js";
import { describeError } from "../ledgerErrors.js";
import type { WriteResult } from "../ledgerClient.js";
import {
  acknowledgementInput,
  billInput,
  disputeInput,
  meterInput,
  openOfferInput,
  purchaseInput,
  storageInput,
  transferInput,
  validate,
} from "../schemas.js";
import { formatEnergy, formatEth, formatRate, parseTime } from "../units.js";
import { describeNotice, notificationSteps, parseDuration, parseStorageLevel, ThresholdTracker, type ThresholdRules } from "../thresholds.js";
import { verifyBill } from "../verifyBill.js";
import { defaultStatePath, fileStateStore, runWebhookWatcher, toJson, webhookBody } from "../webhookWatcher.js";
import { CliContext, DEFAULTS, type GlobalOptions } from "./context.js";
import { registerReadingCommands } from "./readingCommands.js";

const program = new Command("gridledger")
  .description("GridLedger: record and read smart-grid events on Ethereum (storage, purchase, transfer, bill)")
  .addOption(new Option("--rpc-url <url>", "JSON-RPC node").env("GRIDLEDGER_RPC_URL").default(DEFAULTS.rpcUrl))
  .addOption(new Option("--contract <address>", "GridLedger's address (default: the generated deployment for the chain)").env("GRIDLEDGER_CONTRACT"))
  .addOption(new Option("--ipfs-url <url>", "Kubo RPC API for bills (npm start serves one)").env("GRIDLEDGER_IPFS_URL").default(DEFAULTS.ipfsUrl))
  .addOption(new Option("--ipfs-dir <dir>", "use an embedded IPFS node with this data directory instead of --ipfs-url").env("GRIDLEDGER_IPFS_DIR"))
  .addOption(new Option("--keystore <file>", "encrypted JSON key (password in GRIDLEDGER_KEYSTORE_PASSWORD or asked)").env("GRIDLEDGER_KEYSTORE"))
  .addOption(new Option("--dev-account <n>", "local chain only: sign with the node's development account n").env("GRIDLEDGER_DEV_ACCOUNT"))
  .option("--json", "print JSON for machines")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

let context: CliContext | undefined;
const ctx = () => (context ??= new CliContext(program.opts<GlobalOptions>()));
const json = () => program.opts<GlobalOptions>().json === true;

/** Prints a result: JSON (bigints as strings) for machines, a line for people. */
function out(value: unknown, human: string): void {
  if (json()) console.log(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  else console.log(human);
}
const mined = (r: WriteResult<unknown>) => ({ hash: r.hash, blockNumber: r.blockNumber, gasUsed: r.gasUsed, id: r.id });
const where = (r: WriteResult<unknown>) => `(block ${r.blockNumber}, tx ${r.hash}, ${r.gasUsed} gas)`;

function action<A extends unknown[]>(fn: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    await fn(...args);
  };
}

program
  .command("open-offer")
  .description("open an offer: grid capacity, available storage, location and rate (a storage event)")
  .requiredOption("--capacity <energy>", 'grid capacity, e.g. "100 kWh"')
  .requiredOption("--available <energy>", 'available storage, e.g. "80 kWh"')
  .requiredOption("--rate <rate>", 'price, e.g. "0.0002 ETH/kWh"')
  .requiredOption("--location <text>", "grid location, at most 31 bytes")
  .action(action(async (o: { capacity: string; available: string; rate: string; location: string }) => {
    const input = validate(openOfferInput, o);
    const r = await (await ctx().writer()).openOffer(input);
    out({ ...mined(r), offerId: r.id }, `offer ${r.id} opened ${where(r)}`);
  }));

program
  .command("record-storage")
  .description("record a storage reading: the offer's available storage now (producer or its meter)")
  .requiredOption("--offer <id>", "offer id")
  .requiredOption("--available <energy>", 'available storage, e.g. "75 kWh"')
  .action(action(async (o: { offer: string; available: string }) => {
    const input = validate(storageInput, { offerId: o.offer, available: o.available });
    const r = await (await ctx().writer()).recordStorage(input);
    out(mined(r), `storage of offer ${input.offerId} recorded: ${formatEnergy(input.available)} available ${where(r)}`);
  }));

program
  .command("close-offer")
  .description("close an offer (producer)")
  .requiredOption("--offer <id>", "offer id")
  .action(action(async (o: { offer: string }) => {
    const { offerId } = validate(storageInput.pick({ offerId: true }), { offerId: o.offer });
    const r = await (await ctx().writer()).closeOffer({ offerId });
    out(mined(r), `offer ${offerId} closed ${where(r)}`);
  }));

program
  .command("purchase")
  .description("buy energy from an offer; pays rate × quantity into escrow")
  .requiredOption("--offer <id>", "offer id")
  .requiredOption("--quantity <energy>", 'e.g. "5 kWh"')
  .option("--max-cost <eth>", 'refuse if the cost exceeds this, e.g. "0.01 ETH"')
  .action(action(async (o: { offer: string; quantity: string; maxCost?: string }) => {
    const input = validate(purchaseInput, { offerId: o.offer, quantity: o.quantity, ...(o.maxCost ? { maxCost: o.maxCost } : {}) });
    const client = await ctx().writer();
    const r = await client.purchase(input);
    const purchase = await client.purchaseOf(r.id);
    out({ ...mined(r), purchaseId: r.id, cost: purchase.cost }, `purchase ${r.id}: ${formatEnergy(input.quantity)} for ${formatEth(purchase.cost)} ${where(r)}`);
  }));

program
  .command("record-transfer")
  .description("record energy delivered for a purchase (a meter, or the producer naming the meter)")
  .requiredOption("--purchase <id>", "purchase id")
  .option("--meter <address>", "the meter that measured it (default: the signing account)")
  .requiredOption("--amount <energy>", 'e.g. "5 kWh"')
  .requiredOption("--start <time>", "window start: ISO 8601 or unix seconds")
  .requiredOption("--end <time>", "window end: ISO 8601 or unix seconds, not in the future")
  .requiredOption("--device <name>", "device name, at most 64 bytes")
  .action(action(async (o: { purchase: string; meter?: string; amount: string; start: string; end: string; device: string }) => {
    const client = await ctx().writer();
    const block = await client.provider.getBlock("latest");
    const now = BigInt(Math.max(block?.timestamp ?? 0, Math.floor(Date.now() / 1000)));
    const input = validate(transferInput(now), {
      purchaseId: o.purchase,
      meter: o.meter ?? (await client.account()),
      amount: o.amount,
      start: o.start,
      end: o.end,
      device: o.device,
    });
    const r = await client.recordTransfer(input);
    out({ ...mined(r), index: r.id }, `transfer ${r.id} of purchase ${input.purchaseId}: ${formatEnergy(input.amount)} ${where(r)}`);
  }));

program
  .command("acknowledge")
  .description("acknowledge a transfer (purchaser)")
  .requiredOption("--purchase <id>", "purchase id")
  .requiredOption("--index <n>", "transfer index within the purchase")
  .action(action(async (o: { purchase: string; index: string }) => {
    const input = validate(acknowledgementInput, { purchaseId: o.purchase, index: o.index });
    const r = await (await ctx().writer()).acknowledgeTransfer(input);
    out(mined(r), `transfer ${input.index} of purchase ${input.purchaseId} acknowledged ${where(r)}`);
  }));

program
  .command("dispute")
  .description("dispute a transfer within the dispute window (purchaser)")
  .requiredOption("--purchase <id>", "purchase id")
  .requiredOption("--index <n>", "transfer index within the purchase")
  .requiredOption("--reason <reason>", "notReceived, shortDelivery, wrongWindow, meterFault, other, or a code 1..255")
  .action(action(async (o: { purchase: string; index: string; reason: string }) => {
    const input = validate(disputeInput, { purchaseId: o.purchase, index: o.index, reason: o.reason });
    const r = await (await ctx().writer()).disputeTransfer(input);
    out(mined(r), `transfer ${input.index} of purchase ${input.purchaseId} disputed ${where(r)}`);
  }));

program
  .command("resolve-dispute")
  .description("resolve a dispute (operator): --upheld treats the transfer as undelivered, --rejected as delivered")
  .requiredOption("--purchase <id>", "purchase id")
  .requiredOption("--index <n>", "transfer index within the purchase")
  .option("--upheld", "the purchaser is right")
  .option("--rejected", "the producer is right")
  .action(action(async (o: { purchase: string; index: string; upheld?: boolean; rejected?: boolean }) => {
    if (Boolean(o.upheld) === Boolean(o.rejected)) throw new UsageError("resolve-dispute: give exactly one of --upheld or --rejected");
    const input = validate(acknowledgementInput, { purchaseId: o.purchase, index: o.index });
    const r = await (await ctx().writer()).resolveDispute({ ...input, upheld: Boolean(o.upheld) });
    out(mined(r), `dispute on transfer ${input.index} of purchase ${input.purchaseId} ${o.upheld ? "upheld" : "rejected"} ${where(r)}`);
  }));

program
  .command("expire-dispute")
  .description("settle a dispute the operator left past its resolution window: it counts as upheld (anyone)")
  .requiredOption("--purchase <id>", "purchase id")
  .requiredOption("--index <n>", "transfer index within the purchase")
  .action(action(async (o: { purchase: string; index: string }) => {
    const input = validate(acknowledgementInput, { purchaseId: o.purchase, index: o.index });
    const r = await (await ctx().writer()).expireDispute(input);
    out(mined(r), `dispute on transfer ${input.index} of purchase ${input.purchaseId} expired as upheld ${where(r)}`);
  }));

program
  .command("bill")
  .description("build a purchase's bill from the chain, store it on IPFS and record its CID (producer or meter); settles the purchase")
  .requiredOption("--purchase <id>", "purchase id")
  .option("--html <file>", "also write the bill as an HTML page")
  .action(action(async (o: { purchase: string; html?: string }) => {
    const { purchaseId } = validate(billInput, { purchaseId: o.purchase });
    const client = await ctx().writer();
    const bill = await buildBill(client, purchaseId);
    const store = await ctx().store();
    const cid = await store.put(billBytes(bill));
    const r = await client.recordBill({ purchaseId, cid });
    if (o.html) await writeFile(o.html, renderBillHtml(bill, cid));
    out(
      { ...mined(r), cid, settlement: bill.settlement },
      `purchase ${purchaseId} billed: ${cid}; producer ${formatEth(BigInt(bill.settlement.producerAmount))}, refund ${formatEth(BigInt(bill.settlement.refund))} ${where(r)}`,
    );
  }));

program
  .command("close-purchase")
  .description("close a purchase left unbilled past its billing deadline (purchaser)")
  .requiredOption("--purchase <id>", "purchase id")
  .action(action(async (o: { purchase: string }) => {
    const { purchaseId } = validate(billInput, { purchaseId: o.purchase });
    const r = await (await ctx().writer()).closePurchase({ purchaseId });
    out(mined(r), `purchase ${purchaseId} closed unbilled ${where(r)}`);
  }));

program
  .command("withdraw")
  .description("withdraw the signing account's settled balance")
  .action(action(async () => {
    const r = await (await ctx().writer()).withdraw();
    out({ ...mined(r), amount: r.id }, `withdrew ${formatEth(r.id)} ${where(r)}`);
  }));

program
  .command("authorize-meter")
  .description("authorise a meter to act for the signing producer, with its rated power")
  .requiredOption("--meter <address>", "the meter's account")
  .requiredOption("--rated-power <power>", 'e.g. "10 kW"')
  .action(action(async (o: { meter: string; ratedPower: string }) => {
    const input = validate(meterInput, { meter: o.meter, ratedPower: o.ratedPower });
    const r = await (await ctx().writer()).authorizeMeter(input);
    out(mined(r), `meter ${input.meter} authorised at ${input.ratedPower} W ${where(r)}`);
  }));

program
  .command("revoke-meter")
  .description("revoke one of the signing producer's meters")
  .requiredOption("--meter <address>", "the meter's account")
  .action(action(async (o: { meter: string }) => {
    const { meter } = validate(meterInput.pick({ meter: true }), { meter: o.meter });
    const r = await (await ctx().writer()).revokeMeter({ meter });
    out(mined(r), `meter ${meter} revoked ${where(r)}`);
  }));

program
  .command("transfer-operator")
  .description("hand the operator role to another account (operator)")
  .requiredOption("--to <address>", "the next operator")
  .action(action(async (o: { to: string }) => {
    const { meter: newOperator } = validate(meterInput.pick({ meter: true }), { meter: o.to });
    const r = await (await ctx().writer()).transferOperator({ newOperator });
    out(mined(r), `operator is now ${newOperator} ${where(r)}`);
  }));

program
  .command("verify-bill")
  .description("fetch a purchase's bill by its on-chain CID and check its bytes and every figure against the chain")
  .requiredOption("--purchase <id>", "purchase id")
  .action(action(async (o: { purchase: string }) => {
    const { purchaseId } = validate(billInput, { purchaseId: o.purchase });
    const result = await verifyBill(await ctx().reader(), await ctx().store(), purchaseId);
    const lines = result.ok
      ? `bill ${result.cid} of purchase ${purchaseId} verified: its bytes match the CID and every figure matches the chain`
      : [`bill of purchase ${purchaseId} FAILED verification${result.cid ? ` (${result.cid})` : ""}`, result.error ?? "", ...result.mismatches.map((m) => `  ${m.field}: bill ${JSON.stringify(m.bill)}, chain ${JSON.stringify(m.chain)}`)].filter(Boolean).join("\n");
    out(result, lines);
    if (!result.ok) process.exitCode = 1;
  }));

program
  .command("offer")
  .description("show an offer")
  .argument("<id>", "offer id")
  .action(action(async (id: string) => {
    const { offerId } = validate(storageInput.pick({ offerId: true }), { offerId: id });
    const o = await (await ctx().reader()).offer(offerId);
    out(o, `offer ${offerId} by ${o.producer}: ${o.location}, ${formatEnergy(o.available)} of ${formatEnergy(o.capacity)} available at ${formatRate(o.rate)}${o.open ? "" : " (closed)"}`);
  }));

program
  .command("purchase-info")
  .description("show a purchase and its transfers")
  .argument("<id>", "purchase id")
  .action(action(async (id: string) => {
    const { purchaseId } = validate(billInput, { purchaseId: id });
    const client = await ctx().reader();
    const p = await client.purchaseOf(purchaseId);
    const transfers = [];
    for (let i = 0; i < p.transferCount; i++) transfers.push(await client.transferOf(purchaseId, i));
    out({ ...p, transfers }, [
      `purchase ${purchaseId} by ${p.purchaser} from offer ${p.offerId}: ${formatEnergy(p.quantity)} for ${formatEth(p.cost)}, ${formatEnergy(p.delivered)} delivered, ${p.status}`,
      ...transfers.map((t) => `  transfer ${t.index}: ${formatEnergy(t.amount)}, recorded ${new Date(Number(t.recordedAt) * 1000).toISOString()}, ${t.state}`),
    ].join("\n"));
  }));

program
  .command("balance")
  .description("show an account's withdrawable balance")
  .argument("[address]", "account (default: the signing account)")
  .action(action(async (address?: string) => {
    const account = address ? validate(meterInput.pick({ meter: true }), { meter: address }).meter : await (await ctx().signer()).getAddress();
    const balance = await (await ctx().reader()).balanceOf(account);
    out({ account, balance }, `${account} can withdraw ${formatEth(balance)}`);
  }));

program
  .command("counts")
  .description("number of records of each kind")
  .action(action(async () => {
    const counts = await (await ctx().reader()).counts();
    out(counts, Object.entries(counts).map(([k, v]) => `${k.padEnd(17)} ${v}`).join("\n"));
  }));

program
  .command("history")
  .description("records, newest first, filtered and paged")
  .addOption(new Option("--kind <kind...>", "event kinds").choices([...EVENT_KINDS]))
  .option("--producer <address>")
  .option("--purchaser <address>")
  .option("--offer <id>")
  .option("--purchase <id>")
  .option("--since <time>", "ISO 8601 or unix seconds")
  .option("--until <time>", "ISO 8601 or unix seconds")
  .option("--limit <n>", "records per page", "20")
  .option("--before <block:logIndex>", "continue from a previous page's cursor")
  .option("--anomalies", "mark storage readings and transfers unusual for their meter: outside μ ± kσ of its history")
  .option("--anomaly-k <k>", "k of μ ± kσ", "1.5")
  .option("--anomaly-min-history <n>", "readings of a meter needed before any is marked", "8")
  .action(action(async (o: { kind?: EventKind[]; producer?: string; purchaser?: string; offer?: string; purchase?: string; since?: string; until?: string; limit: string; before?: string; anomalies?: boolean; anomalyK: string; anomalyMinHistory: string }) => {
    const limit = Number(o.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit: must be a whole number 1..1000 (got "${o.limit}")`);
    let before;
    if (o.before) {
      const m = /^(\d+):(\d+)$/.exec(o.before);
      if (!m) throw new UsageError(`--before: must be block:logIndex as printed by a previous page (got "${o.before}")`);
      before = { blockNumber: Number(m[1]), logIndex: Number(m[2]) };
    }
    const k = Number(o.anomalyK);
    if (!/^\d+(\.\d+)?$/.test(o.anomalyK) || !(k > 0)) throw new UsageError(`--anomaly-k: must be a number above 0 (got "${o.anomalyK}")`);
    const minHistory = Number(o.anomalyMinHistory);
    if (!/^\d+$/.test(o.anomalyMinHistory) || minHistory < 2 || minHistory > 1000) throw new UsageError(`--anomaly-min-history: must be a whole number 2..1000 (got "${o.anomalyMinHistory}")`);
    const addr = (v: string | undefined) => (v ? validate(meterInput.pick({ meter: true }), { meter: v }).meter : undefined);
    const client = await ctx().reader();
    const page = await client.history(
      {
        kinds: o.kind,
        producer: addr(o.producer),
        purchaser: addr(o.purchaser),
        offerId: o.offer ? validate(storageInput.pick({ offerId: true }), { offerId: o.offer }).offerId : undefined,
        purchaseId: o.purchase ? validate(billInput, { purchaseId: o.purchase }).purchaseId : undefined,
        fromTime: o.since ? parseTime(o.since) : undefined,
        toTime: o.until ? parseTime(o.until) : undefined,
      },
      { size: limit, before },
    );
    if (!o.anomalies) {
      out(page, [...page.events.map(describeEvent), page.next ? `more: --before ${page.next.blockNumber}:${page.next.logIndex}` : "(end)"].join("\n"));
      return;
    }
    const flags = await anomaliesOf(client, page.events, { k, minHistory });
    const flagOf = (e: LedgerEvent) => flags.get(eventKey(e));
    out(
      { ...page, events: page.events.map((e) => (flagOf(e) ? { ...e, anomaly: flagOf(e) } : e)) },
      [
        ...page.events.map((e) => (flagOf(e) ? `${describeEvent(e)}  ⚠ ${describeAnomaly(flagOf(e)!)}` : describeEvent(e))),
        page.next ? `more: --before ${page.next.blockNumber}:${page.next.logIndex}` : "(end)",
      ].join("\n"),
    );
  }));

program
  .command("watch")
  .description("live alerts for an account (as producer, meter, purchaser or operator), with a catch-up; threshold notices; a webhook")
  .option("--address <address>", "whose alerts (default: the signing account)")
  .option("--from-block <n>", "catch up from this block first (with --webhook: only when there is no saved state)")
  .option("--webhook <url>", "POST each alert and notice as JSON to this URL, retried until delivered; resumes from --state after a restart")
  .option("--state <file>", "with --webhook: where the last delivered position is kept (default ~/.gridledger/webhook-<address>.json)")
  .option("--storage-below <level>", 'tell the producer when a storage reading crosses this level: "20%" of capacity or an energy, e.g. "10 kWh"')
  .option("--delivery-within <duration>", 'tell the purchaser when a purchase is still short this long after it was bought, e.g. "2h"')
  .option("--retry-attempts <n>", "with --webhook: tries before an alert is reported as stalled (it keeps being retried)", "8")
  .option("--retry-min-delay <ms>", "with --webhook: first retry delay; it doubles each try", "500")
  .option("--retry-max-delay <ms>", "with --webhook: largest retry delay, and the pace of retries once stalled", "60000")
  .option("--poll <ms>", "how often to look for new blocks", "1000")
  .action(action(async (o: {
    address?: string;
    fromBlock?: string;
    webhook?: string;
    state?: string;
    storageBelow?: string;
    deliveryWithin?: string;
    retryAttempts: string;
    retryMinDelay: string;
    retryMaxDelay: string;
    poll: string;
  }) => {
    const fromBlock = o.fromBlock === undefined ? undefined : wholeNumber("--from-block", o.fromBlock);
    const pollMs = wholeNumber("--poll", o.poll, 10, 600_000);
    const rules: ThresholdRules = {};
    try {
      if (o.storageBelow !== undefined) rules.storageBelow = parseStorageLevel(o.storageBelow);
    } catch (error) {
      throw new UsageError(`--storage-below: ${(error as Error).message.replace(/^storage level: /, "")}`);
    }
    try {
      if (o.deliveryWithin !== undefined) rules.deliveryWithin = parseDuration(o.deliveryWithin);
    } catch (error) {
      throw new UsageError(`--delivery-within: ${(error as Error).message.replace(/^duration: /, "")}`);
    }
    const thresholds = rules.storageBelow !== undefined || rules.deliveryWithin !== undefined ? rules : undefined;
    if (o.state !== undefined && o.webhook === undefined) throw new UsageError("--state: only with --webhook");
    let url: string | undefined;
    if (o.webhook !== undefined) {
      try {
        url = new URL(o.webhook).toString();
      } catch {
        throw new UsageError(`--webhook: not a URL (got "${o.webhook}")`);
      }
      if (!/^https?:$/.test(new URL(url).protocol)) throw new UsageError(`--webhook: must be an http:// or https:// URL (got "${o.webhook}")`);
    }
    const retry = {
      attempts: wholeNumber("--retry-attempts", o.retryAttempts, 1, 1000),
      minDelayMs: wholeNumber("--retry-min-delay", o.retryMinDelay, 1, 3_600_000),
      maxDelayMs: wholeNumber("--retry-max-delay", o.retryMaxDelay, 1, 3_600_000),
    };
    if (retry.maxDelayMs < retry.minDelayMs) throw new UsageError("--retry-max-delay: must be at least --retry-min-delay");

    const address = o.address ? validate(meterInput.pick({ meter: true }), { meter: o.address }).meter : await (await ctx().signer()).getAddress();
    const client = await ctx().reader();
    const controller = new AbortController();
    process.once("SIGINT", () => controller.abort());
    process.once("SIGTERM", () => controller.abort());
    const after = fromBlock !== undefined ? { block: fromBlock, logIndex: -1 } : undefined;

    if (url !== undefined) {
      const state = fileStateStore(o.state ?? defaultStatePath(address));
      if (!json()) console.error(`posting alerts for ${address} to ${url} (state ${state.description}); Ctrl-C to stop`);
      await runWebhookWatcher({
        client,
        address,
        url,
        state,
        from: after,
        thresholds,
        retry,
        pollMs,
        signal: controller.signal,
        onDelivered: (d) => {
          if (json()) console.log(toJson({ delivered: d.key, type: d.type, attempts: d.attempts, cursor: d.cursor }));
          else console.log(`delivered ${d.type} ${d.key}${d.attempts > 1 ? ` (after ${d.attempts} tries)` : ""}`);
        },
        onFailure: (f) =>
          console.error(`gridledger: webhook: ${f.key} not delivered (try ${f.attempt}: ${f.reason}); ${f.stalled ? "stalled, " : ""}retrying in ${Math.round(f.retryInMs / 100) / 10} s`),
        onInfo: (message) => console.error(`gridledger: webhook: ${message}`),
      });
      return;
    }

    if (!json()) console.error(`watching alerts for ${address}; Ctrl-C to stop`);
    const tracker = thresholds ? new ThresholdTracker(address, thresholds) : undefined;
    const context = { chainId: client.chainId, contract: client.address, address };
    for await (const step of notificationSteps(client, address, { after, tracker, signal: controller.signal, pollMs })) {
      for (const item of step.items) {
        if (item.type === "alert") {
          const alert = item.alert;
          if (json()) console.log(JSON.stringify({ ...alert.event, roles: alert.roles }, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
          else console.log(`[${alert.roles.join(",")}] ${describeEvent(alert.event)}`);
        } else if (json()) {
          console.log(webhookBody(item, context));
        } else {
          console.log(`[${item.notice.type}] ${describeNotice(item.notice)}`);
        }
      }
    }
  }));

program
  .command("export")
  .description("audit export: every record in a block range, one row each, as CSV or JSON; recorded bills re-checked (progress on stderr)")
  .option("--from-block <n>", "first block (default: the contract's deployment block)")
  .option("--to-block <n>", "last block (default: the latest)")
  .addOption(new Option("--format <format>", "csv (RFC 4180) or json (an array)").choices(["csv", "json"]).default("csv"))
  .option("--out <file>", "write to this file (default: standard output); written whole or not at all")
  .option("--page-blocks <n>", "blocks per log query (default: 10000)")
  .option("--no-verify-bills", "do not fetch and check recorded bills")
  .option("--quiet", "no progress on stderr")
  .action(action(async (o: { fromBlock?: string; toBlock?: string; format: ExportFormat; out?: string; pageBlocks?: string; verifyBills: boolean; quiet?: boolean }) => {
    const client = await ctx().reader();
    const fromBlock = o.fromBlock === undefined ? client.fromBlock : wholeNumber("--from-block", o.fromBlock);
    const pageBlocks = o.pageBlocks === undefined ? undefined : wholeNumber("--page-blocks", o.pageBlocks, 1, 1_000_000);
    const latest = await client.headBlock();
    const toBlock = o.toBlock === undefined ? latest : wholeNumber("--to-block", o.toBlock);
    if (toBlock < fromBlock) throw new UsageError(`--to-block: must be at least --from-block ${fromBlock} (got ${toBlock})`);
    if (toBlock > latest) throw new Error(`--to-block: block ${toBlock} is beyond the chain's latest block ${latest}`);

    // The bill store opens on the first bill; when it cannot, each bill is reported "unavailable: <why>".
    let opening: Promise<BillStore> | undefined;
    const store = () => (opening ??= ctx().store());
    const lazyStore: BillStore = {
      kind: program.opts<GlobalOptions>().ipfsDir ? "embedded" : "kubo",
      put: async (bytes) => (await store()).put(bytes),
      get: async (cid, opts) => (await store()).get(cid, opts),
      pin: async (cid) => (await store()).pin(cid),
      close: async () => {},
    };

    const partial = o.out ? `${o.out}.partial` : undefined;
    const file = partial ? await open(partial, "w", 0o644) : undefined;
    const sink = file
      ? (chunk: string) => file.write(chunk).then(() => undefined)
      : (chunk: string) => new Promise<void>((resolve, reject) => process.stdout.write(chunk, (error) => (error ? reject(error) : resolve())));
    let buffer = "";
    const write = async (chunk: string) => {
      buffer += chunk;
      if (buffer.length >= 64 * 1024) {
        const text = buffer;
        buffer = "";
        await sink(text);
      }
    };
    let lastProgress = 0;
    try {
      const summary = await exportRecords(client, o.verifyBills ? lazyStore : undefined, {
        fromBlock,
        toBlock,
        format: o.format,
        pageBlocks,
        verifyBills: o.verifyBills,
        write,
        onProgress: (p) => {
          if (o.quiet || (Date.now() - lastProgress < 500 && p.pageToBlock < p.toBlock)) return;
          lastProgress = Date.now();
          console.error(`export: blocks ${p.fromBlock}..${p.pageToBlock} of ${p.fromBlock}..${p.toBlock} (${Math.floor((100 * p.blocksDone) / p.blocksTotal)}%), ${p.records} records`);
        },
      });
      if (buffer) await sink(buffer);
      if (file) {
        await file.sync();
        await file.close();
        await rename(partial!, o.out!);
      }
      const { ok, failed, unavailable } = summary.bills;
      const line = `exported ${summary.records} records from blocks ${fromBlock}..${toBlock}${o.out ? ` to ${o.out}` : ""}; bills: ${ok} ok, ${failed} failed, ${unavailable} unavailable`;
      if (o.out && json()) console.log(toJson(summary));
      else if (o.out) console.log(line);
      else if (!o.quiet) console.error(line);
    } catch (error) {
      if (file) {
        await file.close().catch(() => {});
        await rm(partial!, { force: true });
      }
      throw error;
    }
  }));

program
  .command("keystore")
  .description("create an encrypted key for a device (password from GRIDLEDGER_KEYSTORE_PASSWORD)")
  .requiredOption("--out <file>", "where to write the keystore JSON")
  .action(action(async (o: { out: string }) => {
    const password = process.env.GRIDLEDGER_KEYSTORE_PASSWORD;
    if (!password || password.length < 8) throw new Error("keystore: set GRIDLEDGER_KEYSTORE_PASSWORD to at least 8 characters");
    const wallet = Wallet.createRandom();
    await writeFile(o.out, await wallet.encrypt(password), { flag: "wx", mode: 0o600 }).catch((error: NodeJS.ErrnoException) => {
      throw new Error(error.code === "EEXIST" ? `keystore: ${o.out} exists; refusing to overwrite a key` : `keystore: ${error.message}`);
    });
    out({ address: wallet.address, file: o.out }, `created ${o.out} for ${wallet.address}`);
  }));

export function describeEvent(e: LedgerEvent): string {
  const at = `#${e.blockNumber}`;
  switch (e.kind) {
    case "OfferOpened":
      return `${at} OfferOpened offer ${e.offerId} by ${e.producer}: ${e.location}, ${formatEnergy(e.available)}/${formatEnergy(e.capacity)} at ${formatRate(e.rate)}`;
    case "StorageRecorded":
      return `${at} StorageRecorded offer ${e.offerId}: ${formatEnergy(e.available)} available (by ${e.recorder})`;
    case "OfferClosed":
      return `${at} OfferClosed offer ${e.offerId}`;
    case "EnergyPurchased":
      return `${at} EnergyPurchased purchase ${e.purchaseId} of offer ${e.offerId} by ${e.purchaser}: ${formatEnergy(e.quantity)} for ${formatEth(e.cost)}`;
    case "EnergyTransferred":
      return `${at} EnergyTransferred purchase ${e.purchaseId} #${e.index}: ${formatEnergy(e.amount)} by ${e.device} (${e.meter})`;
    case "TransferAcknowledged":
      return `${at} TransferAcknowledged purchase ${e.purchaseId} #${e.index}`;
    case "TransferDisputed":
      return `${at} TransferDisputed purchase ${e.purchaseId} #${e.index}, reason ${e.reason}`;
    case "DisputeResolved":
      return `${at} DisputeResolved purchase ${e.purchaseId} #${e.index}: ${e.upheld ? "upheld" : "rejected"}${e.expired ? " (expired)" : ""}`;
    case "BillRecorded":
      return `${at} BillRecorded purchase ${e.purchaseId}: ${e.cid}; producer ${formatEth(e.producerAmount)}, refund ${formatEth(e.refund)}`;
    case "PurchaseClosed":
      return `${at} PurchaseClosed purchase ${e.purchaseId}; producer ${formatEth(e.producerAmount)}, refund ${formatEth(e.refund)}`;
    case "MeterAuthorized":
      return `${at} MeterAuthorized ${e.meter} for ${e.producer} at ${e.ratedPower} W`;
    case "MeterRevoked":
      return `${at} MeterRevoked ${e.meter} of ${e.producer}`;
    case "Withdrawn":
      return `${at} Withdrawn ${formatEth(e.amount)} by ${e.account}`;
    case "OperatorTransferred":
      return `${at} OperatorTransferred ${e.previousOperator} → ${e.newOperator}`;
    case "BatchAnchored":
      return `${at} BatchAnchored batch ${e.batchId}: ${e.count} readings by ${e.aggregator} (${e.cid})`;
    case "ReadingsSettled":
      return `${at} ReadingsSettled purchase ${e.purchaseId} #${e.index} from ${e.readings} readings of batch ${e.batchId}`;
  }
}

class UsageError extends Error {}

/** A whole number option in [min, max], or a usage error naming the flag. */
function wholeNumber(flag: string, value: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag}: must be a whole number ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}..${max}`} (got "${value}")`);
  }
  return n;
}

registerReadingCommands(program, ctx, out);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof UsageError) {
    console.error(`gridledger: ${error.message}`);
    process.exitCode = 2;
  } else {
    console.error(`gridledger: ${describeError(error).replace(/\n+/g, "; ")}`);
    process.exitCode = 1;
  }
} finally {
  await context?.close();
}
