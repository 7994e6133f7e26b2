import { expect } from "chai";
import { network } from "hardhat";
import { batchTree, leafValues, meterRanges, READING_KIND, type Reading } from "../../src/readings.js";

const { ethers, networkHelpers } = await network.create();
const DAY = 86_400n;
const RATE = 200_000_000_000n;
const DIGEST = "0x" + "ab".repeat(32);

async function deployed() {
  const [operator, producer, meter, purchaser, aggregator] = await ethers.getSigners();
  const ledger = await ethers.deployContract("GridLedger", [operator.address, DAY, 3n * DAY, 7n * DAY]);
  await ledger.connect(producer).authorizeMeter(meter.address, 10_000n);
  await ledger.connect(producer).openOffer(100_000n, 80_000n, RATE, "North");
  await ledger.connect(purchaser).purchase(1n, 10_000n, { value: 10_000n * RATE });
  const purchasedAt = BigInt(await networkHelpers.time.latest());
  await networkHelpers.time.increase(3 * 3600);
  // Ten 10-minute energy readings of 1 kWh each, then two storage readings, all by the meter.
  const readings: Reading[] = [];
  for (let i = 0n; i < 10n; i++) {
    readings.push({ meter: meter.address, kind: READING_KIND.energy, subject: 1n, value: 1_000n, start: purchasedAt + 60n + i * 600n, end: purchasedAt + 660n + i * 600n, seq: i + 1n });
  }
  for (let i = 0n; i < 2n; i++) {
    readings.push({ meter: meter.address, kind: READING_KIND.storage, subject: 1n, value: 70_000n, start: purchasedAt + 7000n + i, end: purchasedAt + 7001n + i, seq: 11n + i });
  }
  const tree = batchTree(readings);
  const ranges = meterRanges(readings).map((r) => ({ meter: r.meter, firstSeq: r.firstSeq, lastSeq: r.lastSeq }));
  return { ledger, operator, producer, meter, purchaser, aggregator, readings, tree, ranges };
}

const asStruct = (r: Reading) => ({ meter: r.meter, kind: r.kind, subject: r.subject, value: r.value, start: r.start, end: r.end, seq: r.seq });

