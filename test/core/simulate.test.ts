/**
 * The simulator in its local mode: a short, seeded run on a private anvil with an embedded bill store. Every
 * action is accounted for, the chain's recordCounts() moved by exactly what was mined, every bill verifies,
 * and the same seed always gives the same plan.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseSimConfig, readSimConfig, SimUsageError } from "../../src/sim/config.js";
import { COUNTED_KINDS, generatePlan } from "../../src/sim/plan.js";
import { formatSummary } from "../../src/sim/report.js";
import { planConfigOf, simulate } from "../../src/sim/simulate.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempOut(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "gridledger-sim-test-"));
  dirs.push(dir);
  return path.join(dir, "simulate.json");
}

const small = (out: string, seed = "test-seed") =>
  parseSimConfig({ producers: 2, meters: 3, purchasers: 3, duration: 15, seed, local: true, quiet: true, drain: 30, out });

describe("simulator plan", () => {
  it("is the same for the same seed and sizes, and differs for another seed", async () => {
    const config = small(await tempOut());
    const a = generatePlan(planConfigOf(config));
    const b = generatePlan(planConfigOf(config));
    expect(b.actions).toEqual(a.actions);
    expect(b.fingerprint).toBe(a.fingerprint);
    const sequence = (plan: typeof a) => plan.actions.map((x) => `${x.kind}:${x.actor.role}${x.actor.index}`);
    expect(sequence(b)).toEqual(sequence(a));

    const other = generatePlan(planConfigOf(small(config.out, "another-seed")));
    expect(other.fingerprint).not.toBe(a.fingerprint);

    // Every kind of grid action is planned, and dependants come after what they depend on.
    const kinds = new Set(a.actions.map((x) => x.kind));
    for (const kind of ["openOffer", "authorizeMeter", "recordStorage", "purchase", "recordTransfer", "acknowledgeTransfer", "recordBill", "withdraw"]) {
      expect(kinds.has(kind as never), kind).toBe(true);
    }
    for (const x of a.actions) {
      if (x.timing.phase === "run" && "after" in x.timing) for (const dep of x.timing.after) expect(dep).toBeLessThan(x.id);
    }
  });

  it("rejects bad flags with the flag, the rule and the value", () => {
    expect(() => readSimConfig(["--producers", "0"])).toThrow(/--producers must be between 1 and 500 \(got "0"\)/);
    expect(() => readSimConfig(["--producers", "4", "--meters", "2"])).toThrow(/--meters must be at least --producers/);
    expect(() => readSimConfig(["--duration", "soon"])).toThrow(/--duration/);
    expect(() => readSimConfig(["--rpc-url", "localhost:8545"])).toThrow(/--rpc-url must/);
    expect(() => readSimConfig(["--budget", "lots"])).toThrow(/--budget/);
    expect(() => readSimConfig(["--block-time", "2"])).toThrow(/add --local/);
    expect(() => readSimConfig(["--clock", "sometimes"])).toThrow(/--clock must be "warp" or "wait"/);
    expect(() => readSimConfig(["--frobnicate"])).toThrow(SimUsageError);
    expect(() => readSimConfig(["--batch-size", "100"])).toThrow(/--batch-size sets the aggregator of --batched readings: add --batched/);
    expect(() => readSimConfig(["--max-age", "5"])).toThrow(/--max-age sets the aggregator of --batched readings: add --batched/);
    expect(() => readSimConfig(["--batched", "--batch-size", "0"])).toThrow(/--batch-size must be between 1 and 100000 \(got "0"\)/);
    expect(() => readSimConfig(["--batched", "--max-age", "never"])).toThrow(/--max-age/);
    expect(readSimConfig(["--batched"])).toMatchObject({ batched: true, batchSize: 1_000, maxAge: 30 });
    expect(readSimConfig(["--batched", "--batch-size", "250", "--max-age", "2.5"])).toMatchObject({ batched: true, batchSize: 250, maxAge: 2.5 });
    expect(readSimConfig(["--help"])).toBe("help");
    const defaults = readSimConfig([]);
    expect(defaults).toMatchObject({
      producers: 10,
      meters: 30,
      purchasers: 50,
      duration: 120,
      seed: "42",
      rpcUrl: "http://127.0.0.1:8545",
      ipfsUrl: "http://127.0.0.1:5001",
      clock: "warp",
      local: false,
      out: "bench/results/simulate.json",
      batched: false,
    });
  });
});

describe("simulator, local mode", () => {
  it("accounts for every action, matches recordCounts() and verifies every bill", { timeout: 90_000 }, async () => {
    const config = small(await tempOut());
    const started = Date.now();
    const { report, result, plan, out } = await simulate(config, { progress: false });
    const tookS = (Date.now() - started) / 1000;

    // The plan run is the plan generated from the seed.
    expect(report.plan.fingerprint).toBe(generatePlan(planConfigOf(config)).fingerprint);
    expect(plan.fingerprint).toBe(report.plan.fingerprint);

    // sent = mined + failed; planned = sent + skipped; per kind and in total.
    const e = report.events;
    expect(e.sent).toBe(e.mined + e.failed);
    expect(e.planned).toBe(e.sent + e.skipped);
    for (const k of Object.values(e.byKind)) {
      expect(k.sent).toBe(k.mined + k.failed);
      expect(k.planned).toBe(k.sent + k.skipped);
    }
    expect(report.failures.length).toBe(e.failed);

    // The chain's counts moved by exactly what the simulator saw mined, kind by kind.
    for (const [kind, field] of Object.entries(COUNTED_KINDS)) {
      const delta = result.countsAfter[field] - result.countsBefore[field];
      expect(delta, field).toBe(BigInt(report.events.byKind[kind as keyof typeof report.events.byKind].mined));
    }
    // A real cycle happened: purchases delivered, acknowledged and billed.
    expect(e.byKind.purchase.mined).toBeGreaterThan(0);
    expect(e.byKind.recordTransfer.mined).toBeGreaterThan(0);
    expect(e.byKind.acknowledgeTransfer.mined).toBeGreaterThan(0);
    expect(e.byKind.recordBill.mined).toBeGreaterThan(0);

    // Every recorded bill fetched by its on-chain CID and matched the chain.
    expect(result.bills.checks.length).toBe(e.byKind.recordBill.mined);
    expect(result.bills.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.check).toMatchObject({ accounted: true, countsMatch: true, billsVerified: true });
    expect(report.ok).toBe(true);

    // The JSON file has the documented fields.
    const json = JSON.parse(await readFile(out, "utf8"));
    expect(json).toMatchObject({
      tool: "gridledger-simulate",
      config: { mode: "local", producers: 2, meters: 3, purchasers: 3, durationS: 15, seed: "test-seed" },
      events: { sent: e.sent, mined: e.mined, failed: e.failed },
      ok: true,
    });
    expect(json.plan.fingerprint).toBe(plan.fingerprint);
    expect(Array.isArray(json.failures)).toBe(true);
    expect(typeof json.failureReasons).toBe("object");
    expect(json.eventsPerSecond).toBeGreaterThan(0);
    for (const p of ["p50", "p95", "p99"]) expect(typeof json.latencyMs.submitToMined[p]).toBe("number");
    for (const kind of ["recordStorage", "purchase", "recordTransfer", "acknowledgeTransfer", "recordBill"]) {
      expect(json.gas[kind].median, kind).toBeGreaterThan(20_000);
    }
    expect(BigInt(json.ethSpent.feesWei)).toBeGreaterThan(0n);
    expect(json.check.countsBefore).toBeTypeOf("object");
    expect(json.check.countsAfter).toBeTypeOf("object");
    expect(tookS).toBeLessThan(60);
  });
});

describe("simulator, batched readings", () => {
  it("anchors every reading accepted, and the chain's BatchAnchored counts match sent − failed", { timeout: 120_000 }, async () => {
    const out = await tempOut();
    const config = parseSimConfig({ producers: 2, meters: 3, purchasers: 2, duration: 10, readingEvery: 0.5, seed: "batched-seed", local: true, quiet: true, drain: 30, out, batched: true, batchSize: 12, maxAge: 60 });
    const { report, result } = await simulate(config, { progress: false });
    const k = report.events.byKind.recordStorage;
    const readings = report.readings!;

    // Every reading accounted for: the chain's BatchAnchored events count the readings sent less those refused.
    expect(k.planned).toBeGreaterThan(36);
    expect(k.sent).toBe(k.planned - k.skipped);
    expect(readings.signed).toBe(k.sent);
    expect(readings.batched).toBe(k.sent - k.failed);
    expect(readings.anchored).toBe(k.mined);
    expect(readings.onChain.readings).toBe(k.sent - k.failed);
    expect(readings.onChain.readings).toBe(readings.anchored);
    // Full batches as they filled (max age 60 s never struck), the rest when the readings ended.
    expect(readings.onChain.batches).toBe(Math.ceil(readings.anchored / 12));
    expect(readings.batches).toBe(readings.onChain.batches);
    // No reading went on chain as a transaction of its own.
    expect(result.countsAfter.storageReadings - result.countsBefore.storageReadings).toBe(0n);
    expect(report.check).toMatchObject({ accounted: true, countsMatch: true, billsVerified: true });
    expect(report.ok).toBe(true);

    // A batch's gas shared by its readings: a twelfth of one anchoring, give or take the partial last batch.
    expect(readings.gasPerReading).toBeGreaterThan(50_000 / 12);
    expect(readings.gasPerReading).toBeLessThan(80_000 / 12 * 2);
    expect(readings.readingsPerSecond).toBeGreaterThan(0);
    expect(readings.signatureBackend).toBe("libsecp256k1 (native)");

    const json = JSON.parse(await readFile(out, "utf8"));
    expect(json.config).toMatchObject({ mode: "local", batched: true });
    expect(json.readings).toMatchObject({ batchSize: 12, maxAgeS: 60, signed: readings.signed, anchored: readings.anchored, onChain: readings.onChain });
    const summary = formatSummary(report);
    expect(summary).toMatch(/^reading \(batched\) /m);
    expect(summary).toContain(`readings      ${readings.signed} signed, ${readings.batched} batched, ${readings.anchored} anchored in ${readings.batches} batches of up to 12`);
    expect(summary).toMatch(/ok {3}readings: \d+ anchored on chain \(\d+ BatchAnchored events\) = sent \d+ − failed \d+/);
  });
});
