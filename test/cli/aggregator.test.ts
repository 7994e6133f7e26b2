/**
 * The reading aggregator as a real process: readings signed by meters, posted over HTTP, the process killed
 * (SIGKILL) between accepting and anchoring, restarted: every reading anchored exactly once, and provable.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchFileReadings, parseBatchFile } from "../../src/batchFile.js";
import { openBillStore } from "../../src/billStore.js";
import { GridLedgerClient } from "../../src/ledgerClient.js";
import { batchTree, leafValues, READING_KIND, readingDomain, signReading, type SignedReading } from "../../src/readings.js";
import { freePort } from "../../src/stack/ports.js";
import { startTestChain, type TestChain } from "../support/localChain.js";

const BIN = path.resolve(import.meta.dirname, "../../bin/gridledger.js");
const run = promisify(execFile);
let t: TestChain;
let ipfsDir: string;
let aggDir: string;
let producer: GridLedgerClient;
let reader: GridLedgerClient;
const meterA = Wallet.createRandom();
const meterB = Wallet.createRandom();
let purchasedAt: bigint;

const common = () => ["--rpc-url", t.chain.url, "--contract", t.address, "--ipfs-dir", ipfsDir];

function startAggregator(port: number, maxAge: number): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...common(), "--dev-account", "0", "aggregate", "--data-dir", aggDir, "--listen", String(port), "--batch-size", "1000", "--max-age", String(maxAge)]);
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const post = (url: string, body: unknown) =>
  fetch(`${url}/readings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body, (_, v) => (typeof v === "bigint" ? v.toString() : v)) });
const wire = (s: SignedReading) => ({ ...s.reading, signature: s.signature });

beforeAll(async () => {
  t = await startTestChain();
  ipfsDir = await mkdtemp(path.join(tmpdir(), "gridledger-agg-ipfs-"));
  aggDir = await mkdtemp(path.join(tmpdir(), "gridledger-agg-"));
  producer = await GridLedgerClient.connect(await t.provider.getSigner(1), { address: t.address });
  reader = await GridLedgerClient.connect(t.provider, { address: t.address });
  const purchaser = await GridLedgerClient.connect(await t.provider.getSigner(3), { address: t.address });
  await producer.authorizeMeter({ meter: meterA.address, ratedPower: 10_000n });
  await producer.authorizeMeter({ meter: meterB.address, ratedPower: 10_000n });
  await producer.openOffer({ capacity: 100_000n, available: 80_000n, rate: 200_000_000_000n, location: "Batch grid" });
  await purchaser.purchase({ offerId: 1n, quantity: 20_000n });
  purchasedAt = (await reader.purchaseOf(1n)).purchasedAt;
  await t.provider.send("evm_increaseTime", [4 * 3600]);
  await t.provider.send("evm_mine", []);
}, 120_000);
afterAll(async () => {
  await t?.stop();
  await rm(ipfsDir, { recursive: true, force: true });
  await rm(aggDir, { recursive: true, force: true });
});

describe("reading aggregator", () => {
  it("anchors every accepted reading exactly once across a SIGKILL between accepting and anchoring, and proves them", async () => {
    const domain = readingDomain(31337, t.address);
    const readings: SignedReading[] = [];
    for (let i = 1n; i <= 15n; i++) {
      readings.push(await signReading(meterA, domain, { kind: READING_KIND.energy, subject: 1n, value: 1_000n, start: purchasedAt + i * 600n, end: purchasedAt + (i + 1n) * 600n, seq: i }));
    }
    for (let i = 1n; i <= 10n; i++) {
      readings.push(await signReading(meterB, domain, { kind: READING_KIND.storage, subject: 1n, value: 80_000n - i * 100n, start: purchasedAt + i, end: purchasedAt + i + 1n, seq: i }));
    }
    const port = await freePort();
    const first = startAggregator(port, 600);
    await until("the aggregator to listen", () => first.stderr().includes("listening"));
    const url = `http://127.0.0.1:${port}`;
    expect((await post(url, readings.slice(0, 10).map(wire))).status).toBe(202);
    for (const r of readings.slice(10)) expect((await post(url, wire(r))).status).toBe(202);

    // Refused, and nothing persisted for them: a replay, a gap, another chain, a tampered value.
    const replay = await post(url, wire(readings[0]));
    expect(replay.status).toBe(422);
    expect((await replay.json()).error).toMatch(/duplicate or replay/);
    const gap = await signReading(meterA, domain, { ...readings[0].reading, seq: 17n });
    expect((await (await post(url, wire(gap))).json()).error).toMatch(/leaves a gap: 16 is missing/);
    const otherChain = await signReading(meterA, readingDomain(11155111, t.address), { ...readings[0].reading, seq: 16n });
    expect((await (await post(url, wire(otherChain))).json()).error).toMatch(/not the meter's for chain 31337/);
    expect((await (await post(url, { ...wire(readings[1]), value: "1001" })).json()).error).toMatch(/signature/);
    // A malformed element refuses the whole request, naming its index and field: not even the good reading
    // before it is taken.
    const next = await signReading(meterA, domain, { ...readings[0].reading, seq: 16n });
    const malformed = await post(url, [wire(next), { ...wire(next), seq: "sixteen" }]);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ accepted: 0, error: expect.stringMatching(/^readings\[1\]\.seq: must be a whole number/) });
    expect((await (await fetch(`${url}/status?meter=${meterA.address}`)).json()).next).toBe("16");

    first.child.kill("SIGKILL");
    await first.exited;
    expect(await reader.contract.batchCount()).toBe(0n);

    const second = startAggregator(port, 1);
    await until("the batch to be anchored", async () => ((await reader.contract.batchCount()) === 1n ? true : undefined));
    await until("the pending readings to be settled", () => (/anchored 25 readings/.test(second.stderr()) ? true : undefined));
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);

    // A third run finds nothing left to anchor.
    const third = startAggregator(port, 1);
    await until("the aggregator to listen", () => third.stderr().includes("listening"));
    expect(third.stderr()).toContain("(0 readings pending)");
    await new Promise((r) => setTimeout(r, 2_500));
    third.child.kill("SIGTERM");
    await third.exited;
    expect(await reader.contract.batchCount()).toBe(1n);

    const batch = (await reader.batchOf(1n))!;
    expect(batch.count).toBe(25n);
    expect(batch.ranges).toEqual([
      { meter: meterA.address, firstSeq: 1n, lastSeq: 15n },
      { meter: meterB.address, firstSeq: 1n, lastSeq: 10n },
    ]);
    const store = await openBillStore({ kind: "embedded", dataDir: ipfsDir });
    const file = parseBatchFile(await store.get(batch.cid));
    await store.close();
    const anchored = batchFileReadings(file);
    expect(anchored.map((s) => `${s.reading.meter}:${s.reading.seq}`)).toEqual(readings.map((s) => `${s.reading.meter}:${s.reading.seq}`));
    expect(anchored.map((s) => s.signature)).toEqual(readings.map((s) => s.signature));

    // prove-reading: the first, a middle and the last reading; an altered digit fails.
    for (const [meter, seq] of [[meterA.address, 1], [meterA.address, 8], [meterB.address, 10]] as const) {
      const { stdout } = await run(process.execPath, [BIN, ...common(), "prove-reading", "--batch", "1", "--meter", meter, "--seq", String(seq), "--json"]);
      const proof = JSON.parse(stdout);
      expect(proof).toMatchObject({ ok: true, offChain: true, onChain: true, signature: "valid", authorised: { active: true } });
    }
    const altered = await run(process.execPath, [BIN, ...common(), "prove-reading", "--batch", "1", "--meter", meterA.address, "--seq", "8", "--value", "1001", "--json"]).catch((e) => e);
    expect(altered.code).toBe(1);
    expect(JSON.parse(altered.stdout)).toMatchObject({ ok: false, offChain: false, onChain: false });
    expect(JSON.parse(altered.stdout).signature).toMatch(/^invalid/);

    // Settlement from readings: meter A's first five readings become one transfer of 5 kWh.
    const tree = batchTree(anchored.map((s) => s.reading));
    const { leaves, proof, proofFlags } = tree.getMultiProof([0, 1, 2, 3, 4]);
    const chosen = leaves.map((leaf) => anchored.find((s) => s.reading.meter === leaf[0] && s.reading.seq === leaf[6])!.reading);
    expect(chosen.map((r) => leafValues(r))).toEqual(leaves);
    const meterClient = await GridLedgerClient.connect(meterA.connect(t.provider), { address: t.address });
    await t.provider.send("anvil_setBalance", [meterA.address, "0xDE0B6B3A7640000"]);
    const { id } = await meterClient.recordTransferFromReadings({ purchaseId: 1n, batchId: 1n, readings: chosen, proof, proofFlags, device: "inverter-A" });
    expect(id).toBe(0);
    expect((await reader.purchaseOf(1n)).delivered).toBe(5_000n);
  }, 240_000);
});
