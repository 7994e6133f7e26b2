/**
 * Flags of `npm run simulate`, validated with zod: every bad flag is named with its rule and the value given.
 */
import { parseArgs } from "node:util";
import { isAddress } from "ethers";
import { z } from "zod";
import { parseEth } from "../units.js";

const whole = (flag: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${flag} must be a number` })
    .refine((n) => Number.isFinite(n), `${flag} must be a number`)
    .refine((n) => Number.isInteger(n), `${flag} must be a whole number`)
    .refine((n) => n >= min && n <= max, `${flag} must be between ${min} and ${max}`);
const seconds = (flag: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${flag} must be a number of seconds` })
    .refine((n) => Number.isFinite(n) && n >= min && n <= max, `${flag} must be between ${min} and ${max} seconds`);
const httpUrl = (flag: string) =>
  z
    .string()
    .url(`${flag} must be a URL such as http://127.0.0.1:8545`)
    .refine((u) => /^https?:\/\//.test(u), `${flag} must start with http:// or https://`);

export const simConfigSchema = z
  .object({
    producers: whole("--producers", 1, 500).default(10),
    meters: whole("--meters", 1, 5_000).default(30),
    purchasers: whole("--purchasers", 1, 5_000).default(50),
    duration: seconds("--duration", 1, 86_400).default(120),
    seed: z.string().min(1, "--seed must not be empty").max(100, "--seed must be at most 100 characters").default("42"),
    readingEvery: seconds("--reading-every", 0.2, 3_600).default(5),
    /** Mean gap between one purchaser's purchases; default: a fifth of --duration. */
    purchaseEvery: seconds("--purchase-every", 0.1, 86_400).optional(),
    budget: z
      .string()
      .transform((value, ctx) => {
        try {
          const wei = parseEth(/^\s*[\d.]+\s*$/.test(value) ? `${value} ETH` : value);
          if (wei <= 0n) ctx.addIssue({ code: "custom", message: "--budget must be more than 0 ETH" });
          return wei;
        } catch (error) {
          ctx.addIssue({ code: "custom", message: `--budget ${(error as Error).message}` });
          return z.NEVER;
        }
      })
      .default(10_000_000_000_000_000n),
    drain: seconds("--drain", 0, 3_600).default(60),
    rpcUrl: httpUrl("--rpc-url").default("http://127.0.0.1:8545"),
    ipfsUrl: httpUrl("--ipfs-url").default("http://127.0.0.1:5001"),
    contract: z
      .string()
      .refine((a) => isAddress(a), "--contract must be a 0x-prefixed 20-byte address")
      .optional(),
    local: z.boolean().default(false),
    blockTime: seconds("--block-time", 0, 60).default(0),
    clock: z.enum(["warp", "wait"], { error: '--clock must be "warp" or "wait"' }).default("warp"),
    out: z.string().min(1, "--out must not be empty").default("bench/results/simulate.json"),
    quiet: z.boolean().default(false),
    batched: z.boolean().default(false),
    /** Only with --batched; the aggregator CLI's defaults apply (1,000 readings, 30 s). */
    batchSize: whole("--batch-size", 1, 100_000).optional(),
    maxAge: seconds("--max-age", 0.1, 86_400).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.meters < c.producers) {
      ctx.addIssue({
        code: "custom",
        path: ["meters"],
        message: `--meters must be at least --producers (${c.producers}): every producer needs a meter to record its transfers`,
      });
    }
    if (c.blockTime > 0 && !c.local) {
      ctx.addIssue({ code: "custom", path: ["blockTime"], message: "--block-time sets the mining of the chain --local starts: add --local" });
    }
    if (c.local && c.contract) {
      ctx.addIssue({ code: "custom", path: ["contract"], message: "--contract names a deployed contract: drop it with --local, which deploys its own" });
    }
    for (const [field, flag] of [["batchSize", "--batch-size"], ["maxAge", "--max-age"]] as const) {
      if (c[field] !== undefined && !c.batched) ctx.addIssue({ code: "custom", path: [field], message: `${flag} sets the aggregator of --batched readings: add --batched` });
    }
  })
  .transform((c) => ({ ...c, batchSize: c.batchSize ?? 1_000, maxAge: c.maxAge ?? 30 }));

export type SimConfig = z.output<typeof simConfigSchema>;

