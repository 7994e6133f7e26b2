/**
 * Exact conversion between human quantities ("12.5 kWh", "0.0002 ETH/kWh", "5 kW", ISO 8601 times) and
 * the contract's integer units: Wh, wei per Wh, W, unix seconds. Everything is bigint arithmetic; no
 * value ever passes through a floating-point number, and a quantity that is not a whole number of the
 * on-chain unit is rejected, never rounded.
 *
 * Number syntax, shared by every parser:
 * - decimal digits with an optional fraction: "12", "12.5", "007" (leading zeros are decimal). A digit
 *   must stand on both sides of the point: ".5" and "5." are rejected.
 * - "_" groups digits ("1_000_000 Wh", "0.000_2 ETH/kWh"), only between two digits.
 * - "," is REJECTED, as a thousands separator and as a decimal comma: "1,000" means one thousand in
 *   some locales and one in others, and a misread price or quantity is worse than an error.
 * - an exponent is allowed when the result is exact: "1.2e3 Wh" = 1200 Wh, "1e-3 kWh" = 1 Wh, while
 *   "1e-4 kWh" (0.1 Wh) is rejected. The exponent is bounded by ±MAX_EXPONENT.
 * - leading and trailing whitespace is ignored, and whitespace between number and unit is optional.
 * - signs are not allowed: a leading "-" is reported as a negative quantity.
 * - units are case-insensitive ("kwh", "KWH", "Gwei"), except that "mWh" and "mW" written with a small
 *   m and a capital W are rejected: that spelling means milliwatt(-hour), which is not supported, and
 *   reading it as mega would be off by a factor of 10^9.
 *
 * Bounds of the contract (MAX_CAPACITY and the like) are checked by src/schemas.ts, not here.
 * No node: imports: the web app imports this file through Vite.
 */

/** Why a unit conversion failed. `rule` is a stable identifier, `detail` reads after a field name. */
export type UnitRule =
  | "type"
  | "empty"
  | "too_long"
  | "format"
  | "negative"
  | "not_finite"
  | "separator"
  | "exponent"
  | "unit"
  | "exact"
  | "unsafe_integer"
  | "timezone"
  | "date";

/** A human quantity that does not convert exactly to its on-chain unit. */
export class UnitError extends Error {
  override readonly name = "UnitError";
  /** The value given, unchanged. */
  readonly input: unknown;
  /** Which rule it broke. */
  readonly rule: UnitRule;
  /** The reason, worded to follow a field name: "must be a whole number of Wh (0.1 Wh)". */
  readonly detail: string;

  constructor(kind: string, input: unknown, rule: UnitRule, detail: string) {
    super(`Invalid ${kind} ${describeInput(input)}: ${detail}`);
    this.input = input;
    this.rule = rule;
    this.detail = detail;
  }
}

/** Longest string accepted by the parsers, characters. */
export const MAX_INPUT_LENGTH = 200;
/** Largest exponent magnitude accepted in "1e3" notation. */
export const MAX_EXPONENT = 100;

const ENERGY_UNITS: Readonly<Record<string, bigint>> = {
  wh: 1n,
  kwh: 10n ** 3n,
  mwh: 10n ** 6n,
  gwh: 10n ** 9n,
  twh: 10n ** 12n,
};

const POWER_UNITS: Readonly<Record<string, bigint>> = {
  w: 1n,
  kw: 10n ** 3n,
  mw: 10n ** 6n,
  gw: 10n ** 9n,
  tw: 10n ** 12n,
};

const CURRENCY_UNITS: Readonly<Record<string, bigint>> = {
  wei: 1n,
  gwei: 10n ** 9n,
  eth: 10n ** 18n,
  ether: 10n ** 18n,
};

/** Display names of the energy units, smallest first, with their size in Wh. */
const ENERGY_DISPLAY: readonly (readonly [string, bigint])[] = [
  ["Wh", 1n],
  ["kWh", 10n ** 3n],
  ["MWh", 10n ** 6n],
  ["GWh", 10n ** 9n],
  ["TWh", 10n ** 12n],
];

