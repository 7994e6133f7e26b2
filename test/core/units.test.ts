import { describe, expect, it } from "vitest";
import { MAX_CAPACITY, MAX_QUANTITY, MAX_RATE } from "../../src/limits.js";
import {
  formatEnergy,
  formatEth,
  formatRate,
  parseEnergy,
  parseEth,
  parsePower,
  parseRate,
  parseTime,
  UnitError,
  type UnitRule,
} from "../../src/units.js";

/** The UnitError thrown by `fn`, failing the test when it returns instead. */
function unitError(fn: () => unknown): UnitError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UnitError);
    return error as UnitError;
  }
  throw new Error("expected a UnitError, but nothing was thrown");
}

describe("parseEnergy", () => {
  it.each<[string | number | bigint, bigint]>([
    ["12.5 kWh", 12_500n],
    ["500 Wh", 500n],
    ["1.2 MWh", 1_200_000n],
    ["0.001 GWh", 1_000_000n],
    ["2 TWh", 2_000_000_000_000n],
    ["12.5kWh", 12_500n],
    ["12.500 kWh", 12_500n],
    ["  7 KWH  ", 7_000n],
    ["7 kwh", 7_000n],
    ["7 Kwh", 7_000n],
    ["7 WH", 7n],
    ["3 gwh", 3_000_000_000n],
    ["\t1 kWh\n", 1_000n],
    ["12500", 12_500n],
    ["0", 0n],
    ["0.0 kWh", 0n],
    ["007", 7n],
    ["1_000", 1_000n],
    ["1_000_000 Wh", 1_000_000n],
    ["1_000.5 kWh", 1_000_500n],
    ["0.000_5 MWh", 500n],
    ["1e3", 1_000n],
    ["1.2e3 Wh", 1_200n],
    ["1E+2 kWh", 100_000n],
    ["1e-3 kWh", 1n],
    ["1500e-3 kWh", 1_500n],
    [12_500, 12_500n],
    [0, 0n],
    [12_500n, 12_500n],
  ])("reads %o as %s Wh", (input, expected) => {
    expect(parseEnergy(input)).toBe(expected);
  });

  it("is exact beyond the float range (no Number on the way)", () => {
    // 2^53 + 1 is not representable as a double; a float path would return 2^53.
    expect(parseEnergy("9007199254740993")).toBe(9_007_199_254_740_993n);
    expect(parseEnergy("9007199254740.993 kWh")).toBe(9_007_199_254_740_993n);
    expect(parseEnergy("123456789012345678901234567890 Wh")).toBe(123_456_789_012_345_678_901_234_567_890n);
    expect(parseEnergy("1099511627.775 kWh")).toBe(MAX_CAPACITY);
    expect(parseEnergy("4.294967295 GWh")).toBe(MAX_QUANTITY);
    // 0.1 + 0.2 style decimals stay exact.
    expect(parseEnergy("0.3 kWh")).toBe(300n);
    expect(parseEnergy("1.005 kWh")).toBe(1_005n);
  });

  it("rejects a quantity that is not a whole number of Wh, naming the exact fraction", () => {
    const error = unitError(() => parseEnergy("0.0001 kWh"));
    expect(error.rule).toBe("exact");
    expect(error.input).toBe("0.0001 kWh");
    expect(error.detail).toBe("must be a whole number of Wh (it is 0.1 Wh)");
    expect(error.message).toBe('Invalid energy "0.0001 kWh": must be a whole number of Wh (it is 0.1 Wh)');
    expect(error.name).toBe("UnitError");
    expect(error).toBeInstanceOf(Error);
  });

  it.each<[unknown, UnitRule]>([
    ["12.5", "exact"],
    ["12.0001 kWh", "exact"],
    ["0.5 Wh", "exact"],
    ["1e-4 kWh", "exact"],
    ["1.5e-1", "exact"],
    [12.5, "exact"],
    [0.1, "exact"],
    ["-5", "negative"],
    ["-5 kWh", "negative"],
    ["- 5 kWh", "negative"],
    [-5, "negative"],
    [-5n, "negative"],
    ["abc", "format"],
    ["kWh", "format"],
    ["+5 kWh", "format"],
    ["0x10", "unit"],
    [".5 kWh", "format"],
    ["5. kWh", "format"],
    ["1.2.3 kWh", "format"],
    ["1__000", "format"],
    ["_1000", "format"],
    ["1000_", "format"],
    ["1_.5", "format"],
    ["1 000", "format"],
    ["1 000 kWh", "format"],
    ["5 XWh", "unit"],
    ["5 kW", "unit"],
    ["5 k Wh", "unit"],
    ["5 kWh/h", "unit"],
    ["500 mWh", "unit"],
    ["", "empty"],
    ["   ", "empty"],
    ["NaN", "not_finite"],
    ["nan kWh", "not_finite"],
    ["Infinity", "not_finite"],
    ["-Infinity", "not_finite"],
    ["inf Wh", "not_finite"],
    [Number.NaN, "not_finite"],
    [Number.POSITIVE_INFINITY, "not_finite"],
    [Number.NEGATIVE_INFINITY, "not_finite"],
    ["1,000", "separator"],
    ["1,000 kWh", "separator"],
    ["12,5 kWh", "separator"],
    ["1e101", "exponent"],
    ["1e-101 kWh", "exponent"],
    ["1e99999999999999999999", "exponent"],
    [2 ** 53 + 2, "unsafe_integer"],
    [1e21, "unsafe_integer"],
    ["1".repeat(201), "too_long"],
    [null, "type"],
    [undefined, "type"],
    [{}, "type"],
    [true, "type"],
  ])("rejects %o (%s)", (input, rule) => {
    const error = unitError(() => parseEnergy(input as string));
    expect(error.rule).toBe(rule);
    expect(error.input).toBe(input);
  });

  it("reads units case-insensitively, but rejects the milli spelling mWh", () => {
    expect(parseEnergy("1 mwh")).toBe(1_000_000n);
    expect(parseEnergy("1 MWH")).toBe(1_000_000n);
    expect(parseEnergy("1 Mwh")).toBe(1_000_000n);
    const error = unitError(() => parseEnergy("1 mWh"));
    expect(error.detail).toContain("milli");
  });

  it("explains the separators it accepts", () => {
    expect(unitError(() => parseEnergy("1,000")).detail).toContain('"_"');
    expect(unitError(() => parseEnergy("1 000")).detail).toContain('"_"');
  });

  it("accepts the longest allowed input and exponents at the bound", () => {
    expect(parseEnergy("1".repeat(200))).toBe(BigInt("1".repeat(200)));
    expect(parseEnergy("1e100")).toBe(10n ** 100n);
    expect(parseEnergy(`1${"0".repeat(88)}e-100 TWh`)).toBe(1n); // 10^88 × 10^-100 × 10^12 Wh
  });
});

