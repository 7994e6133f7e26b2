import { describe, expect, it } from "vitest";
import { PAPER_FEES, SEPOLIA, feeEth, paperTable } from "../../src/bench/paperTable.js";

describe("the paper's table, recomputed", () => {
  it("gives the paper's own fees for its 54,246 gas at 3, 4.5 and 20 gwei (to its six decimals)", () => {
    const { rows } = paperTable({});
    const paper = rows[0];
    expect(paper.gas).toBe(54_246);
    for (const p of PAPER_FEES) expect(paper.feeEth[p.gwei].toFixed(6)).toBe(p.paperEth.toFixed(6));
  });

  it("computes fees in exact wei: 53,130 gas at 4.5 gwei is 239,085 gwei", () => {
    expect(feeEth(53_130, "4.5")).toBe(0.000239085);
    expect(feeEth(1, "20")).toBe(0.00000002);
  });

  it("counts events a block and a day holds from the gas limit and slot time, and half that at the gas target", () => {
    const { rows, blocksPerDay } = paperTable({ transfer: 67_785 }, { ...SEPOLIA, blockGasLimit: 60_000_000, slotSeconds: 12 });
    expect(blocksPerDay).toBe(7_200);
    const transfer = rows.find((r) => r.event === "transfer")!;
    expect(transfer.perBlock).toBe(885); // 60,000,000 / 67,785 = 885.15
    expect(transfer.perDay).toBe(885 * 7_200);
    expect(transfer.perDayAtTarget).toBe(442 * 7_200);
  });

  it("rejects chain parameters that cannot be, naming the field and the rule", () => {
    expect(() => paperTable({}, { ...SEPOLIA, slotSeconds: 0 })).toThrow(/slotSeconds[\s\S]*more than 0 seconds/);
    expect(() => paperTable({}, { ...SEPOLIA, blockGasLimit: 20_999 })).toThrow(/blockGasLimit[\s\S]*at least 21,000/);
  });
});

describe("the paper's table for batched readings", () => {
  it("prices a reading's share of its batch (a fraction of gas) to the wei", () => {
    expect(feeEth(63.2, "3")).toBe(1.896e-7);
    expect(paperTable({ "batched reading": 63.2 }).rows[1].perBlock).toBe(949_367);
  });
});
