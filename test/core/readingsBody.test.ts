/**
 * The aggregator's request body: one signed reading or an array; a bad element is named by its index and field.
 */
import { Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { MAX_READINGS_PER_REQUEST, parseReadingsBody } from "../../src/aggregatorService.js";
import { signedReadingToJson } from "../../src/batchFile.js";
import { READING_KIND, readingDomain, signReading } from "../../src/readings.js";
import { ValidationError } from "../../src/schemas.js";

const domain = readingDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const meter = new Wallet("0x" + "11".repeat(32));

describe("readings request body", () => {
  it("takes one reading or an array of them, and names the index and field of a bad element", async () => {
    const signed = await signReading(meter, domain, { kind: READING_KIND.energy, subject: 1n, value: 10n, start: 100n, end: 200n, seq: 1n });
    const json = signedReadingToJson(signed);
    expect(parseReadingsBody(json)).toEqual([signed]);
    expect(parseReadingsBody([json, json])).toEqual([signed, signed]);

    const refused = (body: unknown) => {
      try {
        parseReadingsBody(body);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).issues.map((i) => `${i.field} ${i.rule}`);
      }
      throw new Error("accepted");
    };
    expect(refused([json, { ...json, seq: "x" }, json, { ...json, kind: 3 }])).toEqual(["readings[1].seq integer", "readings[3].kind kind"]);
    expect(refused([json, { ...json, end: "50" }])).toEqual(["readings[1].end start_before_end"]);
    expect(refused({ ...json, signature: "0x12" })).toEqual(["signature signature"]);
    expect(refused([])).toEqual(["readings too_small"]);
    expect(refused(Array.from({ length: MAX_READINGS_PER_REQUEST + 1 }, () => json))).toEqual(["readings too_big"]);
  });
});
