/**
 * The webhook watcher as the user runs it: `gridledger watch --webhook` in a child process, against a real anvil
 * node, posting to an HTTP server on 127.0.0.1. Killed with SIGKILL mid-stream and restarted: every alert is
 * acknowledged exactly once, in chain order (counted by Idempotency-Key).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertsInRange } from "../../src/alerts.js";
import { eventKey } from "../../src/events.js";
import { GridLedgerClient } from "../../src/ledgerClient.js";
import { parseStorageLevel } from "../../src/thresholds.js";
import { backoffDelay, fileStateStore, runWebhookWatcher, type WebhookState } from "../../src/webhookWatcher.js";
import { ledgerFixture } from "./ledgerFixture.js";
import { startTestChain, type TestChain } from "../support/localChain.js";

const BIN = path.resolve(import.meta.dirname, "../../bin/gridledger.js");
const RATE = 200_000_000_000n;

let t: TestChain;
let dir: string;
let purchaser: GridLedgerClient;
let reader: GridLedgerClient;
let offerId: bigint;
const children: ChildProcess[] = [];

interface Received {
  key: string;
  body: { id: string; type: string; roles: string[]; event: { kind: string; purchaser: string; purchaseId: string } };
  at: number;
  answered: boolean;
}
type Decision = "ok" | "hold" | number;

/** A webhook receiver: records every request; `decide` answers 200, holds (never answers) or answers a status. */
async function receiver(decide: (r: Received, all: Received[]) => Decision) {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const r: Received = { key: String(req.headers["idempotency-key"]), body: JSON.parse(body), at: Date.now(), answered: false };
      received.push(r);
      const decision = state.decide(r, received);
      if (decision === "hold") return void held.push(res);
      const status = decision === "ok" ? 200 : decision;
      r.answered = status >= 200 && status < 300;
      res.writeHead(status, { "content-type": "application/json" }).end("{}");
    });
  });
  const state = { decide };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    answered: () => received.filter((r) => r.answered).map((r) => r.key),
    setDecide(d: typeof decide) {
      state.decide = d;
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** `gridledger watch --webhook` for the purchaser, as a child process. */
function watcher(url: string, stateFile: string, extra: string[] = []) {
  const args = [
    BIN, "--rpc-url", t.chain.url, "--contract", t.address,
    "watch", "--address", purchaserAddress(), "--webhook", url, "--state", stateFile, "--from-block", "0", "--poll", "100", "--retry-min-delay", "50", "--json",
    ...extra,
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

let purchaserAddr = "";
const purchaserAddress = () => purchaserAddr;

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function readState(file: string): Promise<WebhookState | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as WebhookState;
  } catch {
    return undefined;
  }
}

const buy = async () => (await purchaser.purchase({ offerId, quantity: 100n })).id;

/** The purchaser's alerts on the chain now, by key, in order. */
async function expectedKeys(): Promise<string[]> {
  const head = Number(await t.provider.send("eth_blockNumber", []));
  return (await alertsInRange(reader, purchaserAddr, 0, head)).map((a) => eventKey(a.event));
}

beforeAll(async () => {
  t = await startTestChain();
  dir = await mkdtemp(path.join(tmpdir(), "gridledger-webhook-"));
  // A short receipt wait: ethers' waitForTransaction can miss an automined receipt until the next block, and
  // TxSender then finds it by its nonce (otherwise the first write waits the full 60 s default).
  const options = { address: t.address, confirmTimeoutMs: 1_000 };
  const producer = await GridLedgerClient.connect(await t.provider.getSigner(1), options);
  purchaser = await GridLedgerClient.connect(await t.provider.getSigner(3), options);
  reader = await GridLedgerClient.connect(t.provider, { address: t.address });
  purchaserAddr = await purchaser.account();
  ({ id: offerId } = await producer.openOffer({ capacity: 1_000_000n, available: 1_000_000n, rate: RATE, location: "Webhook test" }));
  for (let i = 0; i < 4; i++) await buy();
}, 120_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await t?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("webhook watcher", () => {
  it("gridledger watch --webhook (a child process) killed with SIGKILL mid-stream and restarted twice: every alert acknowledged exactly once, in order", async () => {
    const stateFile = path.join(dir, "state.json");
    // Run 1: the third POST is never answered — the process dies with it in flight.
    const server = await receiver((_, all) => (all.length === 3 ? "hold" : "ok"));
    try {
      const first = watcher(server.url, stateFile);
      await waitFor("the third POST", () => server.received.length === 3);
      const [k1, k2] = (await expectedKeys()).slice(0, 2);
      // The position after the second delivery is on disk before the third POST goes out.
      const saved = (await readState(stateFile))!;
      const alerts = await alertsInRange(reader, purchaserAddr, 0, Number(await t.provider.send("eth_blockNumber", [])));
      expect(saved).toMatchObject({ cursor: { block: alerts[1].event.blockNumber, logIndex: alerts[1].event.logIndex }, outbox: [], delivered: 2 });
      first.child.kill("SIGKILL");
      expect(await first.exited).toBe(null);
      expect(server.received.map((r) => [r.key, r.answered])).toEqual([
        [k1, true],
        [k2, true],
        [(await expectedKeys())[2], false],
      ]);

      // Down: two more purchases.
      await buy();
      await buy();

      // Run 2: answer up to the fifth alert, then hold; kill once the fifth is recorded as delivered.
      server.setDecide(() => (server.answered().length < 5 ? "ok" : "hold"));
      const second = watcher(server.url, stateFile);
      await waitFor("five alerts acknowledged", () => server.answered().length === 5);
      await buy(); // live, while it runs (held behind the sixth)
      await waitFor("the fifth delivery saved", async () => (await readState(stateFile))?.delivered === 5);
      second.child.kill("SIGKILL");
      await second.exited;

      // Down again: one more purchase.
      await buy();

      // Run 3: answer everything; one more purchase while it runs.
      server.setDecide(() => "ok");
      const third = watcher(server.url, stateFile);
      await waitFor("eight alerts acknowledged", () => server.answered().length >= 8);
      await buy();
      const expected = await expectedKeys();
      expect(expected).toHaveLength(9);
      await waitFor("every alert acknowledged", () => server.answered().length >= expected.length);
      await new Promise((r) => setTimeout(r, 500)); // nothing more may come
      third.child.kill("SIGINT");
      expect(await third.exited).toBe(0);

      // Exactly once, in chain order, counted by Idempotency-Key.
      expect(server.answered()).toEqual(expected);
      // Sent again only what was in flight (unanswered) when the process died.
      const unanswered = server.received.filter((r) => !r.answered).map((r) => r.key);
      expect(unanswered[0]).toBe(expected[2]);
      expect(unanswered.every((k) => k === expected[2] || k === expected[5])).toBe(true);
      for (const r of server.received) {
        expect(r.body).toMatchObject({ id: r.key, type: "alert", roles: ["purchaser"], event: { kind: "EnergyPurchased", purchaser: purchaserAddr } });
      }
      const final = (await readState(stateFile))!;
      expect(final).toMatchObject({ delivered: 9, outbox: [], address: purchaserAddr, url: server.url });
      expect(final.cursor.block).toBeGreaterThanOrEqual(Number(await t.provider.send("eth_blockNumber", [])));
      expect(third.stderr()).toMatch(/resuming behind block/);
    } finally {
      await server.close();
    }
  }, 120_000);

  it("gridledger watch --webhook (a child process) retries a failing server with exponential backoff, then at the capped pace; never skips; delivers once", async () => {
    expect([1, 2, 3, 4, 10].map((a) => backoffDelay(a, { minDelayMs: 100, maxDelayMs: 400 }))).toEqual([100, 200, 400, 400, 400]);
    const stateFile = path.join(dir, "failing.json");
    const server = await receiver((_, all) => (all.length <= 5 ? 503 : "ok"));
    try {
      const run = watcher(server.url, stateFile, ["--retry-attempts", "3", "--retry-min-delay", "100", "--retry-max-delay", "400"]);
      await waitFor("three alerts acknowledged", () => server.answered().length >= 3);
      run.child.kill("SIGINT");
      expect(await run.exited).toBe(0);
      const expected = await expectedKeys();
      // The first alert, six times (five failures), before anything behind it.
      expect(server.received.slice(0, 8).map((r) => r.key)).toEqual([...Array(6).fill(expected[0]), expected[1], expected[2]]);
      expect(server.answered().slice(0, 3)).toEqual(expected.slice(0, 3));
      const gaps = server.received.slice(0, 6).map((r, i, all) => (i === 0 ? 0 : r.at - all[i - 1].at)).slice(1);
      // 100, 200 ms (doubling), then stalled after 3 tries: the cap, 400 ms, each time.
      expect(gaps[0]).toBeGreaterThanOrEqual(95);
      expect(gaps[1]).toBeGreaterThanOrEqual(195);
      for (const gap of gaps.slice(2)) expect(gap).toBeGreaterThanOrEqual(395);
      for (const gap of gaps) expect(gap).toBeLessThan(2_000);
      expect(run.stderr()).toMatch(/not delivered \(try 3: HTTP 503\); stalled, retrying in 0\.4 s/);
      expect((await readState(stateFile))!.delivered).toBeGreaterThanOrEqual(3);
    } finally {
      await server.close();
    }
  }, 60_000);

  it("in process: a crash between an alert and the notice it triggers resends only the notice, first", async () => {
    const f = await ledgerFixture();
    const producer = f.accounts.producer.address;
    const { id: offerId } = await f.producer.openOffer({ capacity: 100_000n, available: 80_000n, rate: RATE, location: "Outbox test" });
    await f.producer.recordStorage({ offerId, available: 15_000n }); // below 20%
    await f.producer.recordStorage({ offerId, available: 50_000n }); // back above
    const stateFile = path.join(dir, "outbox.json");
    const options = { client: f.reader, address: producer, url: "http://127.0.0.1:9/hook", state: fileStateStore(stateFile), thresholds: { storageBelow: parseStorageLevel("20%") }, pollMs: 20 };
    const keyOf = (init?: RequestInit) => (init!.headers as Record<string, string>)["idempotency-key"];
    const delivered: string[] = [];

    // Run 1 dies while POSTing the first notice (after its alert was delivered).
    const crash = new AbortController();
    await runWebhookWatcher({
      ...options,
      from: { block: 0, logIndex: -1 },
      signal: crash.signal,
      fetch: async (_url, init) => {
        if (keyOf(init).startsWith("storage-below:")) {
          crash.abort();
          throw Object.assign(new Error("killed"), { name: "AbortError" });
        }
        delivered.push(keyOf(init));
        return new Response("{}", { status: 200 });
      },
    });
    const saved = (await readState(stateFile))!;
    expect(saved.outbox.map((o) => o.key)).toEqual([expect.stringMatching(/^storage-below:/)]);
    expect(saved.thresholds!.offers[offerId.toString()]).toEqual({ capacity: "100000", available: "15000" });

    // Run 2 sends the notice first, then the rest, once.
    const done = new AbortController();
    await runWebhookWatcher({
      ...options,
      signal: done.signal,
      fetch: async (_url, init) => {
        delivered.push(keyOf(init));
        if (keyOf(init).startsWith("storage-restored:")) setTimeout(() => done.abort(), 50);
        return new Response("{}", { status: 200 });
      },
    });
    const head = Number(await f.ethers.provider.send("eth_blockNumber", []));
    const [opened, low, high] = (await alertsInRange(f.reader, producer, 0, head)).map((a) => eventKey(a.event));
    expect(delivered).toEqual([opened, low, `storage-below:${low}`, high, `storage-restored:${high}`]);
    expect((await readState(stateFile))!).toMatchObject({ outbox: [], delivered: 5 });
  });
});
