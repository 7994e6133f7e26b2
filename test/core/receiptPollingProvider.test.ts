/**
 * The simulator's and benchmarks' provider sends JSON-RPC over httpTransport.ts with its own JSON coding: the answers must
 * read as they did through ethers' transport (a revert decodes to the contract's custom error), and a node that
 * answers with something other than JSON-RPC is reported as such.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Wallet, id as keccakText } from "ethers";
import { GridLedgerClient } from "../../src/ledgerClient.js";
import { LedgerError } from "../../src/ledgerErrors.js";
import { ReceiptPollingProvider } from "../../src/sim/provider.js";
import { startTestChain, type TestChain } from "../support/localChain.js";

describe("ReceiptPollingProvider's transport (anvil)", () => {
  let t: TestChain;
  let provider: ReceiptPollingProvider;

  beforeAll(async () => {
    t = await startTestChain();
    provider = new ReceiptPollingProvider(t.chain.url, t.chain.chainId, { staticNetwork: true });
  }, 120_000);

  afterAll(async () => {
    provider?.destroy();
    await t?.stop();
  });

  it("decodes a revert from estimateGas to the custom error, and sends nothing", async () => {
    const wallet = new Wallet(keccakText("receiptPollingProvider-test/meter"), provider);
    await provider.send("anvil_setBalance", [wallet.address, "0x" + (10n ** 20n).toString(16)]);
    const client = await GridLedgerClient.connect(wallet, { address: t.address });
    provider.takeCalls();
    const error = await client.recordStorage({ offerId: 99n, available: 1n }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerError);
    expect(error).toMatchObject({ errorName: "UnknownOffer", args: [99n] });
    expect(provider.takeCalls()).toEqual({ eth_estimateGas: 1 });
    expect(await provider.getTransactionCount(wallet.address)).toBe(0);
  });

  it("answers a batch call by call, and a write goes through to its receipt", async () => {
    const answers = await provider._send([
      { method: "eth_chainId", params: [], id: 1, jsonrpc: "2.0" },
      { method: "eth_noSuchMethod", params: [], id: 2, jsonrpc: "2.0" },
    ]);
    expect(answers.find((a) => a.id === 1)).toMatchObject({ result: "0x" + t.chain.chainId.toString(16) });
    expect(answers.find((a) => a.id === 2)).toHaveProperty("error");

    const wallet = new Wallet(keccakText("receiptPollingProvider-test/producer"), provider);
    await provider.send("anvil_setBalance", [wallet.address, "0x" + (10n ** 20n).toString(16)]);
    const client = await GridLedgerClient.connect(wallet, { address: t.address });
    const opened = await client.openOffer({ capacity: 10n, available: 10n, rate: 1n, location: "Test" });
    expect(opened.receipt.status).toBe(1);
    expect(opened.receipt.from).toBe(wallet.address);
    // The write's own figures are its receipt's, as the node has it.
    const onNode = (await provider.getTransactionReceipt(opened.hash))!;
    expect([opened.blockNumber, opened.gasUsed, opened.fee]).toEqual([onNode.blockNumber, onNode.gasUsed, onNode.gasUsed * onNode.gasPrice]);
    expect(opened.fee).toBeGreaterThan(0n);
  });
});

describe("ReceiptPollingProvider's transport (a server that is not a node)", () => {
  let server: Server;
  let url: string;
  let reply: { status: number; body: string };

  beforeAll(async () => {
    server = createServer((_, res) => res.writeHead(reply.status, { "content-type": "text/plain" }).end(reply.body));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("reports an HTTP error with its status and body", async () => {
    reply = { status: 503, body: "busy" };
    const provider = new ReceiptPollingProvider(url, 31337, { staticNetwork: true });
    try {
      await expect(provider._send({ method: "eth_chainId", params: [], id: 1, jsonrpc: "2.0" })).rejects.toThrow(/answered HTTP 503 .*busy/);
    } finally {
      provider.destroy();
    }
  });

  it("reports an answer that is not JSON", async () => {
    reply = { status: 200, body: "<html>" };
    const provider = new ReceiptPollingProvider(url, 31337, { staticNetwork: true });
    try {
      await expect(provider._send({ method: "eth_chainId", params: [], id: 1, jsonrpc: "2.0" })).rejects.toThrow(/answer is not JSON: <html>/);
    } finally {
      provider.destroy();
    }
  });
});
