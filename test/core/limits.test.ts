import { describe, expect, it } from "vitest";
import * as limits from "../../src/limits.js";
import { ledgerFixture } from "./ledgerFixture.js";

describe("src/limits.ts mirrors the compiled contract", () => {
  it("has the contract's bounds", async () => {
    const f = await ledgerFixture();
    const c = f.producer.contract;
    expect(await c.MAX_CAPACITY()).toBe(limits.MAX_CAPACITY);
    expect(await c.MAX_QUANTITY()).toBe(limits.MAX_QUANTITY);
    expect(await c.MAX_RATE()).toBe(limits.MAX_RATE);
    expect(await c.MAX_RATED_POWER()).toBe(limits.MAX_RATED_POWER);
    expect(await c.MAX_DEVICE_NAME()).toBe(BigInt(limits.MAX_DEVICE_NAME));
    expect(await c.MAX_TRANSFERS()).toBe(BigInt(limits.MAX_TRANSFERS));
    expect(Number(await c.CODEC_RAW())).toBe(limits.CODEC_RAW);
    expect(Number(await c.CODEC_DAG_PB())).toBe(limits.CODEC_DAG_PB);
  });
});
