import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  MAX_CAPACITY,
  MAX_DEVICE_NAME,
  MAX_ID,
  MAX_LOCATION_BYTES,
  MAX_QUANTITY,
  MAX_RATE,
  MAX_RATED_POWER,
  MAX_TIMESTAMP,
  MAX_TRANSFER_AMOUNT,
  MAX_TRANSFER_INDEX,
} from "../../src/limits.js";
import {
  acknowledgementInput,
  billInput,
  configSchema,
  DISPUTE_REASONS,
  disputeInput,
  fields,
  meterInput,
  openOfferInput,
  purchaseInput,
  REDACTED,
  storageInput,
  transferInput,
  utf8Length,
  validate,
  ValidationError,
  type ValidationIssue,
  withdrawInput,
} from "../../src/schemas.js";

// EIP-55 test vector: the checksummed form and its lowercase spelling.
const METER = "0x52908400098527886E0F7030069857D2E4169EE7";
const METER_LOWER = METER.toLowerCase();
const METER_UPPER = `0x${METER.slice(2).toUpperCase()}`;
const METER_BAD_CHECKSUM = "0x52908400098527886e0F7030069857D2E4169EE7"; // one letter's case flipped
const ZERO = `0x${"0".repeat(40)}`;
const PRIVATE_KEY = `0x${"4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"}`;
const NOW = 1_714_564_800n; // 2024-05-01T12:00:00Z

