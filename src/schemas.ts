/**
 * Input validation shared by the CLI, the web forms and the scripts: one zod schema per contract input.
 * Each schema takes human strings or numbers ("12.5 kWh", "0.0002 ETH/kWh", "2024-05-01T12:00:00Z",
 * "42") and produces the exact on-chain values (bigint Wh, wei/Wh, W, unix seconds, ids; checksummed
 * addresses). Bounds come from src/limits.ts, which mirrors the contract.
 *
 * Conventions:
 * - Objects are strict: an unknown key (a typo such as "maxcost") is an error, never silently dropped.
 * - A missing required field is an error "is required"; optional fields may only be absent/undefined.
 * - Every issue carries a stable `rule` identifier in `params.rule`, and the offending value in
 *   `params.value`, with secrets (private keys, passwords) replaced by "[redacted]".
 * - `validate(schema, input)` collects every issue and throws one ValidationError naming each field.
 *
 * No node: imports: the web app imports this file through Vite.
 */
import { getAddress } from "ethers";
import { z } from "zod";
import {
  CODEC_DAG_PB,
  CODEC_RAW,
  MAX_CAPACITY,
  MAX_DEVICE_NAME,
  MAX_DISPUTE_REASON,
  MAX_ID,
  MAX_LOCATION_BYTES,
  MAX_QUANTITY,
  MAX_RATE,
  MAX_RATED_POWER,
  MAX_TIMESTAMP,
  MAX_TRANSFER_AMOUNT,
  MAX_TRANSFER_INDEX,
  MIN_DISPUTE_REASON,
} from "./limits.js";
import { parseEnergy, parseEth, parsePower, parseRate, parseTime, UnitError } from "./units.js";

/** What a secret is shown as in issues and error messages. */
export const REDACTED = "[redacted]";

/** Named dispute reasons and their on-chain codes; any code from 1 to 255 is accepted too. */
export const DISPUTE_REASONS = {
  notReceived: 1,
  shortDelivery: 2,
  wrongWindow: 3,
  meterFault: 4,
  other: 255,
} as const;

/** The name of a dispute reason. */
export type DisputeReasonName = keyof typeof DISPUTE_REASONS;

/** A quantity as a human gives it: "12.5 kWh", 12500, 12500n. */
export type Quantity = string | number | bigint;
/** An integer as a human gives it: "42", 42, 42n. */
export type IntegerLike = string | number | bigint;
/** A time as a human gives it: unix seconds, an ISO 8601 date-time with a timezone, a Date. */
export type TimeLike = string | number | bigint | Date;

// ------------------------------------------------------------------ field parsers

/** A rule broken by one field value; `detail` reads after the field name. */
class FieldError extends Error {
  constructor(
    readonly rule: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/**
 * A field schema from a parse function that throws FieldError or UnitError. The input type is only a
 * hint for callers: any value reaches `parse`, which reports a wrong type itself.
 */
function field<Out, In>(parse: (value: unknown) => Out, options: { secret?: boolean } = {}) {
  return z.custom<In>(() => true).transform((value, ctx): Out => {
    const shown = options.secret === true && value !== undefined ? REDACTED : value;
    let rule: string;
    let detail: string;
    if (value === undefined) {
      rule = "required";
      detail = "is required";
    } else {
      try {
        return parse(value);
      } catch (error) {
        if (!(error instanceof FieldError) && !(error instanceof UnitError)) throw error;
        rule = error.rule;
        detail = error.detail;
      }
    }
    ctx.addIssue({ code: "custom", message: detail, input: shown, params: { rule, value: shown } });
    return z.NEVER;
  });
}

function inRange(value: bigint, min: bigint, max: bigint, unit = ""): bigint {
  const suffix = unit === "" ? "" : ` ${unit}`;
  if (value < min) throw new FieldError("min", `must be at least ${min}${suffix}`);
  if (value > max) throw new FieldError("max", `must be at most ${max}${suffix}`);
  return value;
}

function quantity(
  parse: (input: Quantity) => bigint,
  min: bigint,
  max: bigint,
  unit: string,
): (value: unknown) => bigint {
  return (value) => inRange(parse(value as Quantity), min, max, unit);
}

/** An integer from a safe JS integer, a bigint or a string of decimal digits (an optional "-"). */
function integer(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new FieldError("integer", "must be a whole number");
    if (!Number.isSafeInteger(value)) {
      throw new FieldError("integer", "must be a safe integer; pass a string or a bigint for large values");
    }
    return BigInt(value);
  }
  if (typeof value === "string") {
    const text = value.trim();
    if (!/^-?\d{1,80}$/.test(text)) throw new FieldError("integer", "must be a whole number in decimal digits");
    return BigInt(text);
  }
  throw new FieldError("type", "must be a whole number (string, number or bigint)");
}

function id(value: unknown): bigint {
  return inRange(integer(value), 1n, MAX_ID);
}

/** A block number: a whole number 0 to 2^53 − 1 (JSON-RPC block numbers fit a JS number). */
function blockNumber(value: unknown): number {
  return Number(inRange(integer(value), 0n, BigInt(Number.MAX_SAFE_INTEGER)));
}

function transferIndex(value: unknown): bigint {
  return inRange(integer(value), 0n, BigInt(MAX_TRANSFER_INDEX));
}

/** Whether a string holds a lone UTF-16 surrogate, which UTF-8 cannot encode (TextEncoder would put U+FFFD). */
function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return true;
    }
  }
  return false;
}
const encoder = new TextEncoder();