export const SIM_USAGE = `usage: npm run simulate -- [options]

Simulates an IoT grid against GridLedger: producers open offers, their meters (each its own account and key)
send storage readings on a schedule and record deliveries, purchasers buy, acknowledge and get billed, and
everyone withdraws at the end. Every transaction is accounted for and checked against recordCounts().

  --producers N        producers, each with one offer (default 10)
  --meters N           meters, each its own account, shared out among producers (default 30, >= --producers)
  --purchasers N       purchasers (default 50)
  --duration S         seconds of activity; deliveries and bills then finish within --drain (default 120)
  --seed S             seed of the plan: the same seed and sizes give the same actions (default 42)
  --reading-every S    seconds between one meter's storage readings (default 5)
  --purchase-every S   mean seconds between one purchaser's purchases (default: --duration / 5)
  --budget ETH         what each purchaser may spend on energy (default 0.01 ETH)
  --drain S            longest wait after --duration for deliveries, bills and withdrawals (default 60)
  --rpc-url URL        the chain (default http://127.0.0.1:8545, the \`npm start\` chain; env GRIDLEDGER_RPC_URL)
  --contract ADDRESS   GridLedger's address (default: src/generated/contracts.ts for the chain id)
  --ipfs-url URL       Kubo RPC API for bills (default http://127.0.0.1:5001, the \`npm start\` IPFS service)
  --local, --embedded  start a private anvil + GridLedger + embedded bill store in a temp dir (no stack needed)
  --block-time S       with --local: mine a block every S seconds instead of one per transaction (default 0)
  --clock warp|wait    delivery windows need hours of chain time: "warp" (default) moves the chain's clock
                       forward (evm_increaseTime; on the \`npm start\` chain it stays moved on), "wait" waits for
                       real time (a delivery then takes as long as its window, minutes to hours: deliveries
                       that cannot end by --duration + --drain are reported as skipped)
  --batched            meters sign their storage readings (EIP-712) and post them to an aggregator, which anchors
                       them in batches (one transaction per batch), instead of one transaction per reading
  --batch-size N       with --batched: readings per batch (default 1000)
  --max-age S          with --batched: anchor a partial batch once its oldest reading is S seconds old (default 30);
                       whatever is pending when the readings end is anchored then
  --out FILE           the JSON report (default bench/results/simulate.json)
  --quiet              no progress bar and no table; errors only
  -h, --help           this help

Exits 0 when every action is accounted for (sent = mined + failed) and the chain's recordCounts() moved by
exactly what was mined — with --batched, the readings anchored on chain (BatchAnchored counts) are the readings
sent less those refused; 1 otherwise; 2 on a bad flag.`;

export class SimUsageError extends Error {
  override readonly name = "SimUsageError";
}

/** Reads flags (and GRIDLEDGER_RPC_URL / GRIDLEDGER_IPFS_URL); throws a SimUsageError naming every bad flag. */
export function readSimConfig(argv: string[], env: NodeJS.ProcessEnv = {}): SimConfig | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        producers: { type: "string" },
        meters: { type: "string" },
        purchasers: { type: "string" },
        duration: { type: "string" },
        seed: { type: "string" },
        "reading-every": { type: "string" },
        "purchase-every": { type: "string" },
        budget: { type: "string" },
        drain: { type: "string" },
        "rpc-url": { type: "string" },
        "ipfs-url": { type: "string" },
        contract: { type: "string" },
        local: { type: "boolean" },
        embedded: { type: "boolean" },
        "block-time": { type: "string" },
        clock: { type: "string" },
        out: { type: "string" },
        quiet: { type: "boolean", short: "q" },
        batched: { type: "boolean" },
        "batch-size": { type: "string" },
        "max-age": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new SimUsageError(`${(error as Error).message} (see --help)`);
  }
  if (values.help) return "help";
  const raw: Record<string, unknown> = {
    producers: values.producers,
    meters: values.meters,
    purchasers: values.purchasers,
    duration: values.duration,
    seed: values.seed,
    readingEvery: values["reading-every"],
    purchaseEvery: values["purchase-every"],
    budget: values.budget,
    drain: values.drain,
    rpcUrl: values["rpc-url"] ?? env.GRIDLEDGER_RPC_URL,
    ipfsUrl: values["ipfs-url"] ?? env.GRIDLEDGER_IPFS_URL,
    contract: values.contract,
    local: Boolean(values.local || values.embedded),
    blockTime: values["block-time"],
    clock: values.clock,
    out: values.out,
    quiet: values.quiet ?? false,
    batched: values.batched ?? false,
    batchSize: values["batch-size"],
    maxAge: values["max-age"],
  };
  return parseSimConfig(raw);
}

/** Validates a configuration given as an object (numbers may be strings, as from flags). */
export function parseSimConfig(raw: Record<string, unknown>): SimConfig {
  const parsed = simConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const field = String(issue.path[0] ?? "");
    const given = field in raw && raw[field] !== undefined ? ` (got ${JSON.stringify(raw[field])})` : "";
    return `${issue.message}${given}`;
  });
  throw new SimUsageError(lines.join("\n"));
}