/** The ValidationError that `validate` throws, failing the test when it returns instead. */
function failure(schema: z.ZodType, input: unknown): ValidationError {
  try {
    validate(schema, input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error("expected a ValidationError, but the input was accepted");
}

/** The issues of an invalid input, as [field, rule] pairs. */
function rules(schema: z.ZodType, input: unknown): [string, string][] {
  return failure(schema, input).issues.map((issue) => [issue.field, issue.rule]);
}

/** The single issue of an invalid input. */
function onlyIssue(schema: z.ZodType, input: unknown): ValidationIssue {
  const { issues } = failure(schema, input);
  expect(issues).toHaveLength(1);
  return issues[0];
}

describe("openOfferInput", () => {
  const valid = { capacity: "10 kWh", available: "5 kWh", rate: "0.0002 ETH/kWh", location: "Berlin-Mitte" };

  it("converts human values to on-chain values", () => {
    expect(validate(openOfferInput, valid)).toEqual({
      capacity: 10_000n,
      available: 5_000n,
      rate: 200_000_000_000n,
      location: "Berlin-Mitte",
    });
    expect(validate(openOfferInput, { capacity: 10_000, available: 0n, rate: 1, location: "x" })).toEqual({
      capacity: 10_000n,
      available: 0n,
      rate: 1n,
      location: "x",
    });
  });

  it("bounds capacity to 1..MAX_CAPACITY Wh", () => {
    expect(MAX_CAPACITY).toBe(1_099_511_627_775n);
    const max = { ...valid, capacity: MAX_CAPACITY.toString(), available: "0" };
    expect(validate(openOfferInput, max).capacity).toBe(MAX_CAPACITY);
    expect(validate(openOfferInput, { ...max, capacity: "1099511627.775 kWh" }).capacity).toBe(MAX_CAPACITY);
    expect(rules(openOfferInput, { ...max, capacity: (MAX_CAPACITY + 1n).toString() })).toEqual([["capacity", "max"]]);
    expect(rules(openOfferInput, { ...max, capacity: MAX_CAPACITY + 1n })).toEqual([["capacity", "max"]]);
    expect(validate(openOfferInput, { ...valid, capacity: "1", available: "0" }).capacity).toBe(1n);
    expect(rules(openOfferInput, { ...valid, capacity: "0", available: "0" })).toEqual([["capacity", "min"]]);
  });

  it("names field, rule and value in the message (the example of the brief)", () => {
    const error = failure(openOfferInput, { ...valid, capacity: "2 TWh" });
    expect(error.message).toBe('capacity: must be at most 1099511627775 Wh (got "2 TWh")');
    expect(error.issues).toEqual([
      { field: "capacity", rule: "max", value: "2 TWh", message: "must be at most 1099511627775 Wh" },
    ]);
    expect(error.name).toBe("ValidationError");
    expect(error).toBeInstanceOf(Error);
  });

  it("requires available ≤ capacity", () => {
    expect(validate(openOfferInput, { ...valid, available: "10 kWh" }).available).toBe(10_000n);
    const issue = onlyIssue(openOfferInput, { ...valid, available: "10.001 kWh" });
    expect(issue).toMatchObject({ field: "available", rule: "available_le_capacity", value: "10.001 kWh" });
    expect(issue.message).toContain("10000 Wh");
    expect(issue.message).toContain("10001 Wh");
  });

  it("skips available ≤ capacity when capacity itself is invalid, but still reports other fields", () => {
    expect(rules(openOfferInput, { ...valid, capacity: "abc", available: "99 kWh", location: "" })).toEqual([
      ["capacity", "format"],
      ["location", "min_bytes"],
    ]);
  });

  it("reports the cross-field rule together with other fields' issues", () => {
    expect(rules(openOfferInput, { ...valid, available: "11 kWh", rate: "0", location: "" })).toEqual([
      ["rate", "min"],
      ["location", "min_bytes"],
      ["available", "available_le_capacity"],
    ]);
  });

  it("bounds available to 0..MAX_CAPACITY", () => {
    expect(rules(openOfferInput, { ...valid, available: "-1" })).toEqual([["available", "negative"]]);
    expect(rules(openOfferInput, { ...valid, capacity: "1", available: (MAX_CAPACITY + 1n).toString() })).toEqual([
      ["available", "max"],
    ]);
  });

  it("bounds rate to 1..MAX_RATE wei/Wh", () => {
    expect(validate(openOfferInput, { ...valid, rate: MAX_RATE.toString() }).rate).toBe(MAX_RATE);
    expect(validate(openOfferInput, { ...valid, rate: "72.057594037927935 ETH/kWh" }).rate).toBe(MAX_RATE);
    expect(rules(openOfferInput, { ...valid, rate: (MAX_RATE + 1n).toString() })).toEqual([["rate", "max"]]);
    expect(rules(openOfferInput, { ...valid, rate: "73 ETH/kWh" })).toEqual([["rate", "max"]]);
    expect(validate(openOfferInput, { ...valid, rate: "1 wei/Wh" }).rate).toBe(1n);
    expect(rules(openOfferInput, { ...valid, rate: "0 ETH/kWh" })).toEqual([["rate", "min"]]);
    expect(onlyIssue(openOfferInput, { ...valid, rate: "0" }).message).toBe("must be at least 1 wei/Wh");
  });

  it("rejects inexact rates and energies with the unit rule", () => {
    const rate = onlyIssue(openOfferInput, { ...valid, rate: "1 wei/kWh" });
    expect(rate).toMatchObject({ field: "rate", rule: "exact", value: "1 wei/kWh" });
    expect(rate.message).toContain("whole number of wei/Wh");
    const capacity = onlyIssue(openOfferInput, { ...valid, capacity: "0.0001 kWh", available: "0" });
    expect(capacity).toMatchObject({ field: "capacity", rule: "exact" });
    expect(capacity.message).toContain("0.1 Wh");
  });

  it("counts location in bytes of UTF-8, not characters", () => {
    expect(MAX_LOCATION_BYTES).toBe(31);
    expect(validate(openOfferInput, { ...valid, location: "a".repeat(31) }).location).toBe("a".repeat(31));
    expect(rules(openOfferInput, { ...valid, location: "a".repeat(32) })).toEqual([["location", "max_bytes"]]);
    // "é" is 2 bytes: 15 of them and one ASCII letter make 31 bytes in 16 characters.
    const thirtyOne = `${"é".repeat(15)}a`;
    expect(thirtyOne.length).toBe(16);
    expect(utf8Length(thirtyOne)).toBe(31);
    expect(validate(openOfferInput, { ...valid, location: thirtyOne }).location).toBe(thirtyOne);
    // 16 "é" are only 16 characters but 32 bytes.
    const issue = onlyIssue(openOfferInput, { ...valid, location: "é".repeat(16) });
    expect(issue).toMatchObject({ field: "location", rule: "max_bytes", value: "é".repeat(16) });
    expect(issue.message).toBe("must be at most 31 bytes of UTF-8 (it is 32 bytes)");
    // a 4-byte emoji: 7 of them make 28 bytes, 8 make 32.
    expect(validate(openOfferInput, { ...valid, location: "😀".repeat(7) }).location).toBe("😀".repeat(7));
    expect(rules(openOfferInput, { ...valid, location: "😀".repeat(8) })).toEqual([["location", "max_bytes"]]);
  });

  it("keeps the location exactly as given", () => {
    expect(validate(openOfferInput, { ...valid, location: " Grid 7 " }).location).toBe(" Grid 7 ");
  });

  it.each<[unknown, string]>([
    ["", "min_bytes"],
    [42, "type"],
    [null, "type"],
    ["\uD800abc", "utf8"],
    ["abc\uDC00", "utf8"],
    ["\uDC00\uD800", "utf8"],
    ["\uD800\uD800", "utf8"],
  ])("rejects location %o (%s)", (location, rule) => {
    expect(rules(openOfferInput, { ...valid, location })).toEqual([["location", rule]]);
  });

  it("requires every field and rejects unknown ones, reporting all at once", () => {
    const error = failure(openOfferInput, { rate: "1", extra: true });
    expect(error.issues.map((issue) => [issue.field, issue.rule])).toEqual([
      ["capacity", "required"],
      ["available", "required"],
      ["location", "required"],
      ["extra", "unknown_field"],
    ]);
    expect(error.message).toBe(
      [
        "capacity: is required (missing)",
        "available: is required (missing)",
        "location: is required (missing)",
        "extra: is not a known field (got true)",
      ].join("\n"),
    );
  });

  it("rejects an input that is not an object", () => {
    expect(onlyIssue(openOfferInput, "10 kWh")).toMatchObject({ field: "input", rule: "type", value: "10 kWh" });
    expect(rules(openOfferInput, null)).toEqual([["input", "type"]]);
    expect(rules(openOfferInput, undefined)).toEqual([["input", "type"]]);
  });

  it("names every failing field in one message, with rule and value", () => {
    const error = failure(openOfferInput, {
      capacity: "2 TWh",
      available: "1,000",
      rate: "1 wei/kWh",
      location: "é".repeat(16),
    });
    expect(error.issues.map((issue) => issue.field)).toEqual(["capacity", "available", "rate", "location"]);
    const lines = error.message.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('capacity: must be at most 1099511627775 Wh (got "2 TWh")');
    expect(lines[1]).toMatch(/^available: must not contain ",".*\(got "1,000"\)$/);
    expect(lines[2]).toBe('rate: must be a whole number of wei/Wh (it is 0.001 wei/Wh) (got "1 wei/kWh")');
    expect(lines[3]).toBe(`location: must be at most 31 bytes of UTF-8 (it is 32 bytes) (got "${"é".repeat(16)}")`);
  });

  it("works with zod directly: each issue carries its rule and value in params", () => {
    const result = openOfferInput.safeParse({ ...valid, capacity: "2 TWh" });
    expect(result.success).toBe(false);
    const [issue] = result.error?.issues ?? [];
    expect(issue).toMatchObject({
      code: "custom",
      path: ["capacity"],
      message: "must be at most 1099511627775 Wh",
      params: { rule: "max", value: "2 TWh" },
    });
  });
});

describe("storageInput", () => {
  it("converts the id and the energy", () => {
    expect(validate(storageInput, { offerId: "7", available: "1.5 kWh" })).toEqual({ offerId: 7n, available: 1_500n });
    expect(validate(storageInput, { offerId: 7, available: 0 })).toEqual({ offerId: 7n, available: 0n });
    expect(validate(storageInput, { offerId: 7n, available: " 0 kWh " })).toEqual({ offerId: 7n, available: 0n });
  });

  it("bounds offerId to 1..MAX_ID", () => {
    expect(validate(storageInput, { offerId: "1", available: 0 }).offerId).toBe(1n);
    expect(validate(storageInput, { offerId: MAX_ID.toString(), available: 0 }).offerId).toBe(MAX_ID);
    expect(rules(storageInput, { offerId: "0", available: 0 })).toEqual([["offerId", "min"]]);
    expect(rules(storageInput, { offerId: -3, available: 0 })).toEqual([["offerId", "min"]]);
    expect(rules(storageInput, { offerId: MAX_ID + 1n, available: 0 })).toEqual([["offerId", "max"]]);
    expect(onlyIssue(storageInput, { offerId: 0, available: 0 }).message).toBe("must be at least 1");
  });

  it.each<[unknown, string]>([
    ["1.5", "integer"],
    [1.5, "integer"],
    ["1e3", "integer"],
    ["0x10", "integer"],
    ["", "integer"],
    ["one", "integer"],
    [2 ** 53, "integer"],
    [true, "type"],
    [null, "type"],
  ])("rejects offerId %o (%s)", (offerId, rule) => {
    expect(rules(storageInput, { offerId, available: 0 })).toEqual([["offerId", rule]]);
  });

  it("bounds available to MAX_CAPACITY", () => {
    expect(validate(storageInput, { offerId: 1, available: MAX_CAPACITY }).available).toBe(MAX_CAPACITY);
    expect(rules(storageInput, { offerId: 1, available: MAX_CAPACITY + 1n })).toEqual([["available", "max"]]);
  });
});

describe("purchaseInput", () => {
  it("converts quantity and the optional maxCost", () => {
    expect(validate(purchaseInput, { offerId: "3", quantity: "2 kWh" })).toEqual({ offerId: 3n, quantity: 2_000n });
    expect(validate(purchaseInput, { offerId: 3, quantity: 1, maxCost: "0.5 ETH" })).toEqual({
      offerId: 3n,
      quantity: 1n,
      maxCost: 500_000_000_000_000_000n,
    });
    expect(validate(purchaseInput, { offerId: 3, quantity: 1, maxCost: "1" }).maxCost).toBe(1n);
    expect(validate(purchaseInput, { offerId: 3, quantity: 1, maxCost: 20_000_000_000n }).maxCost).toBe(20_000_000_000n);
    expect(validate(purchaseInput, { offerId: 3, quantity: 1, maxCost: undefined })).not.toHaveProperty(
      "maxCost",
      expect.anything(),
    );
  });

  it("bounds quantity to 1..MAX_QUANTITY Wh", () => {
    expect(MAX_QUANTITY).toBe(4_294_967_295n);
    expect(validate(purchaseInput, { offerId: 1, quantity: "4294967295" }).quantity).toBe(MAX_QUANTITY);
    expect(validate(purchaseInput, { offerId: 1, quantity: "4.294967295 GWh" }).quantity).toBe(MAX_QUANTITY);
    expect(rules(purchaseInput, { offerId: 1, quantity: "4294967296" })).toEqual([["quantity", "max"]]);
    expect(rules(purchaseInput, { offerId: 1, quantity: "4.3 GWh" })).toEqual([["quantity", "max"]]);
    expect(validate(purchaseInput, { offerId: 1, quantity: "1 Wh" }).quantity).toBe(1n);
    expect(rules(purchaseInput, { offerId: 1, quantity: "0 kWh" })).toEqual([["quantity", "min"]]);
    expect(onlyIssue(purchaseInput, { offerId: 1, quantity: "4294967296" }).message).toBe(
      "must be at most 4294967295 Wh",
    );
  });

  it.each<[unknown, string]>([
    ["0", "min"],
    ["0.5 wei", "exact"],
    ["-1 ETH", "negative"],
    ["1 ETH/kWh", "unit"],
    [null, "type"],
  ])("rejects maxCost %o (%s)", (maxCost, rule) => {
    expect(rules(purchaseInput, { offerId: 1, quantity: 1, maxCost })).toEqual([["maxCost", rule]]);
  });

  it("rejects a misspelt option instead of ignoring it", () => {
    expect(rules(purchaseInput, { offerId: 1, quantity: 1, maxcost: "1 ETH" })).toEqual([["maxcost", "unknown_field"]]);
  });
});

describe("transferInput", () => {
  const schema = transferInput(NOW);
  const valid = {
    purchaseId: "12",
    meter: METER,
    amount: "1.5 kWh",
    start: "2024-05-01T10:00:00Z",
    end: "2024-05-01T11:00:00Z",
    device: "meter-7",
  };

  it("converts every field", () => {
    expect(validate(schema, valid)).toEqual({
      purchaseId: 12n,
      meter: METER,
      amount: 1_500n,
      start: NOW - 7_200n,
      end: NOW - 3_600n,
      device: "meter-7",
    });
    expect(validate(schema, { ...valid, start: 1_714_557_600, end: new Date("2024-05-01T11:00:00Z") })).toMatchObject({
      start: NOW - 7_200n,
      end: NOW - 3_600n,
    });
  });

  it("accepts lowercase and all-uppercase addresses and returns them checksummed", () => {
    expect(validate(schema, { ...valid, meter: METER_LOWER }).meter).toBe(METER);
    expect(validate(schema, { ...valid, meter: METER_UPPER }).meter).toBe(METER);
    expect(validate(schema, { ...valid, meter: ` ${METER} ` }).meter).toBe(METER);
  });

  it.each<[unknown, string]>([
    [METER_BAD_CHECKSUM, "checksum"],
    [ZERO, "zero_address"],
    ["0x123", "address"],
    [METER.slice(2), "address"],
    [`${METER}00`, "address"],
    ["0X52908400098527886E0F7030069857D2E4169EE7", "address"],
    ["XE7338O073KYGTWWZN0F2WZ0R8PX5ZPPZS", "address"],
    [42, "type"],
  ])("rejects meter %o (%s)", (meter, rule) => {
    expect(rules(schema, { ...valid, meter })).toEqual([["meter", rule]]);
  });

  it("bounds amount to 1..2^32-1 Wh", () => {
    expect(MAX_TRANSFER_AMOUNT).toBe(4_294_967_295n);
    expect(validate(schema, { ...valid, amount: MAX_TRANSFER_AMOUNT }).amount).toBe(MAX_TRANSFER_AMOUNT);
    expect(rules(schema, { ...valid, amount: MAX_TRANSFER_AMOUNT + 1n })).toEqual([["amount", "max"]]);
    expect(validate(schema, { ...valid, amount: 1 }).amount).toBe(1n);
    expect(rules(schema, { ...valid, amount: 0 })).toEqual([["amount", "min"]]);
  });

  it("requires start < end", () => {
    expect(validate(schema, { ...valid, start: 100, end: 101 })).toMatchObject({ start: 100n, end: 101n });
    const equal = onlyIssue(schema, { ...valid, start: 100, end: 100 });
    expect(equal).toMatchObject({ field: "end", rule: "start_before_end", value: 100 });
    expect(rules(schema, { ...valid, start: 101, end: 100 })).toEqual([["end", "start_before_end"]]);
  });

  it("requires end ≤ now", () => {
    expect(validate(schema, { ...valid, end: NOW }).end).toBe(NOW);
    expect(validate(schema, { ...valid, end: "2024-05-01T12:00:00Z" }).end).toBe(NOW);
    const issue = onlyIssue(schema, { ...valid, end: "2024-05-01T12:00:01Z" });
    expect(issue).toMatchObject({ field: "end", rule: "end_not_future", value: "2024-05-01T12:00:01Z" });
    expect(issue.message).toContain(`now is ${NOW}`);
    // the same input is fine a second later: `now` is the factory's argument
    expect(validate(transferInput(NOW + 1n), { ...valid, end: "2024-05-01T12:00:01Z" }).end).toBe(NOW + 1n);
  });

  it("reports both window rules at once", () => {
    expect(rules(schema, { ...valid, start: NOW + 20n, end: NOW + 10n })).toEqual([
      ["end", "start_before_end"],
      ["end", "end_not_future"],
    ]);
  });

  it("checks end ≤ now even when start is invalid", () => {
    expect(rules(schema, { ...valid, start: "soon", end: NOW + 1n })).toEqual([
      ["start", "format"],
      ["end", "end_not_future"],
    ]);
  });

  it.each<[unknown, string]>([
    ["2024-05-01T10:00:00", "timezone"],
    ["2024-02-30T10:00:00Z", "date"],
    [-1, "negative"],
    [1.5, "exact"],
    [null, "type"],
  ])("rejects start %o (%s)", (start, rule) => {
    expect(rules(schema, { ...valid, start })).toEqual([["start", rule]]);
  });

  it("rejects times beyond uint32, such as milliseconds", () => {
    expect(MAX_TIMESTAMP).toBe(4_294_967_295n);
    const far = transferInput(MAX_TIMESTAMP + 10n);
    expect(validate(far, { ...valid, start: 0, end: MAX_TIMESTAMP }).end).toBe(MAX_TIMESTAMP);
    const issue = onlyIssue(far, { ...valid, start: 0, end: MAX_TIMESTAMP + 1n });
    expect(issue).toMatchObject({ field: "end", rule: "max" });
    expect(issue.message).toContain("milliseconds");
    expect(rules(schema, { ...valid, start: 1_714_557_600_000 })[0]).toEqual(["start", "max"]);
  });

  it("counts the device name in bytes: 1..64", () => {
    expect(MAX_DEVICE_NAME).toBe(64);
    expect(validate(schema, { ...valid, device: "d".repeat(64) }).device).toBe("d".repeat(64));
    expect(rules(schema, { ...valid, device: "d".repeat(65) })).toEqual([["device", "max_bytes"]]);
    expect(validate(schema, { ...valid, device: "é".repeat(32) }).device).toBe("é".repeat(32));
    expect(rules(schema, { ...valid, device: `${"é".repeat(32)}a` })).toEqual([["device", "max_bytes"]]);
    expect(rules(schema, { ...valid, device: "é".repeat(33) })).toEqual([["device", "max_bytes"]]);
    expect(rules(schema, { ...valid, device: "" })).toEqual([["device", "min_bytes"]]);
  });

  it("collects every issue", () => {
    expect(rules(schema, { purchaseId: 0, meter: ZERO, amount: "0.5 Wh", start: "x", end: "y", device: "" })).toEqual([
      ["purchaseId", "min"],
      ["meter", "zero_address"],
      ["amount", "exact"],
      ["start", "format"],
      ["end", "format"],
      ["device", "min_bytes"],
    ]);
  });
});

describe("acknowledgementInput", () => {
  it("accepts transfer indexes 0..MAX_TRANSFER_INDEX", () => {
    expect(MAX_TRANSFER_INDEX).toBe(65_534);
    expect(validate(acknowledgementInput, { purchaseId: 1, index: 0 })).toEqual({ purchaseId: 1n, index: 0n });
    expect(validate(acknowledgementInput, { purchaseId: "1", index: "65534" }).index).toBe(65_534n);
    expect(rules(acknowledgementInput, { purchaseId: 1, index: 65_535 })).toEqual([["index", "max"]]);
    expect(rules(acknowledgementInput, { purchaseId: 1, index: -1 })).toEqual([["index", "min"]]);
    expect(rules(acknowledgementInput, { purchaseId: 1, index: 0.5 })).toEqual([["index", "integer"]]);
  });

  it("requires a purchase id ≥ 1", () => {
    expect(rules(acknowledgementInput, { purchaseId: 0, index: 0 })).toEqual([["purchaseId", "min"]]);
    expect(rules(acknowledgementInput, { index: 0 })).toEqual([["purchaseId", "required"]]);
  });
});

describe("disputeInput", () => {
  it.each(Object.entries(DISPUTE_REASONS))("maps the named reason %s to %i", (name, code) => {
    expect(validate(disputeInput, { purchaseId: 1, index: 0, reason: name }).reason).toBe(code);
  });

  it("defines the named reasons", () => {
    expect(DISPUTE_REASONS).toEqual({ notReceived: 1, shortDelivery: 2, wrongWindow: 3, meterFault: 4, other: 255 });
  });

  it.each<[unknown, number]>([
    ["SHORTDELIVERY", 2],
    [" meterFault ", 4],
    [1, 1],
    ["1", 1],
    [7n, 7],
    [255, 255],
    ["255", 255],
  ])("accepts reason %o as code %i", (reason, code) => {
    expect(validate(disputeInput, { purchaseId: 1, index: 0, reason }).reason).toBe(code);
  });

  it.each<[unknown, string]>([
    [0, "min"],
    ["0", "min"],
    [256, "max"],
    ["256", "max"],
    [-1, "min"],
    [1.5, "integer"],
    ["bogus", "reason"],
    ["", "reason"],
    [null, "type"],
  ])("rejects reason %o (%s)", (reason, rule) => {
    expect(rules(disputeInput, { purchaseId: 1, index: 0, reason })).toEqual([["reason", rule]]);
  });

  it("lists the named reasons in the message", () => {
    expect(onlyIssue(disputeInput, { purchaseId: 1, index: 0, reason: "late" }).message).toContain(
      "notReceived, shortDelivery, wrongWindow, meterFault, other",
    );
  });
});

describe("billInput", () => {
  it("takes a purchase id", () => {
    expect(validate(billInput, { purchaseId: "9" })).toEqual({ purchaseId: 9n });
    expect(rules(billInput, { purchaseId: 0 })).toEqual([["purchaseId", "min"]]);
    expect(rules(billInput, {})).toEqual([["purchaseId", "required"]]);
    expect(rules(billInput, { purchaseId: 1, cid: "bafy" })).toEqual([["cid", "unknown_field"]]);
  });
});

describe("fields.cidCodec", () => {
  it.each<[unknown, number]>([
    [0x55, 0x55],
    [0x70, 0x70],
    ["0x55", 0x55],
    ["0x70", 0x70],
    ["85", 0x55],
    ["raw", 0x55],
    ["dag-pb", 0x70],
    [0x70n, 0x70],
  ])("accepts %o", (value, code) => {
    expect(fields.cidCodec.parse(value)).toBe(code);
  });

  it.each([0x71, "0x71", 0, "dag-cbor", null])("rejects %o", (value) => {
    const result = fields.cidCodec.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ params: { rule: "codec" } });
  });
});

