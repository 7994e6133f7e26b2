/**
 * GridLedger's custom errors, decoded from reverts into typed errors with a readable message.
 */
import { Interface, isError } from "ethers";
import { gridLedgerAbi } from "./generated/contracts.js";

const ledgerInterface = new Interface(gridLedgerAbi);

const TRANSFER_STATES = ["None", "Pending", "Acknowledged", "Disputed", "Upheld", "Rejected"];
const PURCHASE_STATUSES = ["Open", "Billed", "Closed"];

type Args = readonly unknown[];
const s = (v: unknown) => String(v);
const time = (v: unknown) => `${s(v)} (${new Date(Number(v) * 1000).toISOString()})`;

/** One sentence per custom error; the error's arguments fill it in. */
const MESSAGES: Record<string, (a: Args) => string> = {
  ZeroAddress: () => "address must not be the zero address",
  ZeroWindow: () => "dispute, resolution and billing windows must be greater than zero",
  WindowTooLong: (a) => `a window of ${s(a[0])} s is longer than the longest allowed, ${s(a[1])} s (one year)`,
  ZeroCapacity: () => "capacity must be greater than 0 Wh",
  CapacityTooLarge: (a) => `capacity ${s(a[0])} Wh exceeds the maximum ${s(a[1])} Wh`,
  AvailableExceedsCapacity: (a) => `available storage ${s(a[0])} Wh exceeds the capacity ${s(a[1])} Wh`,
  ZeroRate: () => "rate must be greater than 0 wei/Wh",
  RateTooLarge: (a) => `rate ${s(a[0])} wei/Wh exceeds the maximum ${s(a[1])} wei/Wh`,
  EmptyLocation: () => "location must not be empty",
  LocationTooLong: (a) => `location is ${s(a[0])} bytes; at most ${s(a[1])} bytes are allowed`,
  UnknownOffer: (a) => `offer ${s(a[0])} does not exist`,
  OfferNotOpen: (a) => `offer ${s(a[0])} is closed`,
  NotProducer: (a) => `account ${s(a[1])} is not the producer of offer ${s(a[0])}`,
  NotProducerOrMeter: (a) => `account ${s(a[1])} is neither the producer of offer ${s(a[0])} nor one of its meters`,
  ZeroQuantity: () => "quantity must be greater than 0 Wh",
  QuantityTooLarge: (a) => `quantity ${s(a[0])} Wh exceeds the largest purchase, ${s(a[1])} Wh`,
  QuantityExceedsAvailable: (a) => `quantity ${s(a[1])} Wh exceeds the ${s(a[2])} Wh available in offer ${s(a[0])}`,
  WrongPayment: (a) => `payment must be exactly the cost ${s(a[0])} wei; ${s(a[1])} wei was sent`,
  UnknownPurchase: (a) => `purchase ${s(a[0])} does not exist`,
  NotPurchaser: (a) => `account ${s(a[1])} is not the purchaser of purchase ${s(a[0])}`,
  PurchaseSettled: (a) => `purchase ${s(a[0])} is already ${PURCHASE_STATUSES[Number(a[1])]?.toLowerCase() ?? s(a[1])}`,
  ZeroAmount: () => "amount must be greater than 0 Wh",
  DeliveryExceedsPurchase: (a) =>
    `purchase ${s(a[0])} has ${s(a[1])} Wh delivered; ${s(a[2])} Wh more would exceed the ${s(a[3])} Wh bought`,
  InvalidWindow: (a) => `start ${s(a[0])} must be before end ${s(a[1])}`,
  EndInFuture: (a) => `end ${time(a[0])} is in the future (block time ${time(a[1])})`,
  WindowBeforePurchase: (a) => `window start ${time(a[1])} is before purchase ${s(a[0])} was made (${time(a[2])})`,
  TooManyTransfers: (a) => `purchase ${s(a[0])} already holds the maximum of ${s(a[1])} transfers`,
  EmptyDeviceName: () => "device name must not be empty",
  DeviceNameTooLong: (a) => `device name is ${s(a[0])} bytes; at most ${s(a[1])} bytes are allowed`,
  MeterNotAuthorized: (a) => `meter ${s(a[0])} is not an active meter of producer ${s(a[1])}`,
  MeterOwnedByOther: (a) => `meter ${s(a[0])} is active for another producer, ${s(a[1])}`,
  RatedPowerOutOfRange: (a) => `rated power ${s(a[0])} W must be between 1 and ${s(a[1])} W`,
  DeliveryExceedsRatedPower: (a) =>
    `meter ${s(a[0])} cannot measure ${s(a[1])} Wh in that window; its rated power allows at most ${s(a[2])} Wh`,
  WindowOverlaps: (a) => `window start ${s(a[1])} overlaps meter ${s(a[0])}'s last window, which ended at ${s(a[2])}`,
  UnknownTransfer: (a) => `purchase ${s(a[0])} has no transfer ${s(a[1])}`,
  WrongTransferState: (a) =>
    `transfer ${s(a[1])} of purchase ${s(a[0])} is ${TRANSFER_STATES[Number(a[2])]?.toLowerCase() ?? s(a[2])}`,
  DisputeWindowClosed: (a) => `the dispute window of transfer ${s(a[1])} of purchase ${s(a[0])} closed at ${time(a[2])}`,
  ResolutionWindowClosed: (a) =>
    `the resolution window of transfer ${s(a[1])} of purchase ${s(a[0])} closed at ${time(a[2])}; it counts as upheld`,
  ResolutionWindowOpen: (a) =>
    `the operator may resolve transfer ${s(a[1])} of purchase ${s(a[0])} until ${time(a[2])}`,
  ZeroReason: () => "a dispute needs a reason code other than 0",
  NotOperator: (a) => `account ${s(a[0])} is not the grid operator`,
  DisputesOpen: (a) => `purchase ${s(a[0])} has ${s(a[1])} open dispute(s)`,
  AcknowledgementsPending: (a) =>
    `purchase ${s(a[0])} has ${s(a[1])} transfer(s) awaiting acknowledgement until ${time(a[2])}`,
  NoTransfers: (a) => `purchase ${s(a[0])} has no transfer to bill`,
  ZeroDigest: () => "bill CID digest must not be zero",
  UnsupportedCodec: (a) => `bill CID codec 0x${Number(a[0]).toString(16)} is not raw (0x55) or dag-pb (0x70)`,
  BillingDeadlineNotReached: (a) => `purchase ${s(a[0])} can be closed unbilled only after ${time(a[1])}`,
  NothingToWithdraw: (a) => `account ${s(a[0])} has nothing to withdraw`,
  EmptyBatch: () => "a batch must hold at least one reading",
  ZeroRoot: () => "a batch's Merkle root must not be zero",
  InvalidRange: (a) => `meter ${s(a[0])}'s sequence range ${s(a[1])}..${s(a[2])} runs backwards`,
  RangeCountMismatch: (a) => `the meters' sequence ranges cover ${s(a[1])} readings, not the ${s(a[0])} in the batch`,
  UnknownBatch: (a) => `batch ${s(a[0])} does not exist`,
  InvalidProof: (a) => `the readings are not in batch ${s(a[0])}: the Merkle proof does not lead to its root`,
  ReadingMismatch: (a) => `reading ${s(a[0])} is not an energy reading of this purchase by this meter`,
  ReadingsOutOfOrder: (a) => `reading ${s(a[0])} does not follow the one before it in sequence and time`,
  ReentrancyGuardReentrantCall: () => "reentrant call",
  InsufficientBalance: (a) => `the ledger holds ${s(a[0])} wei but ${s(a[1])} wei is owed`,
  InvalidShortString: () => "a stored short string is malformed",
  StringTooLong: (a) => `"${s(a[0])}" is longer than 31 bytes`,
  MerkleProofInvalidMultiproof: () => "the Merkle multi-proof is malformed: its proof and flags do not fit the readings",
  FailedCall: () => "the payment could not be delivered to the account",
};

