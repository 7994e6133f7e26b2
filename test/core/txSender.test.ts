import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FeeData, JsonRpcProvider, Transaction, Wallet, id as keccakText, type JsonRpcPayload, type JsonRpcResult, type Provider } from "ethers";
import { cachedFeeData } from "../../src/feeCache.js";
import { GridLedgerClient } from "../../src/ledgerClient.js";
import { ledgerInterface } from "../../src/events.js";
import { LedgerError } from "../../src/ledgerErrors.js";
import { ReceiptPoller } from "../../src/receiptPoller.js";
import { ValidationError } from "../../src/schemas.js";
import { TxRevertedError, TxSender, type TxStatus } from "../../src/txSender.js";
import { ethersDigestSigner, useDigestSigner, type DigestSigner } from "../../src/txSigning.js";
import { startTestChain, type TestChain } from "../support/localChain.js";

describe("cachedFeeData", () => {
  const fees = new FeeData(1n, 3n, 1n);

  it("reads the node once per period for every caller on the provider, and again once the period is over", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(1_000_000);
      const provider = { getFeeData: vi.fn(async () => fees) } as unknown as Provider;
      await Promise.all([cachedFeeData(provider, 1_000), cachedFeeData(provider, 1_000), cachedFeeData(provider, 1_000)]);
      expect(provider.getFeeData).toHaveBeenCalledTimes(1);
      vi.setSystemTime(1_000_999);
      expect(await cachedFeeData(provider, 1_000)).toBe(fees);
      expect(provider.getFeeData).toHaveBeenCalledTimes(1);
      vi.setSystemTime(1_001_000);
      await cachedFeeData(provider, 1_000);
      expect(provider.getFeeData).toHaveBeenCalledTimes(2);
      // 0 turns the cache off.
      await cachedFeeData(provider, 0);
      expect(provider.getFeeData).toHaveBeenCalledTimes(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not keep a failed read", async () => {
    const getFeeData = vi.fn().mockRejectedValueOnce(new Error("node down")).mockResolvedValue(fees);
    const provider = { getFeeData } as unknown as Provider;
    await expect(cachedFeeData(provider, 60_000)).rejects.toThrow("node down");
    expect(await cachedFeeData(provider, 60_000)).toBe(fees);
    expect(getFeeData).toHaveBeenCalledTimes(2);
  });
});

/**
 * A provider that records, per HTTP request, how many calls of each method it carried, and the raw transactions
 * it carried with when the request was out (decoded afterwards: recovering senders costs milliseconds each).
 */
class CountingProvider extends JsonRpcProvider {
  readonly requests: Record<string, number>[] = [];
  readonly sends: { raws: string[]; start: number; end: number }[] = [];

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const list = Array.isArray(payload) ? payload : [payload];
    const counts: Record<string, number> = {};
    for (const p of list) counts[p.method] = (counts[p.method] ?? 0) + 1;
    this.requests.push(counts);
    const raws = list.filter((p) => p.method === "eth_sendRawTransaction").map((p) => (p.params as string[])[0]);
    const send = { raws, start: performance.now(), end: Infinity };
    if (raws.length) this.sends.push(send);
    try {
      return await super._send(payload);
    } finally {
      send.end = performance.now();
    }
  }

  /** Per account: the nonces of its transactions in the order they left, and the most of its requests out at once. */
  sendsBy(account: string): { nonces: number[]; mostOut: number } {
    const mine = this.sends
      .map((s) => ({ ...s, txs: s.raws.map((raw) => Transaction.from(raw)).filter((tx) => tx.from === account) }))
      .filter((s) => s.txs.length > 0);
    const mostOut = Math.max(...mine.map((s) => mine.filter((o) => o.start < s.end && s.start < o.end).length));
    return { nonces: mine.flatMap((s) => s.txs.map((tx) => tx.nonce)), mostOut };
  }

  callsOf(method: string): number[] {
    return this.requests.map((r) => r[method] ?? 0).filter((n) => n > 0);
  }
}

