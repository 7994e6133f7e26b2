import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { batchTree, LEAF_ENCODING, leafValues, meterRanges, READING_KIND, readingDomain, ReadingError, SequenceGuard, signReading, type Reading } from "../../src/readings.js";

const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const domain = readingDomain(31337, CONTRACT);
const meter = new Wallet("0x" + "11".repeat(32));
const other = new Wallet("0x" + "22".repeat(32));
const reading = (seq: bigint, value = 100n): Omit<Reading, "meter"> => ({
  kind: READING_KIND.energy,
  subject: 7n,
  value,
  start: 1_700_000_000n + seq * 60n,
  end: 1_700_000_060n + seq * 60n,
  seq,
});

describe("signed readings", () => {
  it("accepts a meter's readings in sequence", async () => {
    const guard = new SequenceGuard();
    for (let seq = 1n; seq <= 3n; seq++) guard.accept(domain, await signReading(meter, domain, reading(seq)));
    expect(guard.next(meter.address)).toBe(4n);
  });

  it("refuses a tampered value, a wrong meter, a replay, a gap and another chain or contract", async () => {
    const guard = new SequenceGuard();
    const first = await signReading(meter, domain, reading(1n));
    const rule = (f: () => void) => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(ReadingError);
        return (error as ReadingError).rule;
      }
      return "accepted";
    };
    expect(rule(() => guard.accept(domain, { ...first, reading: { ...first.reading, value: 101n } }))).toBe("signature");
    expect(rule(() => guard.accept(domain, { ...first, reading: { ...first.reading, meter: other.address } }))).toBe("signature");
    const forOtherChain = await signReading(meter, readingDomain(1, CONTRACT), reading(1n));
    expect(rule(() => guard.accept(domain, forOtherChain))).toBe("signature");
    const forOtherContract = await signReading(meter, readingDomain(31337, other.address), reading(1n));
    expect(rule(() => guard.accept(domain, forOtherContract))).toBe("signature");
    expect(guard.next(meter.address)).toBe(1n);

    guard.accept(domain, first);
    expect(rule(() => guard.accept(domain, first))).toBe("duplicate");
    const third = await signReading(meter, domain, reading(3n));
    expect(rule(() => guard.accept(domain, third))).toBe("gap");
    expect(guard.next(meter.address)).toBe(2n);
    const empty = await signReading(meter, domain, reading(2n, 0n));
    expect(rule(() => guard.accept(domain, empty))).toBe("value");
  });

  it("proves the first, a middle and the last reading of a batch, and not an altered one", async () => {
    const readings: Reading[] = [];
    for (let seq = 1n; seq <= 9n; seq++) readings.push((await signReading(seq % 2n ? meter : other, domain, reading(seq))).reading);
    const tree = batchTree(readings);
    for (const i of [0, 4, 8]) {
      const proof = tree.getProof(i);
      expect(StandardMerkleTree.verify(tree.root, LEAF_ENCODING, leafValues(readings[i]), proof)).toBe(true);
      const altered = leafValues({ ...readings[i], value: readings[i].value + 1n });
      expect(StandardMerkleTree.verify(tree.root, LEAF_ENCODING, altered, proof)).toBe(false);
    }
    expect(meterRanges(readings)).toEqual([
      { meter: meter.address, firstSeq: 1n, lastSeq: 9n },
      { meter: other.address, firstSeq: 2n, lastSeq: 8n },
    ]);
  });
});
