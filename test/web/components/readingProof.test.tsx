// @vitest-environment jsdom
/**
 * The audit view's Readings panel: anchored batches newest first; a chosen batch's file fetched from IPFS
 * (loading, then its readings; a failed fetch can be retried); a picked reading proven line by line with the
 * real core (src/readingProof.ts) against a chain stand-in whose verifyReading folds the proof as the contract
 * does; a pasted reading with one digit changed fails; a pasted reading with bad fields names each field and rule.
 */
import { screen, waitFor, within } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { concat, keccak256, Wallet, type Log } from "ethers";
import { describe, expect, it, vi } from "vitest";
import { ReadingProofPanel } from "@web/audit/ReadingProofPanel";
import { BATCH_FORMAT, signedReadingToJson } from "../../../src/batchFile.js";
import { ledgerInterface } from "../../../src/events.js";
import { batchTree, LEAF_ENCODING, READING_KIND, readingDomain, signReading, type SignedReading } from "../../../src/readings.js";
import { ACCOUNT, CONFIG, h, renderInSession } from "./harness.js";

const meter = new Wallet("0x" + "42".repeat(32));
const PRODUCER = ACCOUNT;
const CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
const hex = (n: number) => "0x" + n.toString(16).padStart(64, "0");

async function fixture() {
  const domain = readingDomain(CONFIG.chainId, CONFIG.contract);
  const readings: SignedReading[] = [];
  for (let seq = 1n; seq <= 3n; seq++) {
    const start = 1_790_000_000n + seq * 900n;
    readings.push(await signReading(meter, domain, { kind: READING_KIND.energy, subject: 1n, value: 500n, start, end: start + 900n, seq }));
  }
  const tree = batchTree(readings.map((s) => s.reading));
  const file = {
    format: BATCH_FORMAT,
    chainId: "31337",
    contract: CONFIG.contract,
    leafEncoding: LEAF_ENCODING,
    root: tree.root,
    readings: readings.map(signedReadingToJson),
  };
  const anchor = (batchId: bigint, blockNumber: number) => ({
    kind: "BatchAnchored" as const,
    batchId,
    aggregator: PRODUCER,
    root: tree.root,
    cid: CID,
    count: 3n,
    ranges: [{ meter: meter.address, firstSeq: 1n, lastSeq: 3n }],
    blockNumber,
    blockHash: hex(blockNumber),
    transactionHash: hex(1000 + blockNumber),
    logIndex: 0,
  });
  const authorised = ledgerInterface.encodeEventLog("MeterAuthorized", [meter.address, PRODUCER, 10_000n]);
  const authLog = {
    ...authorised,
    address: CONFIG.contract,
    blockNumber: 2,
    blockHash: hex(2),
    transactionHash: hex(2),
    index: 0,
  } as unknown as Log;
  // What the contract's verifyReading does: fold the proof with sorted pairs (OpenZeppelin MerkleProof).
  const verifyReadingOnChain = vi.fn(async (batchId: bigint, leaf: string, proof: readonly string[]) => {
    if (batchId !== 1n) throw new Error(`UnknownBatch(${batchId})`);
    const folded = proof.reduce((acc, p) => keccak256(concat([acc, p].map((x) => x.toLowerCase()).sort())), leaf);
    return folded === tree.root;
  });
  const reader = {
    chainId: 31337n,
    address: CONFIG.contract,
    fromBlock: 1,
    history: vi.fn(async () => ({ events: [anchor(2n, 9), anchor(1n, 5)], next: undefined })),
    batchOf: async (id: bigint) => (id === 1n ? anchor(1n, 5) : undefined),
    verifyReadingOnChain,
    provider: { getLogs: vi.fn(async () => [authLog]) },
  };
  const bytes = new TextEncoder().encode(JSON.stringify(file));
  return { readings, tree, reader, bytes, verifyReadingOnChain };
}