const WEI_PER_ETH = 10n ** 18n;

// digits ("_" only between digits), optional fraction, optional exponent, then the rest (the unit).
const NUMBER_PATTERN = /^(\d+(?:_\d+)*)(?:\.(\d+(?:_\d+)*))?(?:[eE]([+-]?\d+))?\s*(.*)$/s;

/** A non-negative decimal number read exactly: value = digits × 10^-scale. */
interface Decimal {
  digits: bigint;
  scale: number;
  unit: string;
}

function describeInput(input: unknown): string {
  if (typeof input === "string") return JSON.stringify(input.length > 80 ? `${input.slice(0, 77)}...` : input);
  if (typeof input === "bigint") return `${input}n`;
  if (input instanceof Date) return Number.isNaN(input.getTime()) ? "Invalid Date" : input.toISOString();
  return String(input);
}

/** The exact decimal text of numerator / denominator when denominator is a power of ten. */
function decimalText(numerator: bigint, denominator: bigint): string {
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const whole = n / denominator;
  const fraction = n % denominator;
  let text = whole.toString();
  if (fraction !== 0n) {
    const width = denominator.toString().length - 1;
    text += `.${fraction.toString().padStart(width, "0").replace(/0+$/, "")}`;
  }
  return negative ? `-${text}` : text;
}

/** Reads the number and unit of a string, or throws UnitError. `kind` names the quantity in errors. */
function readDecimal(kind: string, input: string, example: string): Decimal {
  const text = input.trim();
  if (text === "") throw new UnitError(kind, input, "empty", `must not be empty (e.g. ${example})`);
  if (text.length > MAX_INPUT_LENGTH) {
    throw new UnitError(kind, input, "too_long", `must be at most ${MAX_INPUT_LENGTH} characters`);
  }
  if (/^[+-]?\s*(nan|inf|infinity)\b/i.test(text)) {
    throw new UnitError(kind, input, "not_finite", "must be a finite number");
  }
  if (/^-\s*\d/.test(text)) throw new UnitError(kind, input, "negative", "must not be negative");
  if (/^\d[\d_.]*,/.test(text)) {
    throw new UnitError(
      kind,
      input,
      "separator",
      'must not contain ","; use "." for decimals and "_" to group digits (e.g. "1_000")',
    );
  }
  const match = NUMBER_PATTERN.exec(text);
  // The unit may not start like more of the number: "1.", "1__0", "1 000", "1.5.2".
  if (match === null || /^[\d._]/.test(match[4] ?? "")) {
    const spaced = match !== null && /^\d/.test(match[4] ?? "");
    throw new UnitError(
      kind,
      input,
      "format",
      spaced
        ? `must be one number with an optional unit, e.g. ${example}; group digits with "_", not spaces`
        : `must be a number with an optional unit, e.g. ${example} ("_" may group digits)`,
    );
  }
  const [, whole, fraction = "", exponent = "0", unit = ""] = match;
  const exp = Number(exponent);
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > MAX_EXPONENT) {
    throw new UnitError(kind, input, "exponent", `must have an exponent between -${MAX_EXPONENT} and ${MAX_EXPONENT}`);
  }
  const fractionDigits = fraction.replaceAll("_", "");
  return {
    digits: BigInt(whole.replaceAll("_", "") + fractionDigits),
    scale: fractionDigits.length - exp,
    unit: unit.trim(),
  };
}

/**
 * The exact value of a decimal × numerator / denominator as an integer, or a UnitError whose detail
 * shows the fractional result.
 */
