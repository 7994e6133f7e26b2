/**
 * GridLedger's events as typed records, parsed from logs. History, alerts, bills and the export all read them here.
 */
import { Interface, type Log, type Result } from "ethers";
import { gridLedgerAbi } from "./generated/contracts.js";
import { onChainToCid } from "./cid.js";
import { staticEventDecoder } from "./staticAbi.js";

export const ledgerInterface = new Interface(gridLedgerAbi);

/** Event names, in the order they appear in a purchase's life. */
export const EVENT_KINDS = [
  "OfferOpened",
  "StorageRecorded",
  "OfferClosed",
  "EnergyPurchased",
  "EnergyTransferred",
  "TransferAcknowledged",
  "TransferDisputed",
  "DisputeResolved",
  "BillRecorded",
  "PurchaseClosed",
  "MeterAuthorized",
  "MeterRevoked",
  "Withdrawn",
  "OperatorTransferred",
  "BatchAnchored",
  "ReadingsSettled",
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Events with the producer as the second topic and, for purchase events, the purchaser as the third. */
export const PRODUCER_EVENTS: readonly EventKind[] = [
  "OfferOpened",
  "StorageRecorded",
  "OfferClosed",
  "EnergyPurchased",
  "EnergyTransferred",
  "TransferAcknowledged",
  "TransferDisputed",
  "DisputeResolved",
  "BillRecorded",
  "PurchaseClosed",
  "MeterAuthorized",
  "MeterRevoked",
];
export const PURCHASE_EVENTS: readonly EventKind[] = [
  "EnergyPurchased",
  "EnergyTransferred",
  "TransferAcknowledged",
  "TransferDisputed",
  "DisputeResolved",
  "BillRecorded",
  "PurchaseClosed",
];

export function topicOf(kind: EventKind): string {
  return ledgerInterface.getEvent(kind)!.topicHash;
}
const KIND_BY_TOPIC = new Map<string, EventKind>(EVENT_KINDS.map((k) => [topicOf(k), k]));
/** Each event's fragment by kind: ethers' parseLog finds it by hashing every event's signature on each call. */
const FRAGMENT_OF = new Map(EVENT_KINDS.map((k) => [k, ledgerInterface.getEvent(k)!]));
/** The word-by-word decoder of each event whose parameters are all one-word values; ethers decodes the others. */
const STATIC_DECODER_OF = new Map(EVENT_KINDS.map((k) => [k, staticEventDecoder(FRAGMENT_OF.get(k)!)]));

interface Base {
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
}

export type LedgerEvent = Base &
  (
    | { kind: "OfferOpened"; offerId: bigint; producer: string; capacity: bigint; available: bigint; rate: bigint; location: string }
    | { kind: "StorageRecorded"; offerId: bigint; producer: string; recorder: string; available: bigint }
    | { kind: "OfferClosed"; offerId: bigint; producer: string }
    | { kind: "EnergyPurchased"; purchaseId: bigint; producer: string; purchaser: string; offerId: bigint; quantity: bigint; cost: bigint }
    | {
        kind: "EnergyTransferred";
        purchaseId: bigint;
        producer: string;
        purchaser: string;
        index: number;
        meter: string;
        amount: bigint;
        start: bigint;
        end: bigint;
        cost: bigint;
        device: string;
      }
    | { kind: "TransferAcknowledged"; purchaseId: bigint; producer: string; purchaser: string; index: number }
    | { kind: "TransferDisputed"; purchaseId: bigint; producer: string; purchaser: string; index: number; reason: number }
    | { kind: "DisputeResolved"; purchaseId: bigint; producer: string; purchaser: string; index: number; upheld: boolean; expired: boolean }
    | {
        kind: "BillRecorded";
        purchaseId: bigint;
        producer: string;
        purchaser: string;
        cid: string;
        producerAmount: bigint;
        refund: bigint;
      }
    | { kind: "PurchaseClosed"; purchaseId: bigint; producer: string; purchaser: string; producerAmount: bigint; refund: bigint }
    | { kind: "MeterAuthorized"; meter: string; producer: string; ratedPower: bigint }
    | { kind: "MeterRevoked"; meter: string; producer: string }
    | { kind: "Withdrawn"; account: string; amount: bigint }
    | { kind: "OperatorTransferred"; previousOperator: string; newOperator: string }
    | {
        kind: "BatchAnchored";
        batchId: bigint;
        aggregator: string;
        root: string;
        cid: string;
        count: bigint;
        ranges: { meter: string; firstSeq: bigint; lastSeq: bigint }[];
      }
    | { kind: "ReadingsSettled"; purchaseId: bigint; batchId: bigint; index: number; readings: bigint }
  );

export type EventOf<K extends EventKind> = Extract<LedgerEvent, { kind: K }>;

/** What parseLedgerLog reads of a log: ethers' Log, or a mined transaction's log (receiptFormat.ts). */
export type LedgerLog = Pick<Log, "topics" | "data" | "blockNumber" | "blockHash" | "transactionHash" | "index">;

/** Parses one GridLedger log; undefined for a log of another contract or event. */
export function parseLedgerLog(log: LedgerLog): LedgerEvent | undefined {
  const kind = KIND_BY_TOPIC.get(log.topics[0]);
  if (!kind) return undefined;
  // Positional values: ethers' Result, or the static decoder's array (read by index alike below).
  let a: Result | unknown[];
  try {
    const decodeStatic = STATIC_DECODER_OF.get(kind);
    a = decodeStatic ? decodeStatic(log.topics, log.data) : ledgerInterface.decodeEventLog(FRAGMENT_OF.get(kind)!, log.data, log.topics);
  } catch {
    return undefined;
  }
  const base: Base = {
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    logIndex: log.index,
  };
  switch (kind) {
    case "OfferOpened":
      return { ...base, kind, offerId: a[0], producer: a[1], capacity: a[2], available: a[3], rate: a[4], location: a[5] };
    case "StorageRecorded":
      return { ...base, kind, offerId: a[0], producer: a[1], recorder: a[2], available: a[3] };
    case "OfferClosed":
      return { ...base, kind, offerId: a[0], producer: a[1] };
    case "EnergyPurchased":
      return { ...base, kind, purchaseId: a[0], producer: a[1], purchaser: a[2], offerId: a[3], quantity: a[4], cost: a[5] };
    case "EnergyTransferred":
      return {
        ...base,
        kind,
        purchaseId: a[0],
        producer: a[1],
        purchaser: a[2],
        index: Number(a[3]),
        meter: a[4],
        amount: a[5],
        start: a[6],
        end: a[7],
        cost: a[8],
        device: a[9],
      };
    case "TransferAcknowledged":
      return { ...base, kind, purchaseId: a[0], producer: a[1], purchaser: a[2], index: Number(a[3]) };
    case "TransferDisputed":
      return { ...base, kind, purchaseId: a[0], producer: a[1], purchaser: a[2], index: Number(a[3]), reason: Number(a[4]) };
    case "DisputeResolved":
      return { ...base, kind, purchaseId: a[0], producer: a[1], purchaser: a[2], index: Number(a[3]), upheld: a[4], expired: a[5] };
    case "BillRecorded":
      return {
        ...base,
        kind,
        purchaseId: a[0],
        producer: a[1],
        purchaser: a[2],
        cid: onChainToCid(a[3], Number(a[4])),
        producerAmount: a[5],
        refund: a[6],
      };
    case "PurchaseClosed":
      return { ...base, kind, purchaseId: a[0], producer: a[1], purchaser: a[2], producerAmount: a[3], refund: a[4] };
    case "MeterAuthorized":
      return { ...base, kind, meter: a[0], producer: a[1], ratedPower: a[2] };
    case "MeterRevoked":
      return { ...base, kind, meter: a[0], producer: a[1] };
    case "Withdrawn":
      return { ...base, kind, account: a[0], amount: a[1] };
    case "OperatorTransferred":
      return { ...base, kind, previousOperator: a[0], newOperator: a[1] };
    case "BatchAnchored":
      return {
        ...base,
        kind,
        batchId: a[0],
        aggregator: a[1],
        root: a[2],
        cid: onChainToCid(a[3], Number(a[4])),
        count: a[5],
        ranges: (a[6] as { meter: string; firstSeq: bigint; lastSeq: bigint }[]).map((r) => ({ meter: r.meter, firstSeq: r.firstSeq, lastSeq: r.lastSeq })),
      };
    case "ReadingsSettled":
      return { ...base, kind, purchaseId: a[0], batchId: a[1], index: Number(a[2]), readings: a[3] };
  }
}

/** A stable key for a log, for de-duplication across pages and reconnects. */
export function eventKey(e: Pick<LedgerEvent, "blockHash" | "transactionHash" | "logIndex">): string {
  return `${e.blockHash}:${e.transactionHash}:${e.logIndex}`;
}

/** Orders events as the chain did (oldest first). */
export function compareEvents(a: Pick<LedgerEvent, "blockNumber" | "logIndex">, b: typeof a): number {
  return a.blockNumber - b.blockNumber || a.logIndex - b.logIndex;
}
