/**
 * ABI coding of one-word value types (uint<N>, address, bool, bytes32), word by word: the calls and events of
 * GridLedger whose every parameter is one are most of them. ethers builds a reader or writer, a coder per
 * parameter and a Result for every call, which was about a fifth of the client's CPU per event in the throughput
 * benchmark once signing was native.
 *
 * The bytes and values are ethers' (checked against AbiCoder and decodeEventLog for every such call and event in
 * test/core/staticAbi.test.ts). What ethers refuses is refused here too: a log with too few topics, short data,
 * an address word with high bits set, anything not hex. A call argument outside the plain forms (a bigint in
 * range, a checksummed or single-case address, a boolean, 32 bytes of hex) is left to ethers, so it is coded,
 * or refused, as ethers does.
 */
import type { EventFragment, ParamType } from "ethers";
import { checksumAddress } from "./keccak.js";

type Word = { kind: "uint"; max: bigint } | { kind: "address" } | { kind: "bool" } | { kind: "bytes32" };

/** Decodes (topics, data) to the event's values in parameter order; throws for a malformed log. */
export type StaticEventDecoder = (topics: readonly string[], data: string) => unknown[];

/** Encodes a call's arguments to hex words (no 0x); undefined when an argument is not in a plain form. */
export type StaticArgsEncoder = (args: readonly unknown[]) => string | undefined;

const HEX_WORD = /^0x[0-9a-fA-F]{64}$/;
const HEX_DATA = /^0x(?:[0-9a-fA-F]{2})*$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const ZERO_PREFIX = "0".repeat(24);
const ZERO_WORD = "0".repeat(64);
const ONE_WORD = `${"0".repeat(63)}1`;

/** A decoder for the event, or undefined when a parameter is not a one-word value type (the caller uses ethers). */
export function staticEventDecoder(fragment: EventFragment): StaticEventDecoder | undefined {
  if (fragment.anonymous) return undefined;
  const params = wordsOf(fragment.inputs);
  if (!params) return undefined;
  const indexed = fragment.inputs.map((p) => p.indexed === true);
  const indexedCount = indexed.filter(Boolean).length;
  const dataWords = params.length - indexedCount;
  return (topics, data) => {
    if (topics.length < indexedCount + 1) throw new Error(`${fragment.name}: ${indexedCount} indexed parameters but ${topics.length - 1} topics`);
    if (!HEX_DATA.test(data) || data.length < 2 + 64 * dataWords) throw new Error(`${fragment.name}: data is not ${dataWords} words of hex`);
    const values: unknown[] = [];
    let topic = 1;
    let offset = 2;
    params.forEach((word, i) => {
      let hex: string;
      if (indexed[i]) {
        const t = topics[topic++];
        if (!HEX_WORD.test(t)) throw new Error(`${fragment.name}: topic ${topic - 1} is not a 32-byte word`);
        hex = t.slice(2);
      } else {
        hex = data.slice(offset, offset + 64);
        offset += 64;
      }
      values.push(decodeWord(word, hex, fragment.name));
    });
    return values;
  };
}

/** An encoder for these parameters, or undefined when one is not a one-word value type (the caller uses ethers). */
export function staticArgsEncoder(inputs: readonly ParamType[]): StaticArgsEncoder | undefined {
  const params = wordsOf(inputs);
  if (!params) return undefined;
  return (args) => {
    if (args.length !== params.length) return undefined;
    let out = "";
    for (let i = 0; i < params.length; i++) {
      const word = encodeWord(params[i], args[i]);
      if (word === undefined) return undefined;
      out += word;
    }
    return out;
  };
}

function wordsOf(inputs: readonly ParamType[]): Word[] | undefined {
  const words: Word[] = [];
  for (const input of inputs) {
    const word = wordOf(input.type);
    if (!word) return undefined;
    words.push(word);
  }
  return words;
}

function wordOf(type: string): Word | undefined {
  if (type === "address") return { kind: "address" };
  if (type === "bool") return { kind: "bool" };
  if (type === "bytes32") return { kind: "bytes32" };
  const uint = /^uint(\d*)$/.exec(type);
  if (uint) {
    const bits = uint[1] === "" ? 256 : Number(uint[1]);
    return { kind: "uint", max: (1n << BigInt(bits)) - 1n };
  }
  return undefined;
}

function decodeWord(word: Word, hex: string, event: string): unknown {
  switch (word.kind) {
    case "uint":
      // As ethers: the low bits of the word (a well-formed log has nothing above them).
      return BigInt(`0x${hex}`) & word.max;
    case "address":
      if (!hex.startsWith(ZERO_PREFIX)) throw new Error(`${event}: an address word has bits above its 20 bytes`);
      return checksumAddress(`0x${hex.slice(24)}`);
    case "bool":
      return /[^0]/.test(hex);
    case "bytes32":
      return `0x${hex.toLowerCase()}`;
  }
}

/** One argument as a 64-digit hex word; undefined for anything but the plain form of its type. */
function encodeWord(word: Word, value: unknown): string | undefined {
  switch (word.kind) {
    case "uint":
      if (typeof value !== "bigint" || value < 0n || value > word.max) return undefined;
      return value.toString(16).padStart(64, "0");
    case "address":
      if (typeof value !== "string" || !ADDRESS.test(value)) return undefined;
      try {
        // Refuses a mixed-case address whose checksum is wrong, as ethers does.
        return checksumAddress(value).slice(2).toLowerCase().padStart(64, "0");
      } catch {
        return undefined;
      }
    case "bool":
      return typeof value === "boolean" ? (value ? ONE_WORD : ZERO_WORD) : undefined;
    case "bytes32":
      return typeof value === "string" && HEX_WORD.test(value) ? value.slice(2).toLowerCase() : undefined;
  }
}