/** A revert of GridLedger, decoded from its custom error. */
export class LedgerError extends Error {
  override readonly name = "LedgerError";
  constructor(
    /** The custom error's name, e.g. "QuantityExceedsAvailable". */
    readonly errorName: string,
    /** The custom error's arguments, in order. */
    readonly args: readonly unknown[],
    options?: { cause?: unknown },
  ) {
    super(`${errorName}: ${MESSAGES[errorName]?.(args) ?? args.map(String).join(", ")}`, options);
  }
}

/** Revert data as hex, wherever ethers or the node put it. */
function revertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current && typeof current === "object" && !seen.has(current); depth++) {
    seen.add(current);
    const e = current as { data?: unknown; error?: unknown; info?: { error?: unknown }; cause?: unknown };
    if (typeof e.data === "string" && e.data.startsWith("0x") && e.data.length >= 10) return e.data;
    if (e.data && typeof e.data === "object" && typeof (e.data as { data?: unknown }).data === "string") {
      return (e.data as { data: string }).data;
    }
    current = e.error ?? e.info?.error ?? e.cause;
  }
  return undefined;
}

/** Turns a GridLedger revert into a LedgerError; anything else comes back unchanged. */
export function decodeLedgerError(error: unknown): unknown {
  if (error instanceof LedgerError) return error;
  const data = revertData(error);
  if (data) {
    try {
      const parsed = ledgerInterface.parseError(data);
      if (parsed) return new LedgerError(parsed.name, [...parsed.args], { cause: error });
    } catch {
      // not one of GridLedger's errors: fall through
    }
  }
  if (isError(error, "CALL_EXCEPTION") && error.revert) {
    return new LedgerError(error.revert.name, [...error.revert.args], { cause: error });
  }
  return error;
}

/** A short, readable reason for any error: a decoded revert, a rejected signature, a lost connection. */
export function describeError(error: unknown): string {
  const decoded = decodeLedgerError(error);
  if (decoded instanceof LedgerError) return decoded.message;
  if (isError(decoded, "ACTION_REJECTED")) return "the signature request was rejected in the wallet";
  if (isError(decoded, "INSUFFICIENT_FUNDS")) return "the account has too little ETH for this transaction and its gas";
  if (isError(decoded, "NETWORK_ERROR") || isError(decoded, "TIMEOUT")) return "the RPC node cannot be reached";
  if (decoded instanceof Error) {
    const short = (decoded as { shortMessage?: string }).shortMessage;
    return short ?? decoded.message.replace(/\n+/g, "; ");
  }
  return String(decoded);
}