/** The UTF-8 byte length of a string, as Solidity's `bytes(s).length` sees it. */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** A string of 1 to `maxBytes` bytes of UTF-8, kept exactly as given (not trimmed). */
function utf8Text(maxBytes: number): (value: unknown) => string {
  return (value) => {
    if (typeof value !== "string") throw new FieldError("type", "must be a string");
    if (hasLoneSurrogate(value)) {
      throw new FieldError("utf8", "must be valid Unicode (it contains a lone surrogate)");
    }
    const bytes = utf8Length(value);
    if (bytes === 0) throw new FieldError("min_bytes", "must not be empty");
    if (bytes > maxBytes) {
      throw new FieldError("max_bytes", `must be at most ${maxBytes} bytes of UTF-8 (it is ${bytes} bytes)`);
    }
    return value;
  };
}

function nonEmptyString(value: unknown): string {
  if (typeof value !== "string") throw new FieldError("type", "must be a string");
  if (value.trim() === "") throw new FieldError("min_length", "must not be empty");
  return value;
}

const ZERO_ADDRESS = `0x${"0".repeat(40)}`;

/**
 * An address: "0x" and 40 hex digits, all lowercase, all uppercase or with a correct EIP-55 checksum
 * (mixed case), returned checksummed. The zero address is rejected unless `allowZero`.
 */
function address(allowZero: boolean): (value: unknown) => string {
  return (value) => {
    if (typeof value !== "string") throw new FieldError("type", "must be an address string");
    const text = value.trim();
    if (!/^0x[0-9a-fA-F]{40}$/.test(text)) {
      throw new FieldError("address", 'must be an address: "0x" followed by 40 hex digits');
    }
    const checksummed = getAddress(text.toLowerCase());
    const mixedCase = /[a-f]/.test(text.slice(2)) && /[A-F]/.test(text.slice(2));
    if (mixedCase && text !== checksummed) {
      throw new FieldError("checksum", "has a wrong EIP-55 checksum (a typo?); check it or write it in lowercase");
    }
    if (!allowZero && checksummed === ZERO_ADDRESS) throw new FieldError("zero_address", "must not be the zero address");
    return checksummed;
  };
}

function time(value: unknown): bigint {
  if (
    typeof value !== "string" &&
    typeof value !== "number" &&
    typeof value !== "bigint" &&
    !(value instanceof Date)
  ) {
    throw new FieldError("type", "must be unix seconds, an ISO 8601 date-time with a timezone or a Date");
  }
  const seconds = parseTime(value);
  if (seconds > MAX_TIMESTAMP) {
    throw new FieldError(
      "max",
      `must be at most ${MAX_TIMESTAMP} (unix seconds, 2106-02-07T06:28:15Z); milliseconds given instead of seconds?`,
    );
  }
  return seconds;
}

const REASON_NAMES = Object.keys(DISPUTE_REASONS) as DisputeReasonName[];