describe("parseRate", () => {
  it.each<[string | number | bigint, bigint]>([
    // 0.0002 ETH/kWh = 2e14 wei per 1000 Wh = 2e11 wei/Wh.
    ["0.0002 ETH/kWh", 200_000_000_000n],
    ["0.2 ETH/MWh", 200_000_000_000n],
    ["200000000 wei/Wh", 200_000_000n],
    ["0.2 gwei/Wh", 200_000_000n],
    ["0.0000002 ETH/kWh", 200_000_000n],
    ["1 ETH/kWh", 1_000_000_000_000_000n],
    ["1 ether/kWh", 1_000_000_000_000_000n],
    ["1 ETH / kWh", 1_000_000_000_000_000n],
    ["1ETH/kWh", 1_000_000_000_000_000n],
    ["1 eth/kwh", 1_000_000_000_000_000n],
    ["1 GWEI/WH", 1_000_000_000n],
    ["1 wei/Wh", 1n],
    ["1000 wei/kWh", 1n],
    ["1 gwei/GWh", 1n],
    ["1 ETH/TWh", 1_000_000n],
    ["1e3 ETH/kWh", 1_000_000_000_000_000_000n],
    ["72.057594037927935 ETH/kWh", MAX_RATE],
    ["200000000", 200_000_000n],
    ["2_000", 2_000n],
    [200_000_000, 200_000_000n],
    [200_000_000n, 200_000_000n],
  ])("reads %o as %s wei/Wh", (input, expected) => {
    expect(parseRate(input)).toBe(expected);
  });

  it("rejects a rate that is not a whole number of wei per Wh", () => {
    const error = unitError(() => parseRate("1 wei/kWh"));
    expect(error.rule).toBe("exact");
    expect(error.detail).toBe("must be a whole number of wei/Wh (it is 0.001 wei/Wh)");
  });

  it.each<[unknown, UnitRule]>([
    ["0.0000000000000000001 ETH/Wh", "exact"],
    ["0.5", "exact"],
    [1.5, "exact"],
    ["0.2 ETH", "unit"],
    ["0.2 ETH/", "unit"],
    ["1 USD/kWh", "unit"],
    ["1 ETH/kW", "unit"],
    ["1 ETH/mWh", "unit"],
    ["1 ETH per kWh", "unit"],
    ["-1 ETH/kWh", "negative"],
    [-1n, "negative"],
    ["1,5 ETH/kWh", "separator"],
    ["ETH/kWh", "format"],
    ["", "empty"],
    ["NaN ETH/kWh", "not_finite"],
    [[1], "type"],
  ])("rejects %o (%s)", (input, rule) => {
    expect(unitError(() => parseRate(input as string)).rule).toBe(rule);
  });
});

