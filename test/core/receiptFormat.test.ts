/**
 * Receipts formatted here are ethers' own, field for field, on real anvil receipts (a deployment, writes with
 * logs, a revert, a plain transfer) and on the older shapes some nodes answer with; a malformed field is named.
 * A mined transaction's own fields are its receipt's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Interface, Wallet, id as keccakText, type TransactionReceipt } from "ethers";
import { gridLedgerAbi } from "../../src/generated/contracts.js";
import { GridLedgerClient } from "../../src/ledgerClient.js";
import { MinedTx, formatReceipt, minedTx } from "../../src/receiptFormat.js";
import { startTestChain, type TestChain } from "../support/localChain.js";

type Raw = Record<string, unknown>;

/** A mined transaction's plain fields are the receipt's, its logs' fields too. */
function expectFieldsOf(mined: MinedTx, receipt: TransactionReceipt): void {
  const { hash, blockNumber, blockHash, from, status, gasUsed, gasPrice, fee } = receipt;
  expect({ hash: mined.hash, blockNumber: mined.blockNumber, blockHash: mined.blockHash, from: mined.from, status: mined.status }).toEqual({ hash, blockNumber, blockHash, from, status });
  expect([mined.gasUsed, mined.gasPrice, mined.fee]).toEqual([gasUsed, gasPrice, fee]);
  expect(mined.logs.map(({ transactionHash, blockHash, blockNumber, address, data, topics, index, transactionIndex }) => ({ transactionHash, blockHash, blockNumber, address, data, topics, index, transactionIndex }))).toEqual(
    receipt.logs.map(({ transactionHash, blockHash, blockNumber, address, data, topics, index, transactionIndex }) => ({ transactionHash, blockHash, blockNumber, address, data, topics, index, transactionIndex })),
  );
}

describe("minedTx (anvil)", () => {
  let t: TestChain;
  const raws: Raw[] = [];

  beforeAll(async () => {
    t = await startTestChain();
    const { provider } = t;
    const producer = new Wallet(keccakText("receiptFormat-test/producer"), provider);
    const meter = new Wallet(keccakText("receiptFormat-test/meter"), provider);
    for (const w of [producer, meter]) await provider.send("anvil_setBalance", [w.address, "0x" + (10n ** 20n).toString(16)]);
    const client = await GridLedgerClient.connect(producer, { address: t.address });
    const written: TransactionReceipt[] = [];
    const offer = await client.openOffer({ capacity: 1_000n, available: 900n, rate: 10n, location: "Receipt substation" });
    written.push(offer.receipt);
    written.push((await client.authorizeMeter({ meter: meter.address, ratedPower: 5_000n })).receipt);
    written.push((await client.recordStorage({ offerId: offer.id, available: 800n })).receipt);
    // A revert mined with a gas limit given, and a plain transfer without logs, from an account the client's
    // sender has not used, nonces given (ethers' own lookup can be served from its 250 ms cache).
    const reverting = await meter.sendTransaction({
      to: t.address,
      data: new Interface(gridLedgerAbi).encodeFunctionData("recordStorage", [99n, 1n]),
      gasLimit: 100_000n,
      nonce: 0,
    });
    await reverting.wait().catch(() => undefined);
    const transfer = await meter.sendTransaction({ to: producer.address, value: 1n, nonce: 1 });
    const deployment = (await provider.getBlock(1, false))!.transactions[0];
    for (const hash of [deployment, ...written.map((r) => r.hash), reverting.hash, (await transfer.wait())!.hash]) {
      raws.push((await provider.send("eth_getTransactionReceipt", [hash])) as Raw);
    }
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
  });

  it("gives ethers' receipt for a deployment, writes with logs, a revert and a plain transfer", async () => {
    const network = await t.provider.getNetwork();
    expect(raws.map((r) => [r.contractAddress != null, (r.logs as unknown[]).length > 0, r.status])).toEqual([
      [true, true, "0x1"],
      [false, true, "0x1"],
      [false, true, "0x1"],
      [false, true, "0x1"],
      [false, false, "0x0"],
      [false, false, "0x1"],
    ]);
    for (const raw of raws) {
      const mined = minedTx(structuredClone(raw), t.provider);
      const own = mined.receipt;
      const theirs = t.provider._wrapTransactionReceipt(structuredClone(raw) as never, network);
      expect(own.toJSON()).toEqual(theirs.toJSON());
      expect(own.logs.map((l) => ({ ...l.toJSON(), removed: l.removed }))).toEqual(theirs.logs.map((l) => ({ ...l.toJSON(), removed: l.removed })));
      expect(own.provider).toBe(t.provider);
      // Made once, on first ask.
      expect(mined.receipt).toBe(own);
      expectFieldsOf(mined, theirs);
      expectFieldsOf(new MinedTx(theirs), theirs);
    }
  });

  it("reads the older shapes as ethers does: lower-case addresses, gasPrice, no status, a root, no type", async () => {
    const network = await t.provider.getNetwork();
    const raw = structuredClone(raws[2]);
    const older: Raw = { ...raw, from: String(raw.from).toLowerCase(), gasPrice: raw.effectiveGasPrice, root: "0x" + "AB".repeat(32) };
    for (const key of ["effectiveGasPrice", "status", "type", "blobGasUsed", "blobGasPrice"]) delete older[key];
    const theirs = t.provider._wrapTransactionReceipt(structuredClone(older) as never, network);
    const mined = minedTx(structuredClone(older), t.provider);
    expect(mined.receipt.toJSON()).toEqual(theirs.toJSON());
    expectFieldsOf(mined, theirs);
  });

  it("names the malformed field", () => {
    const raw = structuredClone(raws[1]);
    expect(() => formatReceipt({ ...raw, gasUsed: "12" })).toThrow("receipt.gasUsed: not a hex quantity (12)");
    expect(() => formatReceipt({ ...raw, blockHash: "0x12" })).toThrow("receipt.blockHash: not a 32-byte hash (0x12)");
    const logs = structuredClone(raw.logs) as Raw[];
    logs[0].address = "0xnotanaddress";
    expect(() => formatReceipt({ ...raw, logs })).toThrow("receipt.logs[0].address: not an address (0xnotanaddress)");
    expect(() => formatReceipt({ ...raw, logs: undefined })).toThrow("receipt.logs: not an array");
  });
});
