/**
 * The word-by-word coder gives ethers' bytes for every GridLedger write it takes and ethers' values for every
 * event, over random values; it refuses the malformed logs ethers refuses and leaves arguments outside the plain
 * forms to ethers; calls and events with a string or an array stay with ethers.
 */
import { describe, expect, it } from "vitest";
import { AbiCoder, getAddress, id as keccakText, type EventFragment, type ParamType } from "ethers";
import { ledgerInterface, parseLedgerLog, EVENT_KINDS } from "../../src/events.js";
import { WRITE_METHODS } from "../../src/ledgerClient.js";
import { staticArgsEncoder, staticEventDecoder } from "../../src/staticAbi.js";

const fragments = EVENT_KINDS.map((k) => ledgerInterface.getEvent(k)!);
const staticKinds = fragments.filter((f) => staticEventDecoder(f)).map((f) => f.name);

/** A deterministic value of the parameter's type, from a label. */
function valueOf(param: ParamType, label: string): unknown {
  const word = keccakText(label);
  if (param.type === "address") return getAddress(`0x${word.slice(26)}`);
  if (param.type === "bool") return parseInt(word.slice(2, 4), 16) % 2 === 1;
  if (param.type === "bytes32") return word;
  const bits = Number(/^uint(\d+)$/.exec(param.type)![1]);
  // Small, large and extreme values.
  const pick = parseInt(word.slice(2, 4), 16) % 4;
  const max = (1n << BigInt(bits)) - 1n;
  return pick === 0 ? 0n : pick === 1 ? max : BigInt(word) & max;
}

function encoded(fragment: EventFragment, i: number) {
  const values = fragment.inputs.map((p, k) => valueOf(p, `${fragment.name}/${i}/${k}`));
  return ledgerInterface.encodeEventLog(fragment, values);
}

describe("staticEventDecoder", () => {
  it("takes every event of one-word values and leaves those with a string or an array to ethers", () => {
    expect(staticKinds.sort()).toEqual(
      EVENT_KINDS.filter((k) => !["OfferOpened", "EnergyTransferred", "BatchAnchored"].includes(k)).sort(),
    );
  });

  for (const fragment of fragments.filter((f) => staticKinds.includes(f.name))) {
    it(`decodes ${fragment.name} as ethers does`, () => {
      const decode = staticEventDecoder(fragment)!;
      for (let i = 0; i < 40; i++) {
        const { data, topics } = encoded(fragment, i);
        expect(decode(topics, data)).toEqual([...ledgerInterface.decodeEventLog(fragment, data, topics)]);
        // Upper-case hex reads the same.
        expect(decode(topics.map((t) => `0x${t.slice(2).toUpperCase()}`), `0x${data.slice(2).toUpperCase()}`)).toEqual(decode(topics, data));
      }
    });
  }

  it("refuses what ethers refuses: a missing topic, short data, an address with high bits, non-hex", () => {
    const fragment = ledgerInterface.getEvent("EnergyPurchased")!;
    const decode = staticEventDecoder(fragment)!;
    const { data, topics } = encoded(fragment, 1);
    const dirtyAddress = [...topics];
    dirtyAddress[2] = `0x01${topics[2].slice(4)}`;
    const cases: [string, readonly string[], string][] = [
      ["a missing topic", topics.slice(0, 3), data],
      ["short data", topics, data.slice(0, -2)],
      ["odd hex", topics, `${data}0`],
      ["an address with high bits", dirtyAddress, data],
      ["non-hex data", topics, `0x${"zz".repeat(96)}`],
    ];
    for (const [what, t, d] of cases) {
      // ethers throws for some as it decodes, for others (the address) as the value is read.
      expect(() => ledgerInterface.decodeEventLog(fragment, d, t).toArray(), what).toThrow();
      expect(() => decode(t, d), what).toThrow();
    }
  });
});