describe("parsePower", () => {
  it.each<[string | number | bigint, bigint]>([
    ["5 kW", 5_000n],
    ["1.5 MW", 1_500_000n],
    ["250 W", 250n],
    ["250w", 250n],
    ["5 KW", 5_000n],
    ["1 GW", 1_000_000_000n],
    ["4.294967295 GW", 4_294_967_295n],
    ["250", 250n],
    [250, 250n],
    [250n, 250n],
  ])("reads %o as %s W", (input, expected) => {
    expect(parsePower(input)).toBe(expected);
  });

  it.each<[unknown, UnitRule]>([
    ["5 kWh", "unit"],
    ["5 mW", "unit"],
    ["0.5 W", "exact"],
    ["1.0005 kW", "exact"],
    ["-1 W", "negative"],
    ["five", "format"],
    ["", "empty"],
  ])("rejects %o (%s)", (input, rule) => {
    expect(unitError(() => parsePower(input as string)).rule).toBe(rule);
  });
});

describe("parseEth", () => {
  it.each<[string | number | bigint, bigint]>([
    ["0.5 ETH", 500_000_000_000_000_000n],
    ["1 ether", 1_000_000_000_000_000_000n],
    ["20 gwei", 20_000_000_000n],
    ["123 wei", 123n],
    ["123", 123n],
    [123, 123n],
    [123n, 123n],
    ["0.000000000000000001 ETH", 1n],
  ])("reads %o as %s wei", (input, expected) => {
    expect(parseEth(input)).toBe(expected);
  });

  it.each<[unknown, UnitRule]>([
    ["0.5 wei", "exact"],
    ["0.0000000000000000001 ETH", "exact"],
    ["1 ETH/kWh", "unit"],
    ["1 USD", "unit"],
    ["-1 ETH", "negative"],
  ])("rejects %o (%s)", (input, rule) => {
    expect(unitError(() => parseEth(input as string)).rule).toBe(rule);
  });
});

describe("parseTime", () => {
  const MAY_FIRST_NOON = 1_714_564_800n; // 2024-05-01T12:00:00Z

  it.each<[string | number | bigint | Date, bigint]>([
    ["2024-05-01T12:00:00Z", MAY_FIRST_NOON],
    ["2024-05-01T14:00:00+02:00", MAY_FIRST_NOON],
    ["2024-05-01T07:30:00-04:30", MAY_FIRST_NOON],
    ["2024-05-01T14:00:00+0200", MAY_FIRST_NOON],
    ["2024-05-01 12:00:00Z", MAY_FIRST_NOON],
    ["2024-05-01t12:00:00z", MAY_FIRST_NOON],
    ["2024-05-01T12:00Z", MAY_FIRST_NOON],
    ["2024-05-01T12:00:00.000Z", MAY_FIRST_NOON],
    [" 2024-05-01T12:00:00Z ", MAY_FIRST_NOON],
    ["2024-05-02T01:30:00+13:30", MAY_FIRST_NOON],
    ["2024-02-29T00:00:00Z", 1_709_164_800n],
    ["1970-01-01T00:00:00Z", 0n],
    ["1970-01-01T01:00:00+01:00", 0n],
    ["2106-02-07T06:28:15Z", 4_294_967_295n],
    ["1714564800", MAY_FIRST_NOON],
    [1_714_564_800, MAY_FIRST_NOON],
    [MAY_FIRST_NOON, MAY_FIRST_NOON],
    [new Date("2024-05-01T12:00:00Z"), MAY_FIRST_NOON],
    [0, 0n],
  ])("reads %o as %s", (input, expected) => {
    expect(parseTime(input)).toBe(expected);
  });

  it.each<[unknown, UnitRule]>([
    ["2024-05-01T12:00:00", "timezone"],
    ["2024-05-01T12:00", "timezone"],
    ["2024-05-01", "timezone"],
    ["2023-02-29T00:00:00Z", "date"],
    ["2024-02-30T00:00:00Z", "date"],
    ["2024-13-01T00:00:00Z", "date"],
    ["2024-00-10T00:00:00Z", "date"],
    ["2024-05-01T24:00:00Z", "date"],
    ["2024-05-01T12:60:00Z", "date"],
    ["2024-05-01T12:00:60Z", "date"],
    ["2024-05-01T12:00:00+24:00", "date"],
    ["2024-05-01T12:00:00+02:60", "date"],
    [new Date(Number.NaN), "date"],
    ["2024-05-01T12:00:00.5Z", "exact"],
    ["2024-05-01T12:00:00.001Z", "exact"],
    [new Date(1_714_564_800_500), "exact"],
    [1_714_564_800.5, "exact"],
    ["1969-12-31T23:59:59Z", "negative"],
    ["1970-01-01T00:30:00+01:00", "negative"],
    [new Date(-1000), "negative"],
    [-1, "negative"],
    [-1n, "negative"],
    ["-1", "negative"],
    ["yesterday", "format"],
    ["2024/05/01 12:00", "format"],
    ["1714564800.0", "format"],
    ["", "empty"],
    [Number.NaN, "not_finite"],
    [null, "type"],
    [{}, "type"],
  ])("rejects %o (%s)", (input, rule) => {
    expect(unitError(() => parseTime(input as string)).rule).toBe(rule);
  });
});

