/**
 * Configuration of `npm start`, from flags and the environment, validated with zod.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";

const port = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(1, `${name} must be between 1 and 65535`)
    .max(65535, `${name} must be between 1 and 65535`);
const httpUrl = (name: string) =>
  z
    .string()
    .url(`${name} must be a URL such as http://127.0.0.1:8545`)
    .refine((u) => /^https?:\/\//.test(u), `${name} must start with http:// or https://`);

export const stackConfigSchema = z.object({
  rpcPort: port("--rpc-port").default(8545),
  ipfsPort: port("--ipfs-port").default(5001),
  webPort: port("--web-port").default(5173),
  dataDir: z.string().min(1, "--data-dir must not be empty").default(".gridledger"),
  rpcUrl: httpUrl("--rpc-url").optional(),
  ipfsUrl: httpUrl("--ipfs-url").optional(),
  demo: z.boolean().default(false),
  fresh: z.boolean().default(false),
  yes: z.boolean().default(false),
});
export type StackConfig = z.infer<typeof stackConfigSchema>;

export const STACK_USAGE = `usage: npm start -- [options]

  --rpc-port N     local chain port (env GRIDLEDGER_RPC_PORT, default 8545)
  --ipfs-port N    IPFS service port (env GRIDLEDGER_IPFS_PORT, default 5001)
  --web-port N     web app port (env GRIDLEDGER_WEB_PORT, default 5173)
  --data-dir DIR   where the chain, IPFS blocks and deployment live (env GRIDLEDGER_DATA_DIR, default .gridledger)
  --rpc-url URL    use this chain instead of the local one (env GRIDLEDGER_RPC_URL)
  --ipfs-url URL   use this Kubo RPC API instead of the embedded IPFS node (env GRIDLEDGER_IPFS_URL)
  --demo           seed a small grid: 3 producers with meters, 5 purchasers, complete cycles with bills
  --fresh          start from an empty state (asks first; --yes to skip the question)
  --yes            answer yes to --fresh
  -h, --help       this help`;

/** Reads flags and environment; throws an Error naming each bad field, rule and value. */
export function readStackConfig(argv: string[], env: NodeJS.ProcessEnv): StackConfig | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      "rpc-port": { type: "string" },
      "ipfs-port": { type: "string" },
      "web-port": { type: "string" },
      "data-dir": { type: "string" },
      "rpc-url": { type: "string" },
      "ipfs-url": { type: "string" },
      demo: { type: "boolean" },
      fresh: { type: "boolean" },
      yes: { type: "boolean", short: "y" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  const raw = {
    rpcPort: values["rpc-port"] ?? env.GRIDLEDGER_RPC_PORT,
    ipfsPort: values["ipfs-port"] ?? env.GRIDLEDGER_IPFS_PORT,
    webPort: values["web-port"] ?? env.GRIDLEDGER_WEB_PORT,
    dataDir: values["data-dir"] ?? env.GRIDLEDGER_DATA_DIR,
    rpcUrl: values["rpc-url"] ?? env.GRIDLEDGER_RPC_URL,
    ipfsUrl: values["ipfs-url"] ?? env.GRIDLEDGER_IPFS_URL,
    demo: values.demo ?? false,
    fresh: values.fresh ?? false,
    yes: values.yes ?? false,
  };
  const parsed = stackConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const field = String(issue.path[0]);
      return `${issue.message} (got ${JSON.stringify((raw as Record<string, unknown>)[field])})`;
    });
    throw new Error(lines.join("; "));
  }
  const config = parsed.data;
  const ports = [config.rpcPort, config.ipfsPort, config.webPort];
  if (new Set(ports).size !== ports.length) throw new Error(`--rpc-port, --ipfs-port and --web-port must differ (got ${ports.join(", ")})`);
  return { ...config, dataDir: path.resolve(config.dataDir) };
}