function disputeReason(value: unknown): number {
  if (typeof value === "string" && !/^\s*-?\d+\s*$/.test(value)) {
    const name = value.trim().toLowerCase();
    const match = REASON_NAMES.find((known) => known.toLowerCase() === name);
    if (match === undefined) {
      throw new FieldError(
        "reason",
        `must be a code from ${MIN_DISPUTE_REASON} to ${MAX_DISPUTE_REASON} or one of ${REASON_NAMES.join(", ")}`,
      );
    }
    return DISPUTE_REASONS[match];
  }
  return Number(inRange(integer(value), BigInt(MIN_DISPUTE_REASON), BigInt(MAX_DISPUTE_REASON)));
}

function cidCodec(value: unknown): number {
  const named: Record<string, number> = { raw: CODEC_RAW, "dag-pb": CODEC_DAG_PB };
  let code: number | undefined;
  if (typeof value === "string") {
    const text = value.trim().toLowerCase();
    code = named[text] ?? (/^0x[0-9a-f]{1,4}$/.test(text) || /^\d{1,5}$/.test(text) ? Number(text) : undefined);
  } else if (typeof value === "number" || typeof value === "bigint") {
    code = Number(value);
  }
  if (code !== CODEC_RAW && code !== CODEC_DAG_PB) {
    throw new FieldError("codec", 'must be 0x55 ("raw") or 0x70 ("dag-pb")');
  }
  return code;
}

/** An http(s) or ws(s) URL, returned trimmed and otherwise as given. */
function url(protocols: readonly string[]): (value: unknown) => string {
  return (value) => {
    if (typeof value !== "string") throw new FieldError("type", "must be a URL string");
    const text = value.trim();
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new FieldError("url", `must be a URL such as "${protocols[0]}//localhost:8545"`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new FieldError(
        "url_protocol",
        `must use ${protocols.map((p) => p.slice(0, -1)).join(", ")} (not ${parsed.protocol.slice(0, -1)})`,
      );
    }
    if (parsed.hostname === "") throw new FieldError("url", "must name a host");
    return text;
  };
}

/** Order of the secp256k1 group: a private key is 1 to N − 1. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function privateKey(value: unknown): string {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new FieldError("private_key", 'must be "0x" followed by 64 hex digits');
  }
  const key = BigInt(value);
  if (key === 0n || key >= SECP256K1_N) {
    throw new FieldError("private_key", "must be a valid secp256k1 private key (1 to n − 1)");
  }
  return value;
}

function optionalString(value: unknown): string {
  if (typeof value !== "string") throw new FieldError("type", "must be a string");
  return value;
}

function chainId(value: unknown): number {
  return Number(inRange(integer(value), 1n, BigInt(Number.MAX_SAFE_INTEGER)));
}

// ------------------------------------------------------------------ field schemas

/**
 * Field schemas, for a form that checks one field at a time. Each takes the human value and produces the
 * on-chain one, with the same rules and messages as the object schemas below.
 */
export const fields = {
  /** Grid capacity, Wh, 1 to MAX_CAPACITY. */
  capacity: field<bigint, Quantity>(quantity(parseEnergy, 1n, MAX_CAPACITY, "Wh")),
  /** Available storage, Wh, 0 to MAX_CAPACITY (and ≤ capacity, checked where the capacity is known). */
  available: field<bigint, Quantity>(quantity(parseEnergy, 0n, MAX_CAPACITY, "Wh")),
  /** Price, wei per Wh, 1 to MAX_RATE. */
  rate: field<bigint, Quantity>(quantity(parseRate, 1n, MAX_RATE, "wei/Wh")),
  /** Grid location, 1 to 31 bytes of UTF-8. */
  location: field<string, string>(utf8Text(MAX_LOCATION_BYTES)),
  /** Purchase quantity, Wh, 1 to MAX_QUANTITY. */
  quantity: field<bigint, Quantity>(quantity(parseEnergy, 1n, MAX_QUANTITY, "Wh")),
  /** Largest acceptable purchase cost, wei, at least 1. */
  maxCost: field<bigint, Quantity>((value) => {
    const wei = parseEth(value as Quantity);
    if (wei < 1n) throw new FieldError("min", "must be at least 1 wei");
    return wei;
  }),
  /** Transfer amount, Wh, 1 to MAX_TRANSFER_AMOUNT. */
  amount: field<bigint, Quantity>(quantity(parseEnergy, 1n, MAX_TRANSFER_AMOUNT, "Wh")),
  /** Meter rated power, W, 1 to MAX_RATED_POWER. */
  ratedPower: field<bigint, Quantity>(quantity(parsePower, 1n, MAX_RATED_POWER, "W")),
  /** Device name, 1 to 64 bytes of UTF-8. */
  device: field<string, string>(utf8Text(MAX_DEVICE_NAME)),
  /** An offer or purchase id, 1 to MAX_ID. */
  id: field<bigint, IntegerLike>(id),
  /** A block number, 0 to 2^53 − 1. */
  block: field<number, IntegerLike>(blockNumber),
  /** A transfer index within its purchase, 0 to MAX_TRANSFER_INDEX. */
  transferIndex: field<bigint, IntegerLike>(transferIndex),
  /** A time, unix seconds, 0 to MAX_TIMESTAMP. */
  time: field<bigint, TimeLike>(time),
  /** A non-zero address, returned checksummed. */
  address: field<string, string>(address(false)),
  /** A dispute reason: a code 1 to 255 or a name of DISPUTE_REASONS. */
  reason: field<number, IntegerLike | DisputeReasonName>(disputeReason),
  /** A bill CID's multicodec: 0x55 (raw) or 0x70 (dag-pb), as a number, "0x55", "raw" or "dag-pb". */
  cidCodec: field<number, IntegerLike>(cidCodec),
} as const;

