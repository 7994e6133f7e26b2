/**
 * The batch file an aggregator stores on IPFS, and the JSON form of one signed reading (what `sign-reading`
 * prints, what meters POST to an aggregator, what a batch file lists). Both come from outside — IPFS, a pasted
 * or dropped file — so both are parsed here with zod, naming the field and the rule a bad value breaks.
 *
 * No node: imports: the web app reads batch files in the browser.
 */
import { z } from "zod";
import { fields, validate } from "./schemas.js";
import { READING_KIND, type Reading, type SignedReading } from "./readings.js";

export const BATCH_FORMAT = "gridledger-batch/1";

/** A signed reading as JSON: integers as decimal strings (numbers are accepted when they are safe integers). */
export interface SignedReadingJson {
  meter: string;
  kind: number;
  subject: string;
  value: string;
  start: string;
  end: string;
  seq: string;
  signature: string;
}

/** A batch file as stored on IPFS: every reading with its signature, in tree order. */
export interface BatchFile {
  format: typeof BATCH_FORMAT;
  chainId: string;
  contract: string;
  leafEncoding: string[];
  root: string;
  readings: SignedReadingJson[];
}

/** Largest batch file read back (an aggregator anchors at most 100,000 readings of about 300 bytes each). */
export const MAX_BATCH_FILE_BYTES = 64 * 1024 * 1024;

/** One rule broken by a field, reported through zod with a stable rule name. */
function fail(ctx: z.core.$RefinementCtx, value: unknown, rule: string, message: string): never {
  ctx.addIssue({ code: "custom", message, input: value, params: { rule, value } });
  return z.NEVER;
}

/** An unsigned integer of `bits` bits, at least `min`: decimal digits in a string, or a safe integer. */
function uint(bits: number, min = 0n) {
  const max = (1n << BigInt(bits)) - 1n;
  return z.custom<string | number>(() => true).transform((value, ctx): bigint => {
    if (value === undefined) return fail(ctx, value, "required", "is required");
    const digits = typeof value === "number" ? (Number.isSafeInteger(value) ? String(value) : "") : typeof value === "string" ? value.trim() : "";
    if (!/^\d{1,78}$/.test(digits)) return fail(ctx, value, "integer", "must be a whole number ≥ 0 in decimal digits");
    const n = BigInt(digits);
    if (n < min) return fail(ctx, value, "min", `must be at least ${min}`);
    if (n > max) return fail(ctx, value, "max", `must be at most 2^${bits} − 1`);
    return n;
  });
}

const kind = z.custom<number>(() => true).transform((value, ctx): Reading["kind"] => {
  if (value === READING_KIND.storage || value === READING_KIND.energy) return value;
  return fail(ctx, value, "kind", `must be ${READING_KIND.storage} (storage) or ${READING_KIND.energy} (energy)`);
});

const signature = z.custom<string>(() => true).transform((value, ctx): string => {
  if (typeof value === "string" && /^0x[0-9a-fA-F]{130}$/.test(value.trim())) return value.trim();
  return fail(ctx, value, "signature", 'must be "0x" followed by 130 hex digits (a 65-byte signature)');
});

/** A signed reading in its JSON form; the window must be non-empty (start before end). */
export const signedReadingJson = z
  .strictObject({
    meter: fields.address,
    kind,
    subject: uint(256, 1n),
    value: uint(256),
    start: uint(64),
    end: uint(64),
    seq: uint(64, 1n),
    signature,
  })
  .superRefine(
    (r, ctx) => {
      if (typeof r.start === "bigint" && typeof r.end === "bigint" && r.start >= r.end) {
        ctx.addIssue({ code: "custom", path: ["end"], message: `must be after start (${r.start}); it is ${r.end}`, params: { rule: "start_before_end" } });
      }
    },
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  )
  .transform(({ signature: sig, ...reading }): SignedReading => ({ reading, signature: sig }));

const batchFileSchema = z.object({
  format: z.literal(BATCH_FORMAT),
  chainId: z.string(),
  contract: z.string(),
  leafEncoding: z.array(z.string()),
  root: z.string().regex(/^0x[0-9a-f]{64}$/i),
  readings: z.array(signedReadingJson).min(1),
});

/** A signed reading from its JSON form (a parsed object); throws a ValidationError naming each bad field. */
export function parseSignedReading(input: unknown): SignedReading {
  return validate(signedReadingJson, input);
}

/** A signed reading from JSON text, as pasted or dropped; the error says what is wrong with it. */
export function parseSignedReadingText(text: string): SignedReading {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new Error(`reading JSON: not valid JSON (${(error as Error).message})`);
  }
  return parseSignedReading(input);
}

/** The JSON form of a signed reading: what `sign-reading` prints and a batch file holds. */
export function signedReadingToJson(s: SignedReading): SignedReadingJson {
  const r = s.reading;
  return {
    meter: r.meter,
    kind: r.kind,
    subject: r.subject.toString(),
    value: r.value.toString(),
    start: r.start.toString(),
    end: r.end.toString(),
    seq: r.seq.toString(),
    signature: s.signature,
  };
}

/** A batch file read back from its bytes, its format and every reading checked. */
export function parseBatchFile(bytes: Uint8Array): BatchFile {
  let input: unknown;
  try {
    input = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new Error(`batch file: not valid JSON (${(error as Error).message})`);
  }
  if (typeof input !== "object" || input === null || (input as { format?: unknown }).format !== BATCH_FORMAT) {
    throw new Error(`batch file: format must be "${BATCH_FORMAT}"`);
  }
  const parsed = validate(batchFileSchema, input);
  return { ...parsed, readings: parsed.readings.map(signedReadingToJson) };
}

/** The readings of a batch file that parseBatchFile checked, in tree order. */
export function batchFileReadings(file: BatchFile): SignedReading[] {
  return file.readings.map((r) => ({
    reading: {
      meter: r.meter,
      kind: r.kind as Reading["kind"],
      subject: BigInt(r.subject),
      value: BigInt(r.value),
      start: BigInt(r.start),
      end: BigInt(r.end),
      seq: BigInt(r.seq),
    },
    signature: r.signature,
  }));
}