describe("formatEnergy", () => {
  it.each<[bigint, string]>([
    [0n, "0 Wh"],
    [1n, "1 Wh"],
    [500n, "500 Wh"],
    [999n, "999 Wh"],
    [1_000n, "1 kWh"],
    [1_001n, "1.001 kWh"],
    [12_500n, "12.5 kWh"],
    [12_345n, "12.345 kWh"],
    [1_234_500n, "1234.5 kWh"],
    [1_234_567n, "1234.567 kWh"],
    [1_200_000n, "1.2 MWh"],
    [1_000_001n, "1000.001 kWh"],
    [2_500_000_000n, "2.5 GWh"],
    [MAX_QUANTITY, "4294967.295 kWh"],
    [MAX_CAPACITY, "1099511627.775 kWh"],
    [2_000_000_000_000n, "2 TWh"],
    [10n ** 15n, "1000 TWh"],
  ])("formats %s Wh as %o", (wh, expected) => {
    expect(formatEnergy(wh)).toBe(expected);
  });

  it("round-trips through parseEnergy", () => {
    for (const wh of [0n, 1n, 7n, 999n, 1_000n, 12_500n, 1_234_567n, 1_200_000n, MAX_QUANTITY, MAX_CAPACITY, 10n ** 20n + 1n]) {
      expect(parseEnergy(formatEnergy(wh))).toBe(wh);
    }
  });
});

describe("formatRate", () => {
  it.each<[bigint, string]>([
    [0n, "0 ETH/kWh"],
    [1n, "0.000000000000001 ETH/kWh"],
    [200_000_000n, "0.0000002 ETH/kWh"],
    [200_000_000_000n, "0.0002 ETH/kWh"],
    [10n ** 15n, "1 ETH/kWh"],
    [1_500_000_000_000_000n, "1.5 ETH/kWh"],
    [MAX_RATE, "72.057594037927935 ETH/kWh"],
  ])("formats %s wei/Wh as %o", (rate, expected) => {
    expect(formatRate(rate)).toBe(expected);
  });

  it("round-trips through parseRate", () => {
    for (const rate of [1n, 7n, 200_000_000n, 123_456_789_012_345n, MAX_RATE]) {
      expect(parseRate(formatRate(rate))).toBe(rate);
    }
  });
});

describe("formatEth", () => {
  it.each<[bigint, string]>([
    [0n, "0 ETH"],
    [1n, "0.000000000000000001 ETH"],
    [1_500_000_000_000_000_000n, "1.5 ETH"],
    [10n ** 21n, "1000 ETH"],
    [-(10n ** 18n), "-1 ETH"],
    [MAX_QUANTITY * MAX_RATE, "309485009.749287470391885825 ETH"],
  ])("formats %s wei as %o", (wei, expected) => {
    expect(formatEth(wei)).toBe(expected);
  });

  it("round-trips through parseEth", () => {
    for (const wei of [0n, 1n, 10n ** 18n, 123_456_789_123_456_789_123n]) {
      expect(parseEth(formatEth(wei))).toBe(wei);
    }
  });
});
