/**
 * The receipt poller follows blocks on a real node (anvil, mining only when told): a burst costs a block's
 * receipts, not a poll per transaction; a transaction whose block was scanned before it was waited for is
 * found without a call; one sent before the baseline gets its direct look; a chain that goes back is followed
 * from its new head; a node without eth_getBlockReceipts gets direct looks; an unknown hash gives null at its
 * deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JsonRpcProvider, Wallet, id as keccakText, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { ReceiptPoller } from "../../src/receiptPoller.js";
import { startTestChain, type TestChain } from "../support/localChain.js";

/** Counts calls per method; answers the methods in `refuse` with "method not found", as a node without them. */
class NodeProvider extends JsonRpcProvider {
  readonly calls = new Map<string, number>();
  constructor(
    url: string,
    chainId: number,
    readonly refuse: readonly string[] = [],
  ) {
    super(url, chainId, { staticNetwork: true, cacheTimeout: -1 });
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const list = Array.isArray(payload) ? payload : [payload];
    for (const p of list) this.calls.set(p.method, (this.calls.get(p.method) ?? 0) + 1);
    const refused = list.filter((p) => this.refuse.includes(p.method));
    const rest = list.filter((p) => !this.refuse.includes(p.method));
    const answers = rest.length ? await super._send(rest) : [];
    return [...answers, ...refused.map((p) => ({ id: p.id, error: { code: -32601, message: `Method not found: ${p.method}` } }) as unknown as JsonRpcResult)];
  }

  take(method: string): number {
    const n = this.calls.get(method) ?? 0;
    this.calls.delete(method);
    return n;
  }
}