/** A store whose answers the test releases one at a time. */
function gatedStore(bytes: Uint8Array, failFirst = false) {
  const waiting: (() => void)[] = [];
  let calls = 0;
  const get = vi.fn(
    (cid: string) =>
      new Promise<Uint8Array>((resolve, reject) => {
        const n = ++calls;
        waiting.push(() => (failFirst && n === 1 ? reject(new Error(`${cid} could not be reached`)) : resolve(bytes)));
      }),
  );
  return { store: { get }, release: () => waiting.splice(0).forEach((f) => f()), get };
}

const checks = () =>
  Object.fromEntries(
    Array.from(screen.getByTestId("reading-proof").querySelectorAll("li[data-check]"), (li) => [
      li.getAttribute("data-check"),
      li.getAttribute("data-pass"),
    ]),
  );
const checkText = (name: string) => screen.getByTestId("reading-proof").querySelector(`li[data-check="${name}"]`)!.textContent ?? "";

async function openBatchOne(user: ReturnType<typeof userEvent.setup>, gate: ReturnType<typeof gatedStore>) {
  await user.click(await screen.findByRole("button", { name: "Open batch 1" }));
  expect(screen.getByRole("status").textContent).toBe("Fetching batch 1 from IPFS…");
  gate.release();
  return screen.findByTestId("batch-readings");
}

