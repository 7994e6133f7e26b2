/**
 * The real `npm start` stack as a child process on free ports: a full cycle over HTTP JSON-RPC and the IPFS
 * HTTP service, SIGTERM, a restart on the same data directory, and everything still there.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { billBytes, buildBill } from "../../src/bill.js";
import { openBillStore } from "../../src/billStore.js";
import { GridLedgerClient } from "../../src/ledgerClient.js";
import { freePort } from "../../src/stack/ports.js";
import { deploymentId, journalDir } from "../../src/stack/localDeploy.js";
import { verifyBill } from "../../src/verifyBill.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const RATE = 200_000_000_000n;

interface Stack {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Every stack a test started, stopped in afterAll even when a test failed half-way. */
const started: Stack[] = [];

function startStack(args: string[]): Stack {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stack = { child, output: () => output, exited };
  started.push(stack);
  return stack;
}

async function waitFor(stack: Stack, text: string | RegExp, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const out = stack.output();
    if (typeof text === "string" ? out.includes(text) : text.test(out)) return;
    if (stack.child.exitCode !== null) throw new Error(`stack exited (${stack.child.exitCode}):\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${text}:\n${stack.output()}`);
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

let dataDir: string;
let ports: { rpc: number; ipfs: number; web: number };
let args: string[];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "gridledger-stack-"));
  ports = { rpc: await freePort(), ipfs: await freePort(), web: await freePort() };
  args = ["--data-dir", dataDir, "--rpc-port", String(ports.rpc), "--ipfs-port", String(ports.ipfs), "--web-port", String(ports.web)];
});
afterAll(async () => {
  for (const stack of started) {
    if (stack.child.exitCode === null && stack.child.signalCode === null) stack.child.kill("SIGTERM");
    await stack.exited;
  }
  await rm(dataDir, { recursive: true, force: true });
  await rm(journalDir(deploymentId(dataDir, 31337)), { recursive: true, force: true });
});

describe("npm start", () => {
  it("runs a full cycle, stops on SIGTERM with code 0, and finds everything after a restart", async () => {
    const first = startStack(args);
    await waitFor(first, "is running");
    expect(first.output()).toContain(`Open http://127.0.0.1:${ports.web}`);
    const contract = /GridLedger at (0x[0-9a-fA-F]{40})/.exec(first.output())![1];

    const provider = new JsonRpcProvider(`http://127.0.0.1:${ports.rpc}`, 31337, { staticNetwork: true, pollingInterval: 100 });
    const client = async (i: number) => GridLedgerClient.connect(await provider.getSigner(i), { address: contract });
    const [producer, meter, purchaser] = [await client(1), await client(2), await client(3)];
    const store = await openBillStore({ kind: "kubo", url: `http://127.0.0.1:${ports.ipfs}` });

    await producer.authorizeMeter({ meter: await meter.account(), ratedPower: 10_000n });
    const { id: offerId } = await producer.openOffer({ capacity: 100_000n, available: 80_000n, rate: RATE, location: "Stack test" });
    const { id: purchaseId } = await purchaser.purchase({ offerId, quantity: 5_000n });
    const { purchasedAt } = await producer.purchaseOf(purchaseId);
    await provider.send("evm_increaseTime", [7200]);
    await provider.send("evm_mine", []);
    await meter.recordTransfer({ purchaseId, meter: await meter.account(), amount: 4_000n, start: purchasedAt, end: purchasedAt + 3600n, device: "inverter-1" });
    await purchaser.acknowledgeTransfer({ purchaseId, index: 0 });
    const bytes = billBytes(await buildBill(producer, purchaseId));
    const cid = await store.put(bytes);
    await producer.recordBill({ purchaseId, cid });
    expect(await verifyBill(producer, store, purchaseId)).toMatchObject({ ok: true, cid });
    const counts = await producer.counts();
    const balance = await producer.balanceOf(await producer.account());
    expect(balance).toBe(4_000n * RATE);
    const config = await fetch(`http://127.0.0.1:${ports.web}/config.json`).then((r) => r.json());
    expect(config).toMatchObject({ chainId: 31337, contract, rpcUrl: "/rpc", ipfsUrl: "/api/v0" });
    expect((await fetch(`http://127.0.0.1:${ports.web}/`)).status).toBe(200);
    provider.destroy();
    await store.close();

    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain("stopped");
    for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);

    const second = startStack(args);
    await waitFor(second, "is running");
    expect(second.output()).not.toContain("deploying GridLedger");
    expect(second.output()).toContain(`GridLedger at ${contract}`);
    const again = new JsonRpcProvider(`http://127.0.0.1:${ports.rpc}`, 31337, { staticNetwork: true, pollingInterval: 100 });
    const reader = await GridLedgerClient.connect(again, { address: contract });
    const store2 = await openBillStore({ kind: "kubo", url: `http://127.0.0.1:${ports.ipfs}` });
    expect(await reader.counts()).toEqual(counts);
    expect(await reader.balanceOf(await producer.account())).toBe(balance);
    expect((await reader.billOf(purchaseId))!.cid).toBe(cid);
    expect(await store2.get(cid)).toEqual(bytes);
    expect(await verifyBill(reader, store2, purchaseId)).toMatchObject({ ok: true, cid });
    const gateway = await fetch(`http://127.0.0.1:${ports.web}/ipfs/${cid}`);
    expect(new Uint8Array(await gateway.arrayBuffer())).toEqual(bytes);
    again.destroy();
    await store2.close();

    // A port in use: one line with the reason and the fix.
    const clash = startStack(["--data-dir", path.join(dataDir, "other"), "--rpc-port", String(ports.rpc), "--ipfs-port", String(await freePort()), "--web-port", String(await freePort())]);
    expect(await clash.exited).toBe(1);
    expect(clash.output()).toMatch(new RegExp(`port ${ports.rpc} on 127.0.0.1 is in use .*pass --rpc-port`));

    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  }, 300_000);

  it("reports a corrupted chain state with the way out and leaves it untouched", async () => {
    const stateFile = path.join(dataDir, "chain", "state.json");
    const garbage = "{ this is not a chain state";
    await writeFile(stateFile, garbage);
    const stack = startStack(args);
    expect(await stack.exited).toBe(1);
    expect(stack.output()).toMatch(/chain state .* is corrupted .*npm start -- --fresh/);
    expect(await readFile(stateFile, "utf8")).toBe(garbage);
  }, 60_000);

  it("rejects bad flags naming the field and the rule", async () => {
    const stack = startStack(["--rpc-port", "99999", "--data-dir", dataDir]);
    expect(await stack.exited).toBe(1);
    expect(stack.output()).toContain('--rpc-port must be between 1 and 65535 (got "99999")');
  }, 60_000);
});
