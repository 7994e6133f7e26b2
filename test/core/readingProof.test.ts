/**
 * Proving batched readings (src/readingProof.ts) on a real chain and IPFS store: the demo's anchored batch
 * (src/stack/demo.ts) proves reading by reading; an altered value, a reading the batch does not hold and a batch
 * anchored after its meter was revoked each fail the check they break; a batch file that does not hash to the
 * anchored root is refused. The JSON form of a reading is parsed with errors naming the field and the rule.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Aggregator } from "../../src/aggregator.js";
import { parseBatchFile, parseSignedReading, parseSignedReadingText, signedReadingToJson } from "../../src/batchFile.js";
import { openBillStore, type BillStore } from "../../src/billStore.js";
import { GridLedgerClient } from "../../src/ledgerClient.js";
import { loadBatch, proveReading, type LoadedBatch } from "../../src/readingProof.js";
import { READING_KIND, readingDomain, signReading } from "../../src/readings.js";
import { ValidationError } from "../../src/schemas.js";
import { DEMO_ROLES, seedDemo } from "../../src/stack/demo.js";
import { startTestChain, type TestChain } from "../support/localChain.js";

let t: TestChain;
let dir: string;
let store: BillStore;
let reader: GridLedgerClient;
let demo: LoadedBatch;
let demoMeter: string;

beforeAll(async () => {
  t = await startTestChain();
  dir = await mkdtemp(path.join(tmpdir(), "gridledger-reading-proof-"));
  store = await openBillStore({ kind: "embedded", dataDir: path.join(dir, "ipfs") });
  const lines: string[] = [];
  await seedDemo(t.provider, t.address, store, (line) => lines.push(line), path.join(dir, "aggregator"));
  expect(lines.join("\n")).toMatch(/demo: batch 1 anchored 5 signed readings/);
  reader = await GridLedgerClient.connect(t.provider, { address: t.address });
  demo = await loadBatch(reader, store, 1n);
  demoMeter = await (await t.provider.getSigner(DEMO_ROLES.meters[0])).getAddress();
}, 180_000);

afterAll(async () => {
  await store?.close();
  await t?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("reading proofs", () => {
  it("proves every reading of the demo's batch: Merkle proof here and on chain, signature, authorisation at the anchor block", async () => {
    expect(demo.anchor.count).toBe(5n);
    expect(demo.readings.map((s) => [s.reading.kind, s.reading.seq])).toEqual([
      [READING_KIND.energy, 1n],
      [READING_KIND.energy, 2n],
      [READING_KIND.energy, 3n],
      [READING_KIND.energy, 4n],
      [READING_KIND.storage, 5n],
    ]);
    const producer = await (await t.provider.getSigner(DEMO_ROLES.producers[0])).getAddress();
    for (const [i, signed] of demo.readings.entries()) {
      const p = await proveReading(reader, demo, signed);
      expect(p).toMatchObject({ ok: true, position: i, offChain: true, onChain: true, root: demo.anchor.root });
      expect(p.signature).toEqual({ valid: true, recovered: demoMeter });
      expect(p.authorisation).toEqual({ block: demo.anchor.blockNumber, active: true, producer });
      // The leaf is the contract's own encoding of the reading.
      expect(p.leaf).toBe(await reader.contract.readingLeaf(signed.reading));
    }
  });

  it("fails an altered value on every check it breaks, and names whose signature it would be", async () => {
    const signed = demo.readings[1];
    const altered = { ...signed, reading: { ...signed.reading, value: signed.reading.value + 1n } };
    const p = await proveReading(reader, demo, altered);
    expect(p).toMatchObject({ ok: false, position: 1, offChain: false, onChain: false });
    expect(p.signature.valid).toBe(false);
    expect(p.signature.recovered).not.toBe(demoMeter);
    expect(p.signature.error).toMatch(/not the meter's for chain 31337/);
    expect(p.authorisation.active).toBe(true);
  });

  it("fails a reading the batch does not hold, even one the meter really signed", async () => {
    const meter = await t.provider.getSigner(DEMO_ROLES.meters[0]);
    const extra = await signReading(meter, readingDomain(31337, t.address), { ...demo.readings[0].reading, seq: 99n });
    const p = await proveReading(reader, demo, extra);
    expect(p).toMatchObject({ ok: false, position: undefined, proof: [], offChain: false, onChain: false });
    expect(p.signature.valid).toBe(true);
  });

  it("reports a meter revoked before its batch was anchored as not authorised at the anchor block", async () => {
    const meter = Wallet.createRandom();
    const producer = await GridLedgerClient.connect(await t.provider.getSigner(DEMO_ROLES.producers[0]), { address: t.address });
    await producer.authorizeMeter({ meter: meter.address, ratedPower: 10_000n });
    const aggregator = await Aggregator.open({ client: await GridLedgerClient.connect(await t.provider.getSigner(0), { address: t.address }), store, dataDir: path.join(dir, "aggregator") });
    const signed = await signReading(meter, aggregator.domain, { kind: READING_KIND.storage, subject: 1n, value: 1_000n, start: 1n, end: 2n, seq: 1n });
    await aggregator.submit(signed);
    await producer.revokeMeter({ meter: meter.address });
    const anchored = (await aggregator.flush())!;
    await aggregator.stop();
    const batch = await loadBatch(reader, store, anchored.batchId);
    const p = await proveReading(reader, batch, signed);
    expect(p).toMatchObject({ ok: false, offChain: true, onChain: true, signature: { valid: true } });
    expect(p.authorisation).toEqual({ block: anchored.blockNumber, active: false, producer: await producer.account() });
  });

  it("refuses a batch that is not anchored, and a batch file that does not hash to the anchored root", async () => {
    await expect(loadBatch(reader, store, 999n)).rejects.toThrow("batch 999 is not anchored on this chain");
    const file = parseBatchFile(await store.get(demo.anchor.cid));
    const tampered = { ...file, readings: file.readings.map((r, i) => (i === 0 ? { ...r, value: "501" } : r)) };
    const lying: BillStore = { ...store, get: async () => new TextEncoder().encode(JSON.stringify(tampered)) };
    await expect(loadBatch(reader, lying, 1n)).rejects.toThrow(`the batch file ${demo.anchor.cid} does not match the anchored root ${demo.anchor.root}`);
  });
});

describe("a reading's JSON form", () => {
  it("round-trips a signed reading, numbers or strings", async () => {
    const json = signedReadingToJson(demo.readings[0]);
    expect(parseSignedReadingText(JSON.stringify(json))).toEqual(demo.readings[0]);
    expect(parseSignedReading({ ...json, value: Number(json.value), seq: 1 })).toEqual(demo.readings[0]);
  });

  it("names each bad field and its rule", () => {
    const json = signedReadingToJson(demo.readings[0]);
    const issues = (input: unknown) => {
      try {
        parseSignedReading(input);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).issues.map((i) => `${i.field}:${i.rule}`);
      }
      return [];
    };
    expect(issues({ ...json, value: "1.5" })).toEqual(["value:integer"]);
    expect(issues({ ...json, kind: 3, seq: "0" })).toEqual(["kind:kind", "seq:min"]);
    expect(issues({ ...json, start: json.end })).toEqual(["end:start_before_end"]);
    expect(issues({ ...json, signature: "0x12", meter: "0x12" })).toEqual(["meter:address", "signature:signature"]);
    expect(issues({ ...json, extra: 1 })).toEqual(["extra:unknown_field"]);
    const { subject: _, ...noSubject } = json;
    expect(issues(noSubject)).toEqual(["subject:required"]);
    expect(() => parseSignedReadingText("{ not json")).toThrow(/^reading JSON: not valid JSON/);
  });
});