// ------------------------------------------------------------------ cross-field checks

/**
 * Cross-field checks run whenever the input is an object, whatever happened to its fields, so that every
 * independent issue is reported in one pass. A field that failed to parse holds a non-bigint marker
 * (`z.NEVER`), so each check first asks `isBigint` of the fields it reads.
 */
function isObject(payload: z.core.ParsePayload): boolean {
  return typeof payload.value === "object" && payload.value !== null;
}

function isBigint(value: unknown): value is bigint {
  return typeof value === "bigint";
}

// ------------------------------------------------------------------ input schemas

/** `openOffer(capacity, available, rate, location)`, with available ≤ capacity. */
export const openOfferInput = z
  .strictObject({
    capacity: fields.capacity,
    available: fields.available,
    rate: fields.rate,
    location: fields.location,
  })
  .superRefine(
    (value, ctx) => {
      if (isBigint(value.available) && isBigint(value.capacity) && value.available > value.capacity) {
        ctx.addIssue({
          code: "custom",
          path: ["available"],
          message: `must be at most the capacity (${value.capacity} Wh); it is ${value.available} Wh`,
          params: { rule: "available_le_capacity" },
        });
      }
    },
    { when: isObject },
  );

/** `recordStorage(offerId, available)`; available ≤ the offer's capacity is checked on chain. */
export const storageInput = z.strictObject({
  offerId: fields.id,
  available: fields.available,
});

/** `purchase(offerId, quantity)`, with an optional ceiling on the cost (rate × quantity, wei). */
export const purchaseInput = z.strictObject({
  offerId: fields.id,
  quantity: fields.quantity,
  maxCost: fields.maxCost.optional(),
});

/**
 * `recordTransfer(purchaseId, meter, amount, start, end, device)`, with start < end and end ≤ `now`
 * (unix seconds: the caller passes the chain's latest block time, or the clock for a form).
 */
export function transferInput(now: bigint) {
  return z
    .strictObject({
      purchaseId: fields.id,
      meter: fields.address,
      amount: fields.amount,
      start: fields.time,
      end: fields.time,
      device: fields.device,
    })
    .superRefine(
      (value, ctx) => {
        if (isBigint(value.start) && isBigint(value.end) && value.start >= value.end) {
          ctx.addIssue({
            code: "custom",
            path: ["end"],
            message: `must be after start (${value.start}); it is ${value.end}`,
            params: { rule: "start_before_end" },
          });
        }
        if (isBigint(value.end) && value.end > now) {
          ctx.addIssue({
            code: "custom",
            path: ["end"],
            message: `must not be in the future (now is ${now}); it is ${value.end}`,
            params: { rule: "end_not_future" },
          });
        }
      },
      { when: isObject },
    );
}

/** `acknowledgeTransfer(purchaseId, index)`. */
export const acknowledgementInput = z.strictObject({
  purchaseId: fields.id,
  index: fields.transferIndex,
});