describe("ReceiptPoller (anvil)", () => {
  let t: TestChain;
  let walletNo = 0;

  beforeAll(async () => {
    t = await startTestChain();
    await t.provider.send("evm_setAutomine", [false]);
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
  });

  /** A funded key and `count` transfers it signed, nonces from 0. */
  async function signedTransfers(count: number): Promise<string[]> {
    const wallet = new Wallet(keccakText(`receiptPoller-test/${walletNo++}`), t.provider);
    await t.provider.send("anvil_setBalance", [wallet.address, "0x" + (10n ** 20n).toString(16)]);
    const { chainId } = await t.provider.getNetwork();
    return Promise.all(
      Array.from({ length: count }, (_, nonce) =>
        wallet.signTransaction({ type: 2, chainId, nonce, to: wallet.address, value: 1n, gasLimit: 21_000n, maxFeePerGas: 10n ** 11n, maxPriorityFeePerGas: 1n }),
      ),
    );
  }

  const send = async (provider: JsonRpcProvider, raw: string) => (await provider.send("eth_sendRawTransaction", [raw])) as string;
  const mine = () => t.provider.send("evm_mine", []);

  it("reads a burst's receipts a block at a time, after one direct look for what was sent before the baseline", async () => {
    const provider = new NodeProvider(t.chain.url, t.chain.chainId);
    const poller = ReceiptPoller.for(provider);
    const [first, ...burst] = await signedTransfers(21);
    // Sent with no time given: looked at directly once the baseline is read (not mined yet: null).
    const firstHash = await send(provider, first);
    const firstReceipt = poller.wait(firstHash, 30_000);
    for (let i = 0; i < 100 && provider.take("eth_getTransactionReceipt") === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(provider.take("eth_blockNumber")).toBe(1);
    await mine();
    expect((await firstReceipt)!.hash).toBe(firstHash);

    // Twenty more, sent after the baseline: mined in one block, read with its receipts, no direct look.
    const sentAt = performance.now();
    const hashes = await Promise.all(burst.map((raw) => send(provider, raw)));
    const receipts = Promise.all(hashes.map((h) => poller.wait(h, 30_000, sentAt)));
    await mine();
    expect((await receipts).map((r) => [r!.hash, r!.status, r!.blockNumber])).toEqual(hashes.map((h) => [h, 1, expect.any(Number)]));
    expect(new Set((await receipts).map((r) => r!.blockNumber)).size).toBe(1);
    expect(provider.take("eth_getTransactionReceipt")).toBe(0);
    expect(provider.take("eth_getBlockReceipts")).toBeLessThan(20);
    expect(poller.waiting).toBe(0);
    expect(poller.followsBlocks).toBe(true);
  });

  it("finds a transaction whose block was scanned before it was waited for, without asking the node", async () => {
    const provider = new NodeProvider(t.chain.url, t.chain.chainId);
    const poller = ReceiptPoller.for(provider);
    const [a, b] = await signedTransfers(2);
    const hashA = await send(provider, a);
    const first = poller.wait(hashA, 30_000);
    await new Promise((r) => setTimeout(r, 50));
    const sentAt = performance.now();
    const hashB = await send(provider, b);
    await mine();
    await first;
    provider.calls.clear();
    const late = await poller.wait(hashB, 30_000, sentAt);
    expect(late!.hash).toBe(hashB);
    expect([...provider.calls.keys()]).toEqual([]);
  });

  it("looks directly at each hash on a node without eth_getBlockReceipts", async () => {
    const provider = new NodeProvider(t.chain.url, t.chain.chainId, ["eth_getBlockReceipts"]);
    const poller = ReceiptPoller.for(provider);
    const raws = await signedTransfers(3);
    const sentAt = performance.now();
    const hashes = await Promise.all(raws.map((raw) => send(provider, raw)));
    const receipts = Promise.all(hashes.map((h) => poller.wait(h, 30_000, sentAt)));
    await new Promise((r) => setTimeout(r, 50));
    await mine();
    expect((await receipts).map((r) => r!.hash)).toEqual(hashes);
    expect(poller.followsBlocks).toBe(false);
    expect(provider.take("eth_getTransactionReceipt")).toBeGreaterThanOrEqual(3);
  });

  it("restarts the scan from the head when the chain goes back, and finds what is mined after at once", async () => {
    const provider = new NodeProvider(t.chain.url, t.chain.chainId);
    const poller = ReceiptPoller.for(provider);
    await poller.follow();
    const snapshot = await t.provider.send("evm_snapshot", []);
    const [a] = await signedTransfers(1);
    const sentA = performance.now();
    const hashA = await send(provider, a);
    const waitA = poller.wait(hashA, 30_000, sentA);
    for (let i = 0; i < 5; i++) await mine();
    expect((await waitA)!.hash).toBe(hashA);
    // Back below the blocks scanned: the next transaction is mined at a height the poller has seen already.
    await t.provider.send("evm_revert", [snapshot]);
    const [c] = await signedTransfers(1);
    const sentC = performance.now();
    const hashC = await send(provider, c);
    const started = performance.now();
    const waitC = poller.wait(hashC, 30_000, sentC);
    await new Promise((r) => setTimeout(r, 60));
    await mine();
    expect((await waitC)!.hash).toBe(hashC);
    // Found from the blocks it follows, not by the safety-net look a second later.
    expect(performance.now() - started).toBeLessThan(900);
  });

  it("gives null at the deadline for a transaction the node never mines", async () => {
    const provider = new NodeProvider(t.chain.url, t.chain.chainId);
    const started = performance.now();
    expect(await ReceiptPoller.for(provider).wait(keccakText("never sent"), 300)).toBeNull();
    expect(performance.now() - started).toBeGreaterThanOrEqual(299);
    expect(ReceiptPoller.for(provider).waiting).toBe(0);
  });

  it("gives null at a deadline shorter than the safety-net look, for a hash sent after the baseline", async () => {
    const provider = new NodeProvider(t.chain.url, t.chain.chainId);
    const poller = ReceiptPoller.for(provider);
    await poller.follow();
    const started = performance.now();
    expect(await poller.wait(keccakText("sent after the baseline, never mined"), 300, performance.now())).toBeNull();
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(299);
    // At its deadline, not at the first safety-net look a second after it was sent.
    expect(took).toBeLessThan(900);
    expect(poller.waiting).toBe(0);
  });
});
