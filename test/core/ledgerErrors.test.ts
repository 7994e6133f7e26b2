import { describe, expect, it } from "vitest";
import { Interface } from "ethers";
import { gridLedgerAbi } from "../../src/generated/contracts.js";
import { decodeLedgerError, LedgerError } from "../../src/ledgerErrors.js";

describe("decoded errors", () => {
  it("has a readable message for every custom error of the contract", () => {
    const iface = new Interface(gridLedgerAbi);
    const names: string[] = [];
    iface.forEachError((e) => names.push(e.name));
    expect(names.length).toBeGreaterThan(50);
    for (const name of names) {
      const fragment = iface.getError(name)!;
      const args = fragment.inputs.map((input) => (input.type === "address" ? "0x" + "11".repeat(20) : input.type === "string" ? "x" : 1n));
      const decoded = decodeLedgerError({ data: iface.encodeErrorResult(fragment, args) });
      expect(decoded, name).toBeInstanceOf(LedgerError);
      const message = (decoded as LedgerError).message;
      // A generic rendering is the arguments joined by commas; every error has its own sentence instead.
      expect(message, name).not.toBe(`${name}: ${args.map(String).join(", ")}`);
      expect(message.startsWith(`${name}: `), name).toBe(true);
    }
  });
});