function exactly(
  kind: string,
  input: unknown,
  decimal: Pick<Decimal, "digits" | "scale">,
  numerator: bigint,
  denominator: bigint,
  baseUnit: string,
): bigint {
  let num = decimal.digits * numerator;
  let den = denominator;
  if (decimal.scale >= 0) den *= 10n ** BigInt(decimal.scale);
  else num *= 10n ** BigInt(-decimal.scale);
  if (num % den !== 0n) {
    throw new UnitError(
      kind,
      input,
      "exact",
      `must be a whole number of ${baseUnit} (it is ${decimalText(num, den)} ${baseUnit})`,
    );
  }
  return num / den;
}

/** A bigint or a JS number that is a whole, non-negative, exactly represented count of the base unit. */
function fromInteger(kind: string, input: number | bigint, baseUnit: string): bigint {
  if (typeof input === "bigint") {
    if (input < 0n) throw new UnitError(kind, input, "negative", "must not be negative");
    return input;
  }
  if (!Number.isFinite(input)) throw new UnitError(kind, input, "not_finite", "must be a finite number");
  if (input < 0) throw new UnitError(kind, input, "negative", "must not be negative");
  if (!Number.isInteger(input)) {
    throw new UnitError(kind, input, "exact", `must be a whole number of ${baseUnit} (it is ${input} ${baseUnit})`);
  }
  if (!Number.isSafeInteger(input)) {
    throw new UnitError(
      kind,
      input,
      "unsafe_integer",
      `is above ${Number.MAX_SAFE_INTEGER} and may have lost precision as a number; pass a string or a bigint`,
    );
  }
  return BigInt(input);
}

function requireQuantityType(kind: string, input: unknown): asserts input is string | number | bigint {
  if (typeof input !== "string" && typeof input !== "number" && typeof input !== "bigint") {
    throw new UnitError(kind, input, "type", "must be a string, a number or a bigint");
  }
}

/** Rejects "mWh"/"mW" spelt with a small m and a capital W (milli), see the file comment. */
function rejectMilli(kind: string, input: unknown, unit: string): void {
  if (/^mW/.test(unit)) {
    throw new UnitError(
      kind,
      input,
      "unit",
      `must not use milli-units ("${unit}"); write "MW"/"MWh" (capital M) for mega`,
    );
  }
}

/**
 * Energy in Wh. Accepts "12.5 kWh", "500 Wh", "1.2 MWh", "0.001 GWh", "2 TWh", "12.5kWh", a bare
 * integer (Wh), a number or a bigint (Wh). Throws UnitError for anything negative, non-numeric, in an
 * unknown unit or not a whole number of Wh.
 */
export function parseEnergy(input: string | bigint | number): bigint {
  const kind = "energy";
  requireQuantityType(kind, input);
  if (typeof input !== "string") return fromInteger(kind, input, "Wh");
  const decimal = readDecimal(kind, input, '"12.5 kWh"');
  if (decimal.unit === "") return exactly(kind, input, decimal, 1n, 1n, "Wh");
  rejectMilli(kind, input, decimal.unit);
  const factor = ENERGY_UNITS[decimal.unit.toLowerCase()];
  if (factor === undefined) {
    throw new UnitError(kind, input, "unit", `must be in Wh, kWh, MWh, GWh or TWh (not "${decimal.unit}")`);
  }
  return exactly(kind, input, decimal, factor, 1n, "Wh");
}

/**
 * Power in W. Accepts "5 kW", "1.5 MW", "250 W", "1 GW", a bare integer (W), a number or a bigint (W).
 */
export function parsePower(input: string | bigint | number): bigint {
  const kind = "power";
  requireQuantityType(kind, input);
  if (typeof input !== "string") return fromInteger(kind, input, "W");
  const decimal = readDecimal(kind, input, '"5 kW"');
  if (decimal.unit === "") return exactly(kind, input, decimal, 1n, 1n, "W");
  rejectMilli(kind, input, decimal.unit);
  const factor = POWER_UNITS[decimal.unit.toLowerCase()];
  if (factor === undefined) {
    throw new UnitError(kind, input, "unit", `must be in W, kW, MW, GW or TW (not "${decimal.unit}")`);
  }
  return exactly(kind, input, decimal, factor, 1n, "W");
}