describe("batches of signed readings", function () {
  it("anchors a batch: root stored, everything else in the log", async function () {
    const { ledger, aggregator, tree, ranges } = await networkHelpers.loadFixture(deployed);
    await expect(ledger.connect(aggregator).anchorBatch(tree.root, DIGEST, 0x55, 12n, ranges))
      .to.emit(ledger, "BatchAnchored")
      .withArgs(1n, aggregator.address, tree.root, DIGEST, 0x55, 12n, ranges.map((r) => [r.meter, r.firstSeq, r.lastSeq]));
    expect(await ledger.batchRoot(1n)).to.equal(tree.root);
    expect(await ledger.batchCount()).to.equal(1n);
  });

  it("rejects an empty batch, a zero root, a bad codec, a backwards range and ranges that miss the count", async function () {
    const { ledger, aggregator, tree, ranges, meter } = await networkHelpers.loadFixture(deployed);
    const a = ledger.connect(aggregator);
    await expect(a.anchorBatch(tree.root, DIGEST, 0x55, 0n, [])).to.be.revertedWithCustomError(ledger, "EmptyBatch");
    await expect(a.anchorBatch(ethers.ZeroHash, DIGEST, 0x55, 12n, ranges)).to.be.revertedWithCustomError(ledger, "ZeroRoot");
    await expect(a.anchorBatch(tree.root, DIGEST, 0x71, 12n, ranges)).to.be.revertedWithCustomError(ledger, "UnsupportedCodec").withArgs(0x71);
    await expect(a.anchorBatch(tree.root, DIGEST, 0x55, 1n, [{ meter: meter.address, firstSeq: 5n, lastSeq: 4n }]))
      .to.be.revertedWithCustomError(ledger, "InvalidRange")
      .withArgs(meter.address, 5n, 4n);
    await expect(a.anchorBatch(tree.root, DIGEST, 0x55, 13n, ranges)).to.be.revertedWithCustomError(ledger, "RangeCountMismatch").withArgs(13n, 12n);
    expect(await ledger.batchCount()).to.equal(0n);
  });

  it("verifies the first, a middle and the last reading on-chain; an altered or absent one fails", async function () {
    const { ledger, aggregator, tree, ranges, readings } = await networkHelpers.loadFixture(deployed);
    await ledger.connect(aggregator).anchorBatch(tree.root, DIGEST, 0x55, 12n, ranges);
    for (const i of [0, 5, 11]) {
      const leaf = await ledger.readingLeaf(asStruct(readings[i]));
      expect(leaf).to.equal(tree.leafHash(leafValues(readings[i])));
      expect(await ledger.verifyReading(1n, leaf, tree.getProof(i))).to.equal(true);
      const altered = await ledger.readingLeaf(asStruct({ ...readings[i], value: readings[i].value + 1n }));
      expect(await ledger.verifyReading(1n, altered, tree.getProof(i))).to.equal(false);
    }
    const absent = await ledger.readingLeaf(asStruct({ ...readings[0], seq: 99n }));
    expect(await ledger.verifyReading(1n, absent, tree.getProof(0))).to.equal(false);
    await expect(ledger.verifyReading(2n, absent, [])).to.be.revertedWithCustomError(ledger, "UnknownBatch").withArgs(2n);
  });

  it("records one transfer from proven readings, summing them", async function () {
    const { ledger, aggregator, tree, ranges, readings, meter, purchaser, producer } = await networkHelpers.loadFixture(deployed);
    await ledger.connect(aggregator).anchorBatch(tree.root, DIGEST, 0x55, 12n, ranges);
    const { leaves, proof, proofFlags } = tree.getMultiProof([2, 3, 4, 5]);
    // The multi-proof lists its leaves in tree order, which is the readings' sequence order.
    const chosen = leaves.map((leaf) => readings.find((r) => r.seq === leaf[6])!);
    expect(chosen.map((r) => r.seq)).to.deep.equal([3n, 4n, 5n, 6n]);
    await expect(ledger.connect(meter).recordTransferFromReadings(1n, 1n, chosen.map(asStruct), proof, proofFlags, "inverter-1"))
      .to.emit(ledger, "EnergyTransferred")
      .withArgs(1n, producer.address, purchaser.address, 0n, meter.address, 4_000n, chosen[0].start, chosen[3].end, 4_000n * RATE, "inverter-1")
      .and.to.emit(ledger, "ReadingsSettled")
      .withArgs(1n, 1n, 0n, 4n);
    const p = await ledger.purchaseOf(1n);
    expect(p.delivered).to.equal(4_000n);
    expect((await ledger.meterOf(meter.address)).lastEnd).to.equal(chosen[3].end);
  });

  it("refuses readings not in the batch, of another kind or purchase, out of order, or beyond the rated power", async function () {
    const { ledger, aggregator, tree, ranges, readings, meter, producer } = await networkHelpers.loadFixture(deployed);
    await ledger.connect(aggregator).anchorBatch(tree.root, DIGEST, 0x55, 12n, ranges);
    const m = ledger.connect(meter);
    const { proof, proofFlags } = tree.getMultiProof([0, 1]);
    const two = [readings[0], readings[1]];
    await expect(m.recordTransferFromReadings(1n, 1n, [{ ...two[0], value: 1_001n }, two[1]].map(asStruct), proof, proofFlags, "inv"))
      .to.be.revertedWithCustomError(ledger, "InvalidProof")
      .withArgs(1n);
    await expect(m.recordTransferFromReadings(1n, 2n, two.map(asStruct), proof, proofFlags, "inv")).to.be.revertedWithCustomError(ledger, "UnknownBatch");
    await expect(m.recordTransferFromReadings(2n, 1n, two.map(asStruct), proof, proofFlags, "inv")).to.be.revertedWithCustomError(ledger, "ReadingMismatch").withArgs(0n);
    const storage = tree.getMultiProof([10]);
    await expect(m.recordTransferFromReadings(1n, 1n, [asStruct(readings[10])], storage.proof, storage.proofFlags, "inv"))
      .to.be.revertedWithCustomError(ledger, "ReadingMismatch")
      .withArgs(0n);
    await expect(m.recordTransferFromReadings(1n, 1n, [two[1], two[0]].map(asStruct), proof, proofFlags, "inv"))
      .to.be.revertedWithCustomError(ledger, "ReadingsOutOfOrder")
      .withArgs(1n);
    // At 10 W, a 10-minute window allows 1 Wh: each reading of 1 kWh is impossible for the meter.
    await ledger.connect(producer).authorizeMeter(meter.address, 10n);
    await expect(m.recordTransferFromReadings(1n, 1n, two.map(asStruct), proof, proofFlags, "inv"))
      .to.be.revertedWithCustomError(ledger, "DeliveryExceedsRatedPower")
      .withArgs(meter.address, 1_000n, 1n);
    expect((await ledger.purchaseOf(1n)).delivered).to.equal(0n);
  });
});