/** `disputeTransfer(purchaseId, index, reason)`; reason is a code 1..255 or a DISPUTE_REASONS name. */
export const disputeInput = z.strictObject({
  purchaseId: fields.id,
  index: fields.transferIndex,
  reason: fields.reason,
});

/** `recordBill(purchaseId, …)`: the CID is computed from the bill the app builds. */
export const billInput = z.strictObject({
  purchaseId: fields.id,
});

/** `authorizeMeter(meter, ratedPower)`. */
export const meterInput = z.strictObject({
  meter: fields.address,
  ratedPower: fields.ratedPower,
});

/** `withdraw()`: no arguments. */
export const withdrawInput = z.strictObject({});

/** The audit export (src/auditExport.ts) of blocks `fromBlock..toBlock`, no further than the chain's `head`. */
export function exportInput(head: number) {
  return z
    .strictObject({
      fromBlock: fields.block,
      toBlock: fields.block,
      format: z.enum(["csv", "json"]),
    })
    .superRefine(
      (value, ctx) => {
        const from = value.fromBlock as unknown;
        const to = value.toBlock as unknown;
        if (typeof from === "number" && typeof to === "number" && to < from) {
          ctx.addIssue({
            code: "custom",
            path: ["toBlock"],
            message: `must be at least the first block (${from}); it is ${to}`,
            params: { rule: "from_le_to" },
          });
        }
        if (typeof to === "number" && to > head) {
          ctx.addIssue({
            code: "custom",
            path: ["toBlock"],
            message: `must be at most the latest block (${head}); it is ${to}`,
            params: { rule: "not_after_head" },
          });
        }
      },
      { when: isObject },
    );
}

// ------------------------------------------------------------------ configuration

/**
 * The configuration the CLI/env layer builds as a plain object. At most one signer: `privateKey` or
 * `keystore`. Secrets (the private key, the keystore password) never appear in issues or messages.
 */
export const configSchema = z
  .strictObject({
    rpcUrl: field<string, string>(url(["http:", "https:", "ws:", "wss:"])),
    chainId: field<number, IntegerLike>(chainId).optional(),
    privateKey: field<string, string>(privateKey, { secret: true }).optional(),
    keystore: z
      .strictObject({
        path: field<string, string>(nonEmptyString),
        password: field<string, string>(optionalString, { secret: true }).optional(),
      })
      .optional(),
    ipfs: z.discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("embedded"), dataDir: field<string, string>(nonEmptyString) }),
      z.strictObject({ kind: z.literal("kubo"), url: field<string, string>(url(["http:", "https:"])) }),
    ]),
    contractAddress: fields.address.optional(),
  })
  .superRefine(
    (value, ctx) => {
      if (value.privateKey !== undefined && value.keystore !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["keystore"],
          message: "must not be given together with privateKey (choose one signer)",
          params: { rule: "one_signer" },
        });
      }
    },
    { when: isObject },
  );

// ------------------------------------------------------------------ types

export type OpenOfferInput = z.output<typeof openOfferInput>;
export type StorageInput = z.output<typeof storageInput>;
export type PurchaseInput = z.output<typeof purchaseInput>;
export type TransferInput = z.output<ReturnType<typeof transferInput>>;
export type AcknowledgementInput = z.output<typeof acknowledgementInput>;
export type DisputeInput = z.output<typeof disputeInput>;
export type BillInput = z.output<typeof billInput>;
export type MeterInput = z.output<typeof meterInput>;
export type WithdrawInput = z.output<typeof withdrawInput>;
export type ExportInput = z.output<ReturnType<typeof exportInput>>;
export type Config = z.output<typeof configSchema>;

/** What each schema accepts, for typing a form or a CLI's raw options. */
export type OpenOfferRaw = z.input<typeof openOfferInput>;
export type StorageRaw = z.input<typeof storageInput>;
export type PurchaseRaw = z.input<typeof purchaseInput>;
export type TransferRaw = z.input<ReturnType<typeof transferInput>>;
export type AcknowledgementRaw = z.input<typeof acknowledgementInput>;
export type DisputeRaw = z.input<typeof disputeInput>;
export type BillRaw = z.input<typeof billInput>;
export type MeterRaw = z.input<typeof meterInput>;
export type WithdrawRaw = z.input<typeof withdrawInput>;
export type ConfigRaw = z.input<typeof configSchema>;

// ------------------------------------------------------------------ validation errors