/**
 * A rate in wei per Wh. Accepts "<number> <currency>/<energy>" with currency wei, gwei or ETH (ether)
 * and energy Wh, kWh, MWh, GWh or TWh: "0.0002 ETH/kWh" (= 200000000000 wei/Wh), "0.2 gwei/Wh" (= 200000000 wei/Wh),
 * "0.2 ETH/MWh", "200000000 wei/Wh"; spaces around "/" are allowed. A bare integer, a number or a bigint
 * is wei/Wh. A rate that is not a whole number of wei per Wh ("1 wei/kWh") is rejected.
 */
export function parseRate(input: string | bigint | number): bigint {
  const kind = "rate";
  requireQuantityType(kind, input);
  if (typeof input !== "string") return fromInteger(kind, input, "wei/Wh");
  const decimal = readDecimal(kind, input, '"0.0002 ETH/kWh"');
  if (decimal.unit === "") return exactly(kind, input, decimal, 1n, 1n, "wei/Wh");
  const unit = /^([a-z]+)\s*\/\s*([a-z]+)$/i.exec(decimal.unit);
  const currency = unit ? CURRENCY_UNITS[unit[1].toLowerCase()] : undefined;
  if (unit === null || currency === undefined) {
    throw new UnitError(
      kind,
      input,
      "unit",
      `must be in wei, gwei or ETH per Wh, kWh, MWh, GWh or TWh, e.g. "0.0002 ETH/kWh" (not "${decimal.unit}")`,
    );
  }
  rejectMilli(kind, input, unit[2]);
  const energy = ENERGY_UNITS[unit[2].toLowerCase()];
  if (energy === undefined) {
    throw new UnitError(kind, input, "unit", `must be per Wh, kWh, MWh, GWh or TWh (not "/${unit[2]}")`);
  }
  return exactly(kind, input, decimal, currency, energy, "wei/Wh");
}

/**
 * An amount of ether in wei. Accepts "0.5 ETH", "20 gwei", "123 wei", a bare integer (wei), a number or
 * a bigint (wei). Rejects fractions of a wei.
 */
export function parseEth(input: string | bigint | number): bigint {
  const kind = "amount";
  requireQuantityType(kind, input);
  if (typeof input !== "string") return fromInteger(kind, input, "wei");
  const decimal = readDecimal(kind, input, '"0.5 ETH"');
  if (decimal.unit === "") return exactly(kind, input, decimal, 1n, 1n, "wei");
  const factor = CURRENCY_UNITS[decimal.unit.toLowerCase()];
  if (factor === undefined) {
    throw new UnitError(kind, input, "unit", `must be in wei, gwei or ETH (not "${decimal.unit}")`);
  }
  return exactly(kind, input, decimal, factor, 1n, "wei");
}

// YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM); "T" may be a space, "Z"/"T" any case.
const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * A time in unix seconds. Accepts integer seconds (number, bigint or a string of digits), an ISO 8601
 * date-time WITH a timezone ("2024-05-01T12:00:00Z", "2024-05-01T14:00:00+02:00") or a Date. Rejects
 * times without a timezone (their meaning depends on the machine), impossible dates ("2024-02-30"),
 * times before 1970, and fractions of a second (".5", or a Date with milliseconds): nothing is rounded.
 */
