/**
 * `gridledger export`, `history --anomalies` and `watch --storage-below` through the real binary against anvil.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXPORT_COLUMNS } from "../../src/auditExport.js";
import { billBytes, buildBill } from "../../src/bill.js";
import { openBillStore } from "../../src/billStore.js";
import { parseLedgerLog } from "../../src/events.js";
import { GridLedgerClient } from "../../src/ledgerClient.js";
import { startTestChain, type TestChain } from "../support/localChain.js";
import { parseCsv } from "../support/csv.js";

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, "../../bin/gridledger.js");
const RATE = 200_000_000_000n;
const LOCATION = 'Dock 7, "North" bay';

let t: TestChain;
let dir: string;
let ipfsDir: string;
let head: number;
let records: number;
let producerAddress: string;

async function gridledger(args: string[]) {
  const all = ["--rpc-url", t.chain.url, "--contract", t.address, "--ipfs-dir", ipfsDir, ...args];
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...all], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  t = await startTestChain();
  dir = await mkdtemp(path.join(tmpdir(), "gridledger-cli-export-"));
  ipfsDir = path.join(dir, "ipfs");
  const options = { address: t.address, confirmTimeoutMs: 1_000 };
  const producer = await GridLedgerClient.connect(await t.provider.getSigner(1), options);
  const meter = await GridLedgerClient.connect(await t.provider.getSigner(2), options);
  const purchaser = await GridLedgerClient.connect(await t.provider.getSigner(3), options);
  producerAddress = await producer.account();
  const meterAddress = await meter.account();
  await producer.authorizeMeter({ meter: meterAddress, ratedPower: 10_000n });
  const { id: offerId } = await producer.openOffer({ capacity: 100_000n, available: 80_000n, rate: RATE, location: LOCATION });
  // Storage readings: a steady meter (μ 11 kWh, σ 1 kWh), one unusual reading, then a usual one.
  for (const kwh of [10, 12, 10, 12, 10, 12, 10, 12, 14, 11]) await meter.recordStorage({ offerId, available: BigInt(kwh * 1000) });
  // A purchase, delivered, acknowledged and billed with its bill in the embedded IPFS store.
  const { id: purchaseId } = await purchaser.purchase({ offerId, quantity: 5_000n });
  const start = (await purchaser.purchaseOf(purchaseId)).purchasedAt;
  await t.provider.send("evm_increaseTime", [3_600]);
  await t.provider.send("evm_mine", []);
  await meter.recordTransfer({ purchaseId, meter: meterAddress, amount: 4_000n, start, end: start + 3_600n, device: "inverter, east" });
  await purchaser.acknowledgeTransfer({ purchaseId, index: 0 });
  const store = await openBillStore({ kind: "embedded", dataDir: ipfsDir });
  try {
    await producer.recordBill({ purchaseId, cid: await store.put(billBytes(await buildBill(producer, purchaseId))) });
  } finally {
    await store.close();
  }
  head = Number(await t.provider.send("eth_blockNumber", []));
  records = (await t.provider.getLogs({ address: t.address, fromBlock: 0, toBlock: head })).filter((l) => parseLedgerLog(l)).length;
}, 120_000);

afterAll(async () => {
  await t?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("gridledger export", () => {
  it("writes CSV to stdout in pages, with progress and a summary on stderr", async () => {
    const r = await gridledger(["export", "--from-block", "0", "--to-block", String(head), "--format", "csv", "--page-blocks", "3"]);
    expect(r.code, r.stderr).toBe(0);
    const rows = parseCsv(r.stdout);
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    expect(rows).toHaveLength(records + 1);
    const column = (name: string) => EXPORT_COLUMNS.indexOf(name as (typeof EXPORT_COLUMNS)[number]);
    expect(rows.find((row) => row[0] === "OfferOpened")![column("location")]).toBe(LOCATION);
    expect(r.stdout).toContain(`"Dock 7, ""North"" bay"`);
    expect(rows.find((row) => row[0] === "EnergyTransferred")![column("device")]).toBe("inverter, east");
    expect(rows.find((row) => row[0] === "BillRecorded")![column("bill_verification")]).toBe("ok");
    expect(r.stderr).toMatch(/^export: blocks 0\.\.\d+ of 0\.\.\d+ \(\d+%\), \d+ records$/m);
    expect(r.stderr.trim().split("\n").at(-1)).toBe(`exported ${records} records from blocks 0..${head}; bills: 1 ok, 0 failed, 0 unavailable`);
  });

  it("writes a JSON array to --out, whole, and prints a summary", async () => {
    const file = path.join(dir, "audit.json");
    const r = await gridledger(["export", "--format", "json", "--out", file, "--json", "--quiet"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(r.stdout)).toMatchObject({ fromBlock: 0, toBlock: head, records, bills: { ok: 1, failed: 0, unavailable: 0 } });
    const rows = JSON.parse(await readFile(file, "utf8")) as Record<string, string | null>[];
    expect(rows).toHaveLength(records);
    expect(rows.find((row) => row.kind === "OfferOpened")).toMatchObject({ location: LOCATION, producer: producerAddress, device: null });
    expect(existsSync(`${file}.partial`)).toBe(false);
  });

  it("rejects a bad range or format: usage errors exit 2, a block beyond the head exits 1", async () => {
    const [format, backwards, beyond] = await Promise.all([
      gridledger(["export", "--format", "xml"]),
      gridledger(["export", "--from-block", "5", "--to-block", "2"]),
      gridledger(["export", "--to-block", String(head + 1000)]),
    ]);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/--format <format>' argument 'xml' is invalid/);
    expect(backwards).toMatchObject({ code: 2, stdout: "" });
    expect(backwards.stderr.trim()).toBe("gridledger: --to-block: must be at least --from-block 5 (got 2)");
    expect(beyond).toMatchObject({ code: 1, stdout: "" });
    expect(beyond.stderr.trim()).toBe(`gridledger: --to-block: block ${head + 1000} is beyond the chain's latest block ${head}`);
  });
});

describe("gridledger history --anomalies and watch thresholds", () => {
  it("history --anomalies marks the reading unusual for its meter", async () => {
    const [r, text, human] = await Promise.all([
      gridledger(["history", "--kind", "StorageRecorded", "--limit", "2", "--anomalies", "--json"]),
      gridledger(["history", "--kind", "StorageRecorded", "--limit", "2", "--anomalies", "--anomaly-k", "3.5"]),
      gridledger(["history", "--kind", "StorageRecorded", "--limit", "2", "--anomalies"]),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { events } = JSON.parse(r.stdout);
    expect(events.map((e: { available: string }) => e.available)).toEqual(["11000", "14000"]);
    expect(events[0].anomaly).toBeUndefined();
    expect(events[1].anomaly).toMatchObject({ value: 14_000, mean: 11_000, std: 1_000, n: 8, k: 1.5, direction: "high" });
    expect(text).toMatchObject({ code: 0 });
    expect(text.stdout).toContain("14 kWh available");
    expect(text.stdout).not.toContain("unusual");
    expect(human.stdout).toMatch(/StorageRecorded offer 1: 14 kWh available .*⚠ unusual: 14000 Wh is above μ \+ 1\.5σ = 12500 Wh/);
  });

  it("watch --storage-below prints a threshold notice; bad levels and durations are usage errors", async () => {
    const child = spawn(process.execPath, [BIN, "--rpc-url", t.chain.url, "--contract", t.address, "watch", "--address", producerAddress, "--from-block", "0", "--storage-below", "20%", "--poll", "100", "--json"]);
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const deadline = Date.now() + 30_000;
    while (!out.includes('"BillRecorded"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGINT");
    await new Promise((r) => child.once("exit", r));
    const notices = out.trim().split("\n").map((l) => JSON.parse(l)).filter((l) => l.type === "threshold");
    expect(notices.map((n) => [n.notice.type, n.notice.available])).toEqual([["storage-below", "10000"]]);
    expect(notices[0]).toMatchObject({ id: expect.stringMatching(/^storage-below:0x/), notice: { level: "20%", levelWh: "20000", offerId: "1" } });

    const [level, duration, state] = await Promise.all([
      gridledger(["watch", "--address", producerAddress, "--storage-below", "120%"]),
      gridledger(["watch", "--address", producerAddress, "--delivery-within", "soon"]),
      gridledger(["watch", "--address", producerAddress, "--state", path.join(dir, "s.json")]),
    ]);
    expect(level.code).toBe(2);
    expect(level.stderr.trim()).toBe('gridledger: --storage-below: a percentage must be above 0% and at most 100% (got "120%")');
    expect(duration.code).toBe(2);
    expect(duration.stderr).toMatch(/^gridledger: --delivery-within: must be like "2h"/);
    expect(state).toMatchObject({ code: 2 });
    expect(state.stderr.trim()).toBe("gridledger: --state: only with --webhook");
  });
});