/** One failing field: its dotted path, the rule it broke, the value given and why. */
export interface ValidationIssue {
  /** Dotted path of the field ("capacity", "ipfs.url"); "input" for the whole input. */
  field: string;
  /** Stable rule identifier: "max", "required", "max_bytes", "available_le_capacity", … */
  rule: string;
  /** The value given for the field ("[redacted]" for secrets; undefined when missing). */
  value: unknown;
  /** Why, worded to follow the field name: "must be at most 1099511627775 Wh". */
  message: string;
}

/** Thrown by `validate`: every failing field, each named in the message with its rule and value. */
export class ValidationError extends Error {
  override readonly name = "ValidationError";
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[]) {
    super(issues.map(formatIssue).join("\n"));
    this.issues = issues;
  }
}

const SECRET_KEY = /(key|secret|password|passwd|passphrase|mnemonic|seed|token)$/i;

/** What a private key looks like: 32 bytes of hex. No field takes such a value, so it is never shown. */
const KEY_LIKE = /^\s*(0x)?[0-9a-fA-F]{64}\s*$/;

/**
 * A copy of a value with every secret-looking property, and any string that looks like a private key
 * wherever it was given, replaced by REDACTED.
 */
function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return KEY_LIKE.test(value) ? REDACTED : value;
  if (typeof value !== "object" || value === null || value instanceof Date) return value;
  if (depth > 8) return "[…]";
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = SECRET_KEY.test(key) ? REDACTED : redact(item, depth + 1);
  return copy;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function fieldName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "input";
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join("");
}

function showValue(value: unknown): string {
  if (value === undefined) return "missing";
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "bigint" || typeof value === "number" || typeof value === "boolean") text = String(value);
  else if (value instanceof Date) text = Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  else if (value === null) text = "null";
  else {
    try {
      text = JSON.stringify(value, (_key, item: unknown) => (typeof item === "bigint" ? item.toString() : item));
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return `got ${text.length > 80 ? `${text.slice(0, 77)}...` : text}`;
}

function formatIssue(issue: ValidationIssue): string {
  return `${issue.field}: ${issue.message} (${showValue(issue.value)})`;
}

/** Our issues from zod's, reading values from the raw input where the issue does not carry one. */
function toValidationIssues(issues: readonly z.core.$ZodIssue[], input: unknown): ValidationIssue[] {
  const result: ValidationIssue[] = [];
  const add = (path: readonly PropertyKey[], rule: string, message: string, value: unknown) => {
    const secret = path.some((key) => typeof key === "string" && SECRET_KEY.test(key));
    result.push({
      field: fieldName(path),
      rule,
      value: secret && value !== undefined ? REDACTED : redact(value),
      message,
    });
  };
  for (const issue of issues) {
    const path = issue.path;
    switch (issue.code) {
      case "custom": {
        const params = issue.params ?? {};
        const rule = typeof params.rule === "string" ? params.rule : "custom";
        add(path, rule, issue.message, "value" in params ? params.value : valueAt(input, path));
        break;
      }
      case "unrecognized_keys":
        for (const key of issue.keys) add([...path, key], "unknown_field", "is not a known field", valueAt(input, [...path, key]));
        break;
      case "invalid_type": {
        const value = valueAt(input, path);
        if (value === undefined && path.length > 0) add(path, "required", "is required", value);
        else add(path, "type", `must be ${issue.expected === "object" ? "an object" : `a ${issue.expected}`}`, value);
        break;
      }
      case "invalid_union": {
        const options = "options" in issue ? issue.options : undefined;
        if (issue.discriminator !== undefined && options !== undefined) {
          const names = options.map((option) => JSON.stringify(option)).join(" or ");
          add(path, "enum", `must be ${names}`, valueAt(input, path));
        } else {
          add(path, "union", issue.message, valueAt(input, path));
        }
        break;
      }
      case "invalid_value":
        add(path, "enum", `must be ${issue.values.map((option) => JSON.stringify(option)).join(" or ")}`, valueAt(input, path));
        break;
      default:
        add(path, issue.code, issue.message, valueAt(input, path));
    }
  }
  return result;
}

/**
 * Parses `input` with `schema` and returns the on-chain values, or throws one ValidationError listing
 * every failing field (not only the first) with its rule and the value given.
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(toValidationIssues(result.error.issues, input));
}