export function parseTime(input: string | number | bigint | Date): bigint {
  const kind = "time";
  if (input instanceof Date) {
    const ms = input.getTime();
    if (Number.isNaN(ms)) throw new UnitError(kind, input, "date", "must be a valid date");
    if (ms < 0) throw new UnitError(kind, input, "negative", "must not be before 1970-01-01T00:00:00Z");
    if (ms % 1000 !== 0) {
      throw new UnitError(kind, input, "exact", "must be a whole number of seconds (the Date has milliseconds)");
    }
    return BigInt(ms / 1000);
  }
  if (typeof input === "number" || typeof input === "bigint") return fromInteger(kind, input, "seconds");
  if (typeof input !== "string") {
    throw new UnitError(kind, input, "type", "must be unix seconds, an ISO 8601 date-time or a Date");
  }
  const text = input.trim();
  if (text === "") throw new UnitError(kind, input, "empty", 'must not be empty (e.g. "2024-05-01T12:00:00Z")');
  if (text.length > MAX_INPUT_LENGTH) {
    throw new UnitError(kind, input, "too_long", `must be at most ${MAX_INPUT_LENGTH} characters`);
  }
  if (/^\d+$/.test(text)) return BigInt(text);
  if (/^-\d+$/.test(text)) throw new UnitError(kind, input, "negative", "must not be negative");
  const m = ISO_PATTERN.exec(text);
  if (m === null) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
      throw new UnitError(kind, input, "timezone", 'must include a time and a timezone, e.g. "2024-05-01T00:00:00Z"');
    }
    throw new UnitError(
      kind,
      input,
      "format",
      'must be unix seconds or an ISO 8601 date-time with a timezone, e.g. "2024-05-01T12:00:00Z"',
    );
  }
  const [, y, mo, d, h, mi, s = "0", fraction = "", zulu, sign, oh, om] = m;
  if (zulu === undefined && sign === undefined) {
    throw new UnitError(kind, input, "timezone", 'must include a timezone ("Z" or an offset such as "+02:00")');
  }
  if (/[1-9]/.test(fraction)) {
    throw new UnitError(kind, input, "exact", "must be a whole number of seconds");
  }
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  if (
    utc.getUTCFullYear() !== year ||
    utc.getUTCMonth() !== month - 1 ||
    utc.getUTCDate() !== day ||
    utc.getUTCHours() !== hour ||
    utc.getUTCMinutes() !== minute ||
    utc.getUTCSeconds() !== second
  ) {
    throw new UnitError(kind, input, "date", "must be a real calendar date and time");
  }
  let offsetMinutes = 0;
  if (sign !== undefined) {
    const offsetHours = Number(oh);
    const offsetMins = Number(om);
    if (offsetHours > 23 || offsetMins > 59) {
      throw new UnitError(kind, input, "date", "must have a timezone offset between -23:59 and +23:59");
    }
    offsetMinutes = (sign === "-" ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const seconds = BigInt(utc.getTime() / 1000) - BigInt(offsetMinutes * 60);
  if (seconds < 0n) throw new UnitError(kind, input, "negative", "must not be before 1970-01-01T00:00:00Z");
  return seconds;
}

/**
 * Energy for display: the largest unit in which the value is at least 1 and has at most three
 * decimals, exactly ("12.5 kWh", "999 Wh", "1234.567 kWh", "1 TWh"). The text parses back to the same
 * value with parseEnergy.
 */
export function formatEnergy(wh: bigint): string {
  const magnitude = wh < 0n ? -wh : wh;
  let chosen = ENERGY_DISPLAY[0];
  for (const entry of ENERGY_DISPLAY) {
    const [, size] = entry;
    const step = size >= 1000n ? size / 1000n : 1n;
    if (magnitude >= size && magnitude % step === 0n) chosen = entry;
  }
  return `${decimalText(wh, chosen[1])} ${chosen[0]}`;
}

/** A rate for display, in ETH/kWh as an exact decimal: 200000000000n → "0.0002 ETH/kWh". */
export function formatRate(weiPerWh: bigint): string {
  // wei/Wh × 1000 Wh/kWh ÷ 10^18 wei/ETH = ETH/kWh ÷ 10^15.
  return `${decimalText(weiPerWh, WEI_PER_ETH / 1000n)} ETH/kWh`;
}

/** Wei for display in ETH as an exact decimal: 1500000000000000000n → "1.5 ETH". */
export function formatEth(wei: bigint): string {
  return `${decimalText(wei, WEI_PER_ETH)} ETH`;
}