describe("parseLedgerLog", () => {
  it("gives the typed record of a static event, and undefined for a malformed one", () => {
    const fragment = ledgerInterface.getEvent("DisputeResolved")!;
    const { data, topics } = ledgerInterface.encodeEventLog(fragment, [7n, getAddress(`0x${"11".repeat(20)}`), getAddress(`0x${"22".repeat(20)}`), 3n, true, false]);
    const log = { topics, data, blockNumber: 5, blockHash: keccakText("b"), transactionHash: keccakText("t"), index: 2 };
    expect(parseLedgerLog(log as never)).toEqual({
      kind: "DisputeResolved",
      purchaseId: 7n,
      producer: getAddress(`0x${"11".repeat(20)}`),
      purchaser: getAddress(`0x${"22".repeat(20)}`),
      index: 3,
      upheld: true,
      expired: false,
      blockNumber: 5,
      blockHash: keccakText("b"),
      transactionHash: keccakText("t"),
      logIndex: 2,
    });
    expect(parseLedgerLog({ ...log, data: data.slice(0, 66) } as never)).toBeUndefined();
  });
});

describe("staticArgsEncoder", () => {
  const coder = AbiCoder.defaultAbiCoder();
  const writes = WRITE_METHODS.map((m) => ledgerInterface.getFunction(m)!);
  const staticWrites = writes.filter((f) => staticArgsEncoder(f.inputs));

  it("takes every write of one-word values and leaves those with a string or an array to ethers", () => {
    expect(staticWrites.map((f) => f.name).sort()).toEqual(
      WRITE_METHODS.filter((m) => !["openOffer", "recordTransfer", "anchorBatch", "recordTransferFromReadings"].includes(m)).sort(),
    );
  });

  it("gives ethers' bytes for every such write, over random arguments", () => {
    for (const fragment of staticWrites) {
      const encode = staticArgsEncoder(fragment.inputs)!;
      for (let i = 0; i < 40; i++) {
        const args = fragment.inputs.map((p, k) => valueOf(p, `${fragment.name}/call/${i}/${k}`));
        // Addresses in lower case too: ethers takes either.
        const spelled = args.map((a, k) => (i % 2 && fragment.inputs[k].type === "address" ? (a as string).toLowerCase() : a));
        expect(`0x${encode(spelled)}`, `${fragment.name} ${i}`).toBe(coder.encode(fragment.inputs, args));
      }
    }
  });

  it("leaves every other form to ethers: numbers, strings, out of range, a bad checksum, the wrong count", () => {
    const encode = staticArgsEncoder(ledgerInterface.getFunction("disputeTransfer")!.inputs)!;
    expect(encode([1n, 2n, 3n])).toBe(coder.encode(["uint256", "uint256", "uint8"], [1n, 2n, 3n]).slice(2));
    for (const args of [[1, 2n, 3n], ["1", 2n, 3n], [1n, 2n, 256n], [-1n, 2n, 3n], [1n, 2n]]) expect(encode(args), String(args)).toBeUndefined();
    const authorize = staticArgsEncoder(ledgerInterface.getFunction("authorizeMeter")!.inputs)!;
    const meter = getAddress(`0x${"ab".repeat(20)}`);
    const badChecksum = meter.slice(0, 3) + (meter[3] === meter[3].toUpperCase() ? meter[3].toLowerCase() : meter[3].toUpperCase()) + meter.slice(4);
    expect(authorize([badChecksum, 1n])).toBeUndefined();
    expect(() => coder.encode(["address", "uint256"], [badChecksum, 1n])).toThrow();
    expect(authorize(["0x1234", 1n])).toBeUndefined();
    const resolve = staticArgsEncoder(ledgerInterface.getFunction("resolveDispute")!.inputs)!;
    expect(resolve([1n, 2n, 1])).toBeUndefined();
    const bill = staticArgsEncoder(ledgerInterface.getFunction("recordBill")!.inputs)!;
    expect(bill([1n, "0x12", 1n])).toBeUndefined();
  });
});