describe("meterInput", () => {
  it("converts the meter and its rated power", () => {
    expect(validate(meterInput, { meter: METER_LOWER, ratedPower: "5 kW" })).toEqual({ meter: METER, ratedPower: 5_000n });
    expect(validate(meterInput, { meter: METER, ratedPower: 250 }).ratedPower).toBe(250n);
  });

  it("bounds rated power to 1..MAX_RATED_POWER W", () => {
    expect(MAX_RATED_POWER).toBe(4_294_967_295n);
    expect(validate(meterInput, { meter: METER, ratedPower: "4294967295" }).ratedPower).toBe(MAX_RATED_POWER);
    expect(validate(meterInput, { meter: METER, ratedPower: "4.294967295 GW" }).ratedPower).toBe(MAX_RATED_POWER);
    expect(rules(meterInput, { meter: METER, ratedPower: "4294967296" })).toEqual([["ratedPower", "max"]]);
    expect(rules(meterInput, { meter: METER, ratedPower: "0 kW" })).toEqual([["ratedPower", "min"]]);
    expect(rules(meterInput, { meter: METER, ratedPower: "0.5 W" })).toEqual([["ratedPower", "exact"]]);
    expect(rules(meterInput, { meter: METER, ratedPower: "5 kWh" })).toEqual([["ratedPower", "unit"]]);
    expect(onlyIssue(meterInput, { meter: METER, ratedPower: "4294967296" }).message).toBe(
      "must be at most 4294967295 W",
    );
  });

  it("rejects the zero address, as authorizeMeter does", () => {
    expect(rules(meterInput, { meter: ZERO, ratedPower: 1 })).toEqual([["meter", "zero_address"]]);
  });
});