describe("readings panel", () => {
  it("lists batches newest first, shows the batch loading from IPFS, then its readings", async () => {
    const f = await fixture();
    const gate = gatedStore(f.bytes);
    const user = userEvent.setup();
    renderInSession(h(ReadingProofPanel), { reader: f.reader, billStore: gate.store });
    expect(screen.getByRole("status").textContent).toBe("Loading batches…");
    await screen.findByRole("button", { name: "Open batch 2" });
    expect(Array.from(document.querySelectorAll("tr[data-batch]"), (tr) => tr.getAttribute("data-batch"))).toEqual(["2", "1"]);
    expect(f.reader.history).toHaveBeenCalledWith({ kinds: ["BatchAnchored"] }, { size: 10, before: undefined });

    const table = await openBatchOne(user, gate);
    expect(gate.get).toHaveBeenCalledWith(CID, expect.objectContaining({ maxBytes: expect.any(Number) }));
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.getAttribute("data-seq"))).toEqual(["1", "2", "3"]);
    expect(Array.from(rows[1].querySelectorAll("td"), (td) => td.textContent).slice(0, 6)).toEqual([
      `${meter.address.slice(0, 6)}…${meter.address.slice(-4)}`,
      "energy of purchase 1",
      "500 Wh",
      "2026-09-21T14:43:20Z",
      "2026-09-21T14:58:20Z",
      "2",
    ]);
  });

  it("proves a picked reading: Merkle proof here and on chain, signature recovered to the meter, meter authorised", async () => {
    const f = await fixture();
    const gate = gatedStore(f.bytes);
    const user = userEvent.setup();
    renderInSession(h(ReadingProofPanel), { reader: f.reader, billStore: gate.store });
    await openBatchOne(user, gate);
    await user.click(screen.getByRole("button", { name: `Prove reading 2 of meter ${meter.address}` }));
    const result = await screen.findByTestId("reading-proof");
    expect(result.getAttribute("data-ok")).toBe("true");
    expect(checks()).toEqual({ "merkle-off-chain": "true", "merkle-on-chain": "true", signature: "true", authorisation: "true" });
    expect(result.textContent).toContain(`✓ Proven: reading 2 of meter ${meter.address} in batch 1.`);
    expect(checkText("merkle-off-chain")).toContain(`gives the anchored root ${f.tree.root}`);
    expect(checkText("merkle-on-chain")).toBe("✓ On-chain verifyReading(1, leaf, proof): true");
    expect(checkText("signature")).toBe(`✓ EIP-712 signature: recovers to ${meter.address}, the reading's meter`);
    expect(checkText("authorisation")).toBe(`✓ Meter at the anchor block #5: authorised for producer ${PRODUCER}`);
    const [, leaf, proof] = f.verifyReadingOnChain.mock.calls[0];
    expect(leaf).toBe(f.tree.leafHash(f.tree.at(1)!));
    expect(proof).toEqual(f.tree.getProof(1));
    expect(gate.get).toHaveBeenCalledTimes(1); // the batch file is fetched once
  });

  it("fails a pasted reading with one digit changed, on the Merkle proofs and the signature", async () => {
    const f = await fixture();
    const gate = gatedStore(f.bytes);
    const user = userEvent.setup();
    renderInSession(h(ReadingProofPanel), { reader: f.reader, billStore: gate.store });
    await openBatchOne(user, gate);
    const form = screen.getByRole("form", { name: "Prove a reading from its JSON" });
    expect((within(form).getByLabelText("Batch id") as HTMLInputElement).value).toBe("1");
    const altered = { ...signedReadingToJson(f.readings[1]), value: "501" };
    await user.click(within(form).getByLabelText(/^Reading JSON/));
    await user.paste(JSON.stringify(altered));
    await user.click(within(form).getByRole("button", { name: "Prove pasted reading" }));
    const result = await screen.findByTestId("reading-proof");
    expect(result.getAttribute("data-ok")).toBe("false");
    expect(result.getAttribute("role")).toBe("alert");
    expect(checks()).toEqual({ "merkle-off-chain": "false", "merkle-on-chain": "false", signature: "false", authorisation: "true" });
    expect(result.textContent).toContain(`✕ Not proven: reading 2 of meter ${meter.address} in batch 1.`);
    expect(checkText("merkle-off-chain")).toContain(`does not give the anchored root ${f.tree.root}`);
    expect(checkText("signature")).toMatch(
      new RegExp(`^✕ EIP-712 signature: recovers to 0x[0-9a-fA-F]{40}, not the meter ${meter.address}$`),
    );
    expect(checkText("signature")).not.toContain(`recovers to ${meter.address}`);
    expect(result.textContent).toContain("Value501 Wh");
  });

  it("names each bad field of a pasted reading and its rule, and proves nothing", async () => {
    const f = await fixture();
    const gate = gatedStore(f.bytes);
    const user = userEvent.setup();
    renderInSession(h(ReadingProofPanel), { reader: f.reader, billStore: gate.store });
    const form = screen.getByRole("form", { name: "Prove a reading from its JSON" });
    await user.type(within(form).getByLabelText("Batch id"), "1");
    await user.click(within(form).getByLabelText(/^Reading JSON/));
    await user.paste(JSON.stringify({ ...signedReadingToJson(f.readings[0]), value: "1.5", seq: "0" }));
    await user.click(within(form).getByRole("button", { name: "Prove pasted reading" }));
    const problems = await within(form).findByRole("alert");
    expect(Array.from(problems.querySelectorAll("li"), (li) => [li.getAttribute("data-field"), li.getAttribute("data-rule")])).toEqual([
      ["value", "integer"],
      ["seq", "min"],
    ]);
    expect(problems.textContent).toContain("seq must be at least 1 (rule: min)");
    expect(f.verifyReadingOnChain).not.toHaveBeenCalled();
    expect(gate.get).not.toHaveBeenCalled();
    expect(screen.queryByTestId("reading-proof")).toBeNull();

    await user.clear(within(form).getByLabelText(/^Reading JSON/));
    await user.click(within(form).getByLabelText(/^Reading JSON/));
    await user.paste("{ not json");
    await user.click(within(form).getByRole("button", { name: "Prove pasted reading" }));
    expect((await within(form).findByRole("alert")).textContent).toMatch(/^reading JSON: not valid JSON/);
  });

  it("shows why a batch file could not be fetched, and fetches it again on Retry", async () => {
    const f = await fixture();
    const gate = gatedStore(f.bytes, true);
    const user = userEvent.setup();
    renderInSession(h(ReadingProofPanel), { reader: f.reader, billStore: gate.store });
    await user.click(await screen.findByRole("button", { name: "Open batch 1" }));
    gate.release();
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain(`Could not open batch 1: ${CID} could not be reached`);
    await user.click(within(alert).getByRole("button", { name: "Retry" }));
    gate.release();
    await screen.findByTestId("batch-readings");
    await waitFor(() => expect(gate.get).toHaveBeenCalledTimes(2));
  });
});