describe("TxSender with a key held here (anvil)", () => {
  let t: TestChain;
  let provider: CountingProvider;
  let producer: GridLedgerClient;
  let offerId: bigint;
  let walletNo = 0;

  /** A new funded key, authorised as a meter of the producer's offer when asked. */
  async function newWallet(meter = false): Promise<Wallet> {
    const wallet = new Wallet(keccakText(`txSender-test/${walletNo++}`), provider);
    await provider.send("anvil_setBalance", [wallet.address, "0x" + (10n ** 20n).toString(16)]);
    if (meter) await producer.authorizeMeter({ meter: wallet.address, ratedPower: 10_000n });
    return wallet;
  }
  const nonceOf = (address: string, tag: "latest" | "pending" = "latest") => provider.getTransactionCount(address, tag);
  const reading = (i: number) => ledgerInterface.encodeFunctionData("recordStorage", [offerId, BigInt(500_000 + i)]);

  beforeAll(async () => {
    t = await startTestChain();
    provider = new CountingProvider(t.chain.url, t.chain.chainId, { staticNetwork: true, cacheTimeout: -1 });
    producer = await GridLedgerClient.connect(await newWallet(), { address: t.address });
    ({ id: offerId } = await producer.openOffer({ capacity: 1_000_000n, available: 1_000_000n, rate: 1n, location: "Test" }));
  }, 120_000);

  afterAll(async () => {
    provider?.destroy();
    await t?.stop();
  });

  it("mines many concurrent writes from several accounts, sent in nonce order in shared requests, receipts read by block", async () => {
    const meters = await Promise.all([newWallet(true), newWallet(true), newWallet(true)]);
    const clients = await Promise.all(
      meters.map((m, i) => GridLedgerClient.connect(m, { address: t.address, gasLimits: i === 0 ? undefined : { recordStorage: 100_000n } })),
    );
    const before = (await producer.counts()).storageReadings;
    provider.requests.length = 0;
    provider.sends.length = 0;
    const results = await Promise.all(
      clients.flatMap((c, k) => Array.from({ length: 40 }, (_, i) => c.recordStorage({ offerId, available: BigInt(k * 1_000 + i) }))),
    );
    expect(new Set(results.map((r) => r.hash)).size).toBe(120);
    expect((await producer.counts()).storageReadings).toBe(before + 120n);
    for (const m of meters) {
      const nonces = await Promise.all(
        results.filter((r) => r.receipt.from === m.address).map(async (r) => (await provider.getTransaction(r.hash))!.nonce),
      );
      expect(nonces.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(await nonceOf(m.address)).toBe(40);
      // They left in nonce order, one send request of the account out at a time.
      expect(provider.sendsBy(m.address)).toEqual({ nonces: Array.from({ length: 40 }, (_, i) => i), mostOut: 1 });
    }
    // Different accounts' transactions share send requests (one queue for the provider).
    const sharedRequests = provider.sends.filter((s) => new Set(s.raws.map((raw) => Transaction.from(raw).from)).size > 1);
    expect(sharedRequests.length).toBeGreaterThan(0);
    // Receipts come a block at a time (one poller for the provider): fewer receipt calls than transactions.
    const receiptCalls = [...provider.callsOf("eth_getBlockReceipts"), ...provider.callsOf("eth_getTransactionReceipt")].reduce((a, b) => a + b, 0);
    expect(receiptCalls).toBeGreaterThan(0);
    expect(receiptCalls).toBeLessThan(120);
    expect(ReceiptPoller.for(provider).waiting).toBe(0);
  });

  it("reports a reverting write sent with a caller's gas limit by its decoded error, and keeps the nonce sequence", async () => {
    const meter = await newWallet(true);
    const client = await GridLedgerClient.connect(meter, { address: t.address, gasLimits: { recordStorage: 100_000n } });
    let revertedHash = "";
    const outcomes = await Promise.allSettled([
      client.recordStorage({ offerId, available: 1n }),
      client.recordStorage({ offerId: 99n, available: 1n }, (s: TxStatus) => {
        if (s.stage === "pending") revertedHash = s.hash;
      }),
      client.recordStorage({ offerId, available: 2n }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const error = (outcomes[1] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(LedgerError);
    expect(error).toMatchObject({ errorName: "UnknownOffer", args: [99n] });
    // Sent without an estimate, it was mined as failed and used its nonce: no hole, nothing waiting.
    const reverted = await provider.getTransactionReceipt(revertedHash);
    expect(reverted!.status).toBe(0);
    expect((await provider.getTransaction(revertedHash))!.nonce).toBe(1);
    expect(await nonceOf(meter.address)).toBe(3);
    expect(await nonceOf(meter.address, "pending")).toBe(3);
    expect((await client.recordStorage({ offerId, available: 3n })).receipt.status).toBe(1);
  });

  it("signs with ethers' SigningKey when the native binding is unavailable, the bytes the Wallet signs", async () => {
    const meter = await newWallet(true);
    const client = await GridLedgerClient.connect(meter, { address: t.address, gasLimits: { recordStorage: 100_000n } });
    let signatures = 0;
    const counted: DigestSigner = (digest, key) => {
      signatures++;
      return ethersDigestSigner(digest, key);
    };
    useDigestSigner(counted);
    try {
      provider.sends.length = 0;
      const results = await Promise.all([1n, 2n, 3n].map((available) => client.recordStorage({ offerId, available })));
      expect(results.map((r) => r.receipt.status)).toEqual([1, 1, 1]);
      expect(signatures).toBe(3);
      const raws = provider.sends.flatMap((s) => s.raws).filter((raw) => Transaction.from(raw).from === meter.address);
      expect(raws).toHaveLength(3);
      for (const raw of raws) {
        const unsigned = Transaction.from(raw);
        unsigned.signature = null;
        expect(await meter.signTransaction(unsigned)).toBe(raw);
      }
    } finally {
      useDigestSigner(undefined);
    }
  });

  it("lets timers and I/O run between slices of signing of all senders together, not after each sender's own slice", async () => {
    // ethers' JS signer (about a millisecond a signature) and many senders: signing takes a while, and requests
    // must leave and answers come back as it goes. Were each sender to yield on its own, each would sign its
    // own 2 ms slice in the same turn of the event loop: 24 senders would hold it for 48 ms and more.
    const meters = await Promise.all(Array.from({ length: 24 }, () => newWallet(true)));
    const clients = await Promise.all(meters.map((m) => GridLedgerClient.connect(m, { address: t.address, gasLimits: { recordStorage: 100_000n } })));
    let signatures = 0;
    useDigestSigner((digest, key) => {
      signatures++;
      return ethersDigestSigner(digest, key);
    });
    // The turns of the event loop that took 20 ms or more while the writes went on.
    const longTurns: number[] = [];
    let done = false;
    let last = performance.now();
    const turn = () => {
      const now = performance.now();
      if (now - last >= 20) longTurns.push(Math.round(now - last));
      last = now;
      if (!done) setImmediate(turn);
    };
    setImmediate(turn);
    try {
      await Promise.all(clients.flatMap((c) => Array.from({ length: 8 }, (_, i) => c.recordStorage({ offerId, available: BigInt(i + 1) }))));
    } finally {
      done = true;
      useDigestSigner(undefined);
    }
    expect(signatures).toBe(24 * 8);
    // A garbage collection may take one such turn; one sender's slice after another's took one per 24 signatures.
    expect(longTurns.length, `turns of ${longTurns.join(", ")} ms`).toBeLessThanOrEqual(2);
  });

  it("takes nonces in the order of the calls when their estimates come back in another order", async () => {
    const wallet = await newWallet(true);
    // The first call's estimate comes back last.
    const slow = reading(900);
    const estimating = new (class extends JsonRpcProvider {
      override async estimateGas(tx: Parameters<JsonRpcProvider["estimateGas"]>[0]): Promise<bigint> {
        if (tx.data === slow) await new Promise((r) => setTimeout(r, 300));
        return super.estimateGas(tx);
      }
    })(t.chain.url, t.chain.chainId, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const sender = new TxSender(wallet.connect(estimating));
      const order: string[] = [];
      const mined = await Promise.all(
        [slow, reading(901), reading(902)].map((data, i) =>
          sender.send({ to: t.address, data }, (s) => {
            if (s.stage === "pending") order.push(`${i}`);
          }),
        ),
      );
      const nonces = await Promise.all(mined.map(async (m) => (await provider.getTransaction(m.hash))!.nonce));
      expect(nonces).toEqual([0, 1, 2]);
      expect(order).toEqual(["0", "1", "2"]);
    } finally {
      estimating.destroy();
    }
  });

  it("counts a transaction as sent when the node took it but its answer was lost, and does not send it twice", async () => {
    const meter = await newWallet(true);
    // The node gets the first send request, but its answer never comes back.
    let lost = 0;
    const losing = new (class extends JsonRpcProvider {
      override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
        const answers = await super._send(payload);
        const calls = Array.isArray(payload) ? payload : [payload];
        if (lost === 0 && calls.some((c) => c.method === "eth_sendRawTransaction")) {
          lost++;
          throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
        }
        return answers;
      }
    })(t.chain.url, t.chain.chainId, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const client = await GridLedgerClient.connect(meter.connect(losing), { address: t.address, gasLimits: { recordStorage: 100_000n } });
      const before = (await producer.counts()).storageReadings;
      const results = await Promise.all([21n, 22n].map((available) => client.recordStorage({ offerId, available })));
      expect(lost).toBe(1);
      expect(results.map((r) => r.receipt.status)).toEqual([1, 1]);
      expect((await producer.counts()).storageReadings).toBe(before + 2n);
      expect(await nonceOf(meter.address)).toBe(2);
    } finally {
      losing.destroy();
    }
  });

  it("says a write ran out of gas when the caller's gas limit is too low", async () => {
    const meter = await newWallet(true);
    const client = await GridLedgerClient.connect(meter, { address: t.address, gasLimits: { recordStorage: 25_000n } });
    const error = await client.recordStorage({ offerId, available: 7n }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TxRevertedError);
    expect((error as Error).message).toMatch(/ran out of gas \(limit 25000\)/);
    expect(await nonceOf(meter.address)).toBe(1);
  });

  it("fills the nonce of a transaction the node refused while later ones were already out", async () => {
    const wallet = await newWallet(true);
    const sender = new TxSender(wallet);
    const to = t.address;
    // Below the intrinsic gas: the node refuses it at once, after the next two have taken nonces 1 and 2.
    const outcomes = await Promise.allSettled([
      sender.send({ to, data: reading(0), gasLimit: 100_000n }),
      sender.send({ to, data: reading(1), gasLimit: 1_000n }),
      sender.send({ to, data: reading(2), gasLimit: 100_000n }),
      sender.send({ to, data: reading(3), gasLimit: 100_000n }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/intrinsic gas/i);
    expect(await nonceOf(wallet.address)).toBe(4);
    // Nonce 1 went to a transfer of nothing to the account itself.
    const block = await provider.getBlock((await provider.getTransactionReceipt((outcomes[0] as PromiseFulfilledResult<{ hash: string }>).value.hash))!.blockNumber + 1, true);
    const filler = block!.prefetchedTransactions.find((tx) => tx.from === wallet.address && tx.nonce === 1);
    expect(filler).toMatchObject({ to: wallet.address, value: 0n, data: "0x" });
  });

  it("gives a refused nonce back to the next write when it was the last one taken", async () => {
    const wallet = await newWallet(true);
    const sender = new TxSender(wallet);
    await expect(sender.send({ to: t.address, data: reading(0), gasLimit: 1_000n })).rejects.toThrow(/intrinsic gas/i);
    const receipt = await sender.send({ to: t.address, data: reading(1), gasLimit: 100_000n });
    expect((await provider.getTransaction(receipt.hash))!.nonce).toBe(0);
  });

  it("resubmits a dropped transaction with the same nonce and higher fees", async () => {
    const meter = await newWallet(true);
    const client = await GridLedgerClient.connect(meter, { address: t.address, confirmTimeoutMs: 300, maxResubmits: 3 });
    await provider.send("evm_setAutomine", [false]);
    try {
      const stages: string[] = [];
      let first = "";
      const result = await client.recordStorage({ offerId, available: 11n }, (s) => {
        stages.push(s.stage);
        if (s.stage === "pending") {
          first = s.hash;
          void provider.send("anvil_dropTransaction", [s.hash]);
        }
        if (s.stage === "resubmitted") void provider.send("evm_mine", []);
      });
      expect(stages).toEqual(["signing", "pending", "resubmitted", "mined"]);
      expect(result.hash).not.toBe(first);
      expect(await provider.getTransaction(first)).toBeNull();
      expect((await provider.getTransaction(result.hash))!.nonce).toBe(0);
      expect((await producer.offer(offerId)).available).toBe(11n);
    } finally {
      await provider.send("evm_setAutomine", [true]);
    }
  });

  it("resubmits the first of a sender's stuck transactions; the ones behind it wait for it meanwhile", async () => {
    const meter = await newWallet(true);
    const sender = new TxSender(meter, { confirmTimeoutMs: 300, maxResubmits: 3 });
    await provider.send("evm_setAutomine", [false]);
    try {
      const stages = new Map<number, string[]>();
      const log: string[] = [];
      let first = "";
      const sends = [0, 1, 2].map((i) =>
        sender.send({ to: t.address, data: reading(100 + i), gasLimit: 100_000n }, (s) => {
          stages.set(i, [...(stages.get(i) ?? []), s.stage]);
          log.push(`${i}:${s.stage}`);
          if (i === 0 && s.stage === "pending") {
            first = s.hash;
            void provider.send("anvil_dropTransaction", [s.hash]);
          }
        }),
      );
      // A block every 50 ms, as a chain would make them; nothing is mined while the first is missing.
      let settled = false;
      const all = Promise.all(sends).finally(() => (settled = true));
      for (let i = 0; i < 200 && !settled; i++) {
        await new Promise((r) => setTimeout(r, 50));
        await provider.send("evm_mine", []);
      }
      const receipts = await all;
      expect(receipts.map((r) => r.status)).toEqual([1, 1, 1]);
      expect(stages.get(0)).toEqual(["signing", "pending", "resubmitted", "mined"]);
      // The ones behind it timed out as it did but resubmitted nothing until it was mined (anvil may still want
      // one of them resubmitted afterwards: it does not always take back the ones behind a dropped transaction).
      const firstMined = log.indexOf("0:mined");
      for (const i of [1, 2]) {
        const own = log.flatMap((entry, at) => (entry === `${i}:resubmitted` ? [at] : []));
        expect(own.every((at) => at > firstMined), log.join(", ")).toBe(true);
        expect(own.length).toBeLessThanOrEqual(1);
      }
      expect(receipts[0].hash).not.toBe(first);
      expect(await nonceOf(meter.address)).toBe(3);
    } finally {
      await provider.send("evm_setAutomine", [true]);
    }
  });

  it("keeps at most maxInFlight transactions of one sender out at once", async () => {
    const wallet = await newWallet(true);
    const sender = new TxSender(wallet, { maxInFlight: 2 });
    let out = 0;
    let most = 0;
    const track = (s: TxStatus) => {
      if (s.stage === "pending") most = Math.max(most, ++out);
      if (s.stage === "mined") out--;
    };
    // Nothing is mined until asked: the sender must stop at two in the node's pool.
    await provider.send("evm_setAutomine", [false]);
    try {
      const all = Promise.all(Array.from({ length: 8 }, (_, i) => sender.send({ to: t.address, data: reading(i), gasLimit: 100_000n }, track)));
      for (let i = 0; i < 100 && out < 2; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      expect(out).toBe(2);
      expect(await nonceOf(wallet.address, "pending")).toBe(2);
      let settled = false;
      void all.finally(() => (settled = true));
      for (let i = 0; i < 200 && !settled; i++) {
        await provider.send("evm_mine", []);
        await new Promise((r) => setTimeout(r, 25));
      }
      await all;
    } finally {
      await provider.send("evm_setAutomine", [true]);
    }
    expect(most).toBe(2);
    expect(await nonceOf(wallet.address)).toBe(8);
  });

  it("refuses bad options, naming the field and the rule", async () => {
    const wallet = await newWallet();
    expect(() => new TxSender(wallet, { maxInFlight: 0 })).toThrow(ValidationError);
    expect(() => new TxSender(wallet, { feeBumpPercent: 5 })).toThrow(/feeBumpPercent: must be at least 10/);
    await expect(GridLedgerClient.connect(wallet, { address: t.address, gasLimits: { recordStorage: 20_000n } })).rejects.toThrow(
      /gasLimits\.recordStorage: must be at least 21000/,
    );
    await expect(
      GridLedgerClient.connect(wallet, { address: t.address, gasLimits: { recordStorag: 60_000n } as never }),
    ).rejects.toThrow(/gasLimits\.recordStorag: is not a known field/);
  });
});