describe("withdrawInput", () => {
  it("takes nothing", () => {
    expect(validate(withdrawInput, {})).toEqual({});
    expect(rules(withdrawInput, { amount: 1 })).toEqual([["amount", "unknown_field"]]);
    expect(rules(withdrawInput, undefined)).toEqual([["input", "type"]]);
  });
});

describe("configSchema", () => {
  const minimal = { rpcUrl: "http://127.0.0.1:8545", ipfs: { kind: "embedded", dataDir: "./data/ipfs" } };

  it("accepts a minimal and a full configuration", () => {
    expect(validate(configSchema, minimal)).toEqual(minimal);
    const full = {
      rpcUrl: "wss://rpc.example.org/ws",
      chainId: "31337",
      privateKey: PRIVATE_KEY,
      ipfs: { kind: "kubo", url: "http://127.0.0.1:5001" },
      contractAddress: METER_LOWER,
    };
    expect(validate(configSchema, full)).toEqual({ ...full, chainId: 31_337, contractAddress: METER });
    const keystore = { ...minimal, keystore: { path: "./keys/producer.json", password: "hunter2" } };
    expect(validate(configSchema, keystore)).toEqual(keystore);
  });

  it.each(["http://localhost:8545", "https://rpc.example.org", "ws://localhost:8546", "wss://rpc.example.org"])(
    "accepts rpcUrl %s",
    (rpcUrl) => {
      expect(validate(configSchema, { ...minimal, rpcUrl }).rpcUrl).toBe(rpcUrl);
    },
  );

  it.each<[unknown, string]>([
    ["ftp://example.org", "url_protocol"],
    ["file:///etc/passwd", "url_protocol"],
    ["localhost:8545", "url_protocol"],
    ["not a url", "url"],
    ["", "url"],
    [8545, "type"],
    [undefined, "required"],
  ])("rejects rpcUrl %o (%s)", (rpcUrl, rule) => {
    expect(rules(configSchema, { ...minimal, rpcUrl })).toEqual([["rpcUrl", rule]]);
  });

  it.each<[unknown, string]>([
    [0, "min"],
    [-1, "min"],
    [1.5, "integer"],
    ["0x7a69", "integer"],
    [2 ** 53, "integer"],
  ])("rejects chainId %o (%s)", (chainId, rule) => {
    expect(rules(configSchema, { ...minimal, chainId })).toEqual([["chainId", rule]]);
  });

  it("accepts chainId as a number, a bigint or a decimal string", () => {
    expect(validate(configSchema, { ...minimal, chainId: 1 }).chainId).toBe(1);
    expect(validate(configSchema, { ...minimal, chainId: 11_155_111n }).chainId).toBe(11_155_111);
  });

  it.each([
    ["too short", `0x${"ab".repeat(31)}`],
    ["too long", `0x${"ab".repeat(33)}`],
    ["without 0x", PRIVATE_KEY.slice(2)],
    ["not hex", `0x${"zz".repeat(32)}`],
    ["zero", `0x${"00".repeat(32)}`],
    ["≥ the group order", "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"],
  ])("rejects a private key %s and never shows it", (_what, privateKey) => {
    const error = failure(configSchema, { ...minimal, privateKey });
    expect(error.issues).toEqual([
      { field: "privateKey", rule: "private_key", value: REDACTED, message: expect.any(String) as string },
    ]);
    expect(error.message).toMatch(/^privateKey: .* \(got "\[redacted\]"\)$/);
    const secretHex = privateKey.replace(/^0x/, "");
    expect(error.message).not.toContain(secretHex);
    expect(JSON.stringify(error.issues)).not.toContain(secretHex);
    expect(error.stack ?? "").not.toContain(secretHex);
  });

  it("redacts the private key in zod's own issues too", () => {
    const bad = `0x${"ab".repeat(31)}`;
    const result = configSchema.safeParse({ ...minimal, privateKey: bad }, { reportInput: true });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).not.toContain("abab");
  });

  it("accepts a valid private key unchanged", () => {
    expect(validate(configSchema, { ...minimal, privateKey: PRIVATE_KEY }).privateKey).toBe(PRIVATE_KEY);
  });

  it("takes one signer only, and redacts the keystore password", () => {
    const error = failure(configSchema, {
      ...minimal,
      privateKey: PRIVATE_KEY,
      keystore: { path: "k.json", password: "hunter2" },
    });
    expect(error.issues.map((issue) => [issue.field, issue.rule])).toEqual([["keystore", "one_signer"]]);
    expect(error.issues[0].value).toEqual({ path: "k.json", password: REDACTED });
    expect(error.message).not.toContain("hunter2");
    expect(error.message).not.toContain(PRIVATE_KEY.slice(2));
  });

  it("reports the signer conflict even when the private key is malformed", () => {
    expect(rules(configSchema, { ...minimal, privateKey: "0x12", keystore: { path: "k.json" } })).toEqual([
      ["privateKey", "private_key"],
      ["keystore", "one_signer"],
    ]);
  });

  it("validates the keystore", () => {
    const error = failure(configSchema, { ...minimal, keystore: { path: "", password: 1234, extra: 1 } });
    expect(error.issues.map((issue) => [issue.field, issue.rule, issue.value])).toEqual([
      ["keystore.path", "min_length", ""],
      ["keystore.password", "type", REDACTED],
      ["keystore.extra", "unknown_field", 1],
    ]);
    expect(error.message).not.toContain("1234");
    expect(rules(configSchema, { ...minimal, keystore: "k.json" })).toEqual([["keystore", "type"]]);
  });

  it("validates the IPFS choice", () => {
    expect(rules(configSchema, { ...minimal, ipfs: { kind: "pinata" } })).toEqual([["ipfs.kind", "enum"]]);
    expect(onlyIssue(configSchema, { ...minimal, ipfs: { kind: "pinata" } }).message).toBe(
      'must be "embedded" or "kubo"',
    );
    expect(rules(configSchema, { ...minimal, ipfs: {} })).toEqual([["ipfs.kind", "enum"]]);
    expect(rules(configSchema, { ...minimal, ipfs: { kind: "kubo" } })).toEqual([["ipfs.url", "required"]]);
    expect(rules(configSchema, { ...minimal, ipfs: { kind: "kubo", url: "ws://127.0.0.1:5001" } })).toEqual([
      ["ipfs.url", "url_protocol"],
    ]);
    expect(rules(configSchema, { ...minimal, ipfs: { kind: "embedded", dataDir: " " } })).toEqual([
      ["ipfs.dataDir", "min_length"],
    ]);
    expect(rules(configSchema, { ...minimal, ipfs: { kind: "embedded", dataDir: "d", url: "http://x" } })).toEqual([
      ["ipfs.url", "unknown_field"],
    ]);
    expect(rules(configSchema, { rpcUrl: minimal.rpcUrl })).toEqual([["ipfs", "required"]]);
    expect(rules(configSchema, { ...minimal, ipfs: "embedded" })).toEqual([["ipfs", "type"]]);
  });

  it("validates the contract address", () => {
    expect(rules(configSchema, { ...minimal, contractAddress: ZERO })).toEqual([["contractAddress", "zero_address"]]);
    expect(rules(configSchema, { ...minimal, contractAddress: METER_BAD_CHECKSUM })).toEqual([
      ["contractAddress", "checksum"],
    ]);
  });

  it("redacts secret-looking unknown keys and key-like values", () => {
    const error = failure(configSchema, {
      ...minimal,
      apiToken: "tok_123",
      mnemonic: "test test test",
      pk: PRIVATE_KEY,
    });
    expect(error.issues.map((issue) => [issue.field, issue.rule, issue.value])).toEqual([
      ["apiToken", "unknown_field", REDACTED],
      ["mnemonic", "unknown_field", REDACTED],
      ["pk", "unknown_field", REDACTED],
    ]);
    for (const secret of ["tok_123", "test test test", PRIVATE_KEY.slice(2)]) expect(error.message).not.toContain(secret);
  });

  it("never shows a private key given where an object was expected", () => {
    const error = failure(configSchema, [PRIVATE_KEY]);
    expect(error.issues).toMatchObject([{ field: "input", rule: "type", value: [REDACTED] }]);
    expect(error.message).not.toContain(PRIVATE_KEY.slice(2));
  });
});

describe("ValidationError", () => {
  it("shows values by type and truncates long ones", () => {
    const long = "x".repeat(300);
    const error = failure(storageInput, { offerId: 1n << 64n, available: long, extra: { nested: 2n } });
    const [offerId, available, extra] = error.message.split("\n");
    expect(offerId).toBe("offerId: must be at most 1099511627775 (got 18446744073709551616)");
    expect(available).toMatch(/^available: .* \(got "x+\.\.\.\)$/);
    expect(available.length).toBeLessThan(300);
    expect(extra).toBe('extra: is not a known field (got {"nested":"2"})');
  });

  it("keeps the issues list and the parsed value types apart", () => {
    const error = new ValidationError([{ field: "a", rule: "r", value: 1, message: "is wrong" }]);
    expect(error.message).toBe("a: is wrong (got 1)");
    expect(error.issues).toHaveLength(1);
  });
});
