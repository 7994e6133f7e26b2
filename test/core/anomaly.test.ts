import { describe, expect, it } from "vitest";
import { anomaliesOf, AnomalyDetector, checkReading, flagAnomalies, meanAndStd, readingOf } from "../../src/anomaly.js";
import { eventKey, type LedgerEvent } from "../../src/events.js";
import { ledgerFixture, RATE } from "./ledgerFixture.js";

const A = "0x00000000000000000000000000000000000000aA";
const B = "0x00000000000000000000000000000000000000bB";
const PRODUCER = "0x0000000000000000000000000000000000000001";
let block = 1;
const base = () => ({ blockNumber: block++, blockHash: `0x${"ab".repeat(32)}`, transactionHash: `0x${block.toString(16).padStart(64, "0")}`, logIndex: 0 });
const storage = (available: number, recorder = A, offerId = 1n): LedgerEvent => ({ ...base(), kind: "StorageRecorded", offerId, producer: PRODUCER, recorder, available: BigInt(available) });
const transfer = (amount: number, seconds: number, meter = A): LedgerEvent => ({
  ...base(),
  kind: "EnergyTransferred",
  purchaseId: 1n,
  producer: PRODUCER,
  purchaser: B,
  index: 0,
  meter,
  amount: BigInt(amount),
  start: 1_000n,
  end: 1_000n + BigInt(seconds),
  cost: 1n,
  device: "inverter",
});
// μ = 11, σ = 1 (population): μ ± 1.5σ = [9.5, 12.5]; μ ± 2σ = [9, 13].
const HISTORY = [10, 12, 10, 12, 10, 12, 10, 12];

describe("anomaly flag: μ ± kσ", () => {
  it("computes μ and σ, and judges values against μ ± kσ with known numbers", () => {
    expect(meanAndStd(HISTORY)).toEqual({ mean: 11, std: 1 });
    expect(checkReading(12.4, HISTORY)).toMatchObject({ anomalous: false, judged: true, mean: 11, std: 1, k: 1.5, low: 9.5, high: 12.5, n: 8 });
    expect(checkReading(12.6, HISTORY)).toMatchObject({ anomalous: true, z: expect.closeTo(1.6, 9) });
    expect(checkReading(9.4, HISTORY).anomalous).toBe(true);
    expect(checkReading(9.6, HISTORY).anomalous).toBe(false);
  });

  it("k is configurable: what 1.5σ flags, 2σ lets through", () => {
    expect(checkReading(12.6, HISTORY, { k: 2 })).toMatchObject({ anomalous: false, low: 9, high: 13 });
    expect(checkReading(13.1, HISTORY, { k: 2 }).anomalous).toBe(true);
    expect(checkReading(12.2, HISTORY, { k: 1 }).anomalous).toBe(true);
    expect(() => checkReading(1, HISTORY, { k: 0 })).toThrow(/k: must be a finite number above 0/);
  });

  it("flags nothing before the minimum history, however far off", () => {
    const seven = HISTORY.slice(0, 7);
    expect(checkReading(1_000, seven)).toMatchObject({ anomalous: false, judged: false, n: 7 });
    expect(checkReading(1_000, seven, { minHistory: 7 }).anomalous).toBe(true);
    expect(checkReading(1_000, HISTORY).anomalous).toBe(true);
  });

  it("uses only the latest `window` readings as history", () => {
    const history = [1000, 1000, 1000, ...HISTORY];
    expect(checkReading(12.6, history, { window: 8 }).anomalous).toBe(true);
    expect(checkReading(12.6, history).anomalous).toBe(false); // the old 1000s widen σ
  });

  it("a constant history flags any other value, and not the same value", () => {
    const flat = Array(8).fill(5);
    expect(checkReading(5, flat).anomalous).toBe(false);
    expect(checkReading(5.5, flat)).toMatchObject({ anomalous: true, z: Infinity });
  });

  it("storage readings form one series per offer and recorder", () => {
    const events = [...HISTORY.map((v) => storage(v * 1000)), storage(100_000, B), storage(12_600), storage(13_000, A, 2n)];
    const flags = flagAnomalies(events);
    expect([...flags.values()].map((f) => [f.series, f.value, f.direction])).toEqual([[`storage:1:${A.toLowerCase()}`, 12_600, "high"]]);
    const flag = flags.get(eventKey(events[9]))!;
    expect(flag).toMatchObject({ unit: "Wh", mean: 11_000, std: 1_000, n: 8, low: 9_500, high: 12_500 });
  });

  it("transfers are normalised per hour, one series per meter", () => {
    expect(readingOf(transfer(500, 1800))).toEqual({ series: `transfer:${A.toLowerCase()}`, value: 1000, unit: "W" });
    // 1 kW for 1 h or 0.5 kWh in 30 min: the same rate, not unusual; 2 kWh in 1 h is.
    const steady = [transfer(1000, 3600), transfer(500, 1800), transfer(250, 900), transfer(1000, 3600), transfer(2000, 7200), transfer(500, 1800), transfer(1000, 3600), transfer(1000, 3600)];
    const detector = new AnomalyDetector();
    expect(steady.map((e) => detector.observe(e))).toEqual(Array(8).fill(undefined));
    expect(detector.observe(transfer(100, 360))).toBeUndefined(); // 1000 W again
    expect(detector.observe(transfer(2000, 3600, B))).toBeUndefined(); // another meter: no history
    expect(detector.observe(transfer(2000, 3600))).toMatchObject({ value: 2000, direction: "high", z: Infinity });
  });

  it("marks the unusual reading of a history page, reading the meter's earlier readings from the chain", async () => {
    const f = await ledgerFixture();
    await f.producer.authorizeMeter({ meter: f.accounts.meter.address, ratedPower: 10_000n });
    const { id: offerId } = await f.producer.openOffer({ capacity: 100_000n, available: 80_000n, rate: RATE, location: "North substation" });
    for (const v of HISTORY) await f.meter.recordStorage({ offerId, available: BigInt(v * 1000) });
    await f.meter.recordStorage({ offerId, available: 14_000n });
    await f.producer.recordStorage({ offerId, available: 50_000n }); // another recorder: its own (short) series
    await f.meter.recordStorage({ offerId, available: 11_000n });
    const page = await f.reader.history({ kinds: ["StorageRecorded"] }, { size: 3 });
    expect(page.events.map((e) => (e.kind === "StorageRecorded" ? e.available : 0n))).toEqual([11_000n, 50_000n, 14_000n]);
    const flags = await anomaliesOf(f.reader, page.events);
    expect([...flags.keys()]).toEqual([eventKey(page.events[2])]);
    expect(flags.get(eventKey(page.events[2]))).toMatchObject({ value: 14_000, mean: 11_000, std: 1_000, n: 8 });
    // With k = 3.5 the same reading is within μ ± kσ.
    expect((await anomaliesOf(f.reader, page.events, { k: 3.5 })).size).toBe(0);
  });
});
