import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { getAddress } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestChain, type TestChain } from "../support/localChain.js";

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, "../../bin/gridledger.js");

let t: TestChain;
let ipfsDir: string;
let accounts: string[];

/** Runs the real `gridledger` binary; resolves with exit code, stdout and stderr. */
async function gridledger(args: string[], account?: number, env: Record<string, string> = {}) {
  const all = ["--rpc-url", t.chain.url, "--contract", t.address, "--ipfs-dir", ipfsDir, ...(account === undefined ? [] : ["--dev-account", String(account)]), ...args];
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...all], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const json = async (args: string[], account?: number) => {
  const r = await gridledger([...args, "--json"], account);
  expect(r.stderr, r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

beforeAll(async () => {
  t = await startTestChain();
  ipfsDir = await mkdtemp(path.join(tmpdir(), "gridledger-cli-ipfs-"));
  accounts = await t.provider.send("eth_accounts", []);
}, 120_000);
afterAll(async () => {
  await t?.stop();
  await rm(ipfsDir, { recursive: true, force: true });
});

const PRODUCER = 1;
const METER = 2;
const PURCHASER = 3;

describe("gridledger command line", () => {
  it("runs a full cycle: offer, purchase, transfer, acknowledge, bill, verify-bill, withdraw", async () => {
    const meter = accounts[METER];
    await json(["authorize-meter", "--meter", meter, "--rated-power", "10 kW"], PRODUCER);
    const offer = await json(["open-offer", "--capacity", "100 kWh", "--available", "80 kWh", "--rate", "0.0002 ETH/kWh", "--location", "North substation"], PRODUCER);
    expect(offer.offerId).toBe("1");
    await json(["record-storage", "--offer", "1", "--available", "75 kWh"], METER);
    const bought = await json(["purchase", "--offer", "1", "--quantity", "5 kWh", "--max-cost", "0.001 ETH"], PURCHASER);
    expect(bought).toMatchObject({ purchaseId: "1", cost: "1000000000000000" });
    // Deliver within the two hours after the purchase: move the chain's clock on.
    const purchasedAt = (await t.provider.getBlock("latest"))!.timestamp;
    await t.provider.send("evm_increaseTime", [7200]);
    await t.provider.send("evm_mine", []);
    const end = purchasedAt + 3660;
    const transfer = await json(
      ["record-transfer", "--purchase", "1", "--amount", "4.5 kWh", "--start", new Date((end - 3600) * 1000).toISOString(), "--end", String(end), "--device", "inverter-1"],
      METER,
    );
    expect(transfer.index).toBe(0);
    await json(["acknowledge", "--purchase", "1", "--index", "0"], PURCHASER);
    const billed = await json(["bill", "--purchase", "1", "--html", path.join(ipfsDir, "bill.html")], PRODUCER);
    expect(billed.cid).toMatch(/^bafkrei[a-z2-7]{52}$/);
    expect(billed.settlement).toEqual({ delivered: "4500", withheld: "0", producerAmount: "900000000000000", refund: "100000000000000" });
    expect(await readFile(path.join(ipfsDir, "bill.html"), "utf8")).toContain(billed.cid);

    const verified = await gridledger(["verify-bill", "--purchase", "1"]);
    expect(verified).toMatchObject({ code: 0, stderr: "" });
    expect(verified.stdout).toContain(`bill ${billed.cid} of purchase 1 verified`);

    expect(await json(["balance", accounts[PRODUCER]])).toEqual({ account: getAddress(accounts[PRODUCER]), balance: "900000000000000" });
    expect((await json(["withdraw"], PRODUCER)).amount).toBe("900000000000000");
    expect((await json(["withdraw"], PURCHASER)).amount).toBe("100000000000000");
    expect(await json(["counts"])).toEqual({ offers: "1", storageReadings: "1", purchases: "1", transfers: "1", acknowledgements: "1", bills: "1" });

    const history = await json(["history", "--purchase", "1", "--limit", "10"]);
    expect(history.events.map((e: { kind: string }) => e.kind)).toEqual(["BillRecorded", "TransferAcknowledged", "EnergyTransferred", "EnergyPurchased"]);
    const text = await gridledger(["purchase-info", "1"]);
    expect(text.stdout).toContain("purchase 1 by");
    expect(text.stdout).toContain("billed");
  });

  it("names the field, the rule and the value of bad input, exits 1 and sends nothing", async () => {
    const before = await t.provider.getTransactionCount(accounts[PRODUCER]);
    const r = await gridledger(["open-offer", "--capacity", "0.0001 kWh", "--available", "80 kWh", "--rate", "-1", "--location", "x"], PRODUCER);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^gridledger: .*capacity.*0\.0001 kWh/);
    expect(r.stderr).toMatch(/rate/);
    expect(await t.provider.getTransactionCount(accounts[PRODUCER])).toBe(before);
  });

  it("gives a contract rejection's decoded reason in one line", async () => {
    const r = await gridledger(["purchase", "--offer", "1", "--quantity", "1000 kWh"], PURCHASER);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("gridledger: QuantityExceedsAvailable: quantity 1000000 Wh exceeds the 70000 Wh available in offer 1");
  });

  it("exits 2 on a usage error and 0 with help", async () => {
    const unknown = await gridledger(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    const missing = await gridledger(["purchase", "--offer", "1"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--quantity <energy>' not specified/);
    const help = await gridledger(["purchase", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--quantity <energy>/);
  });

  it("refuses to write without a key, and development accounts off the local chain", async () => {
    const r = await gridledger(["withdraw"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no key: set GRIDLEDGER_PRIVATE_KEY/);
  });

  it("signs with a keystore file whose password comes from the environment", async () => {
    const file = path.join(ipfsDir, "device.json");
    const env = { GRIDLEDGER_KEYSTORE_PASSWORD: "correct horse battery" };
    const created = await gridledger(["keystore", "--out", file, "--json"], undefined, env);
    expect(created.code).toBe(0);
    const { address } = JSON.parse(created.stdout);
    const funder = await t.provider.getSigner(0);
    await (await funder.sendTransaction({ to: address, value: 10n ** 18n })).wait();
    const r = await gridledger(["--keystore", file, "open-offer", "--capacity", "1 kWh", "--available", "1 kWh", "--rate", "1", "--location", "Device", "--json"], undefined, env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).offerId).toBe("2");
    const wrong = await gridledger(["--keystore", file, "withdraw"], undefined, { GRIDLEDGER_KEYSTORE_PASSWORD: "wrong password" });
    expect(wrong.stderr).toMatch(/wrong password/);
    const again = await gridledger(["keystore", "--out", file], undefined, env);
    expect(again.stderr).toMatch(/refusing to overwrite/);
  });

  it("watch prints live alerts for an account", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [BIN, "--rpc-url", t.chain.url, "--contract", t.address, "watch", "--address", accounts[PURCHASER], "--from-block", "0", "--json"]);
    const lines: string[] = [];
    let buffer = "";
    child.stdout.on("data", (c: Buffer) => {
      buffer += c.toString();
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      lines.push(...parts.filter(Boolean));
    });
    const deadline = Date.now() + 30_000;
    while (lines.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGINT");
    await new Promise((r) => child.once("exit", r));
    const kinds = lines.map((l) => JSON.parse(l).kind);
    expect(kinds).toEqual(["EnergyPurchased", "EnergyTransferred", "TransferAcknowledged", "BillRecorded", "Withdrawn"]);
    expect(JSON.parse(lines[0]).roles).toEqual(["purchaser"]);
  });
});
