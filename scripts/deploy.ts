/**
 * Deploys GridLedger through its Ignition module and regenerates src/generated/contracts.ts.
 *
 *   npm run deploy -- --network localhost
 *   npm run deploy -- --network sepolia [--parameters ignition/parameters.sepolia.json]
 *
 * Keys and URLs for remote networks come from hardhat-keystore (`npx hardhat keystore set SEPOLIA_RPC_URL`,
 * `npx hardhat keystore set SEPOLIA_PRIVATE_KEY`) or the environment; none is in the repository.
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { generateContracts } from "../src/stack/contractMap.js";

const { values } = parseArgs({
  options: {
    network: { type: "string", default: "localhost" },
    parameters: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("usage: npm run deploy -- --network <name> [--parameters <file.json>]");
  process.exit(0);
}
const args = ["hardhat", "ignition", "deploy", "ignition/modules/GridLedger.ts", "--network", values.network!];
if (values.parameters) args.push("--parameters", values.parameters);
const result = spawnSync("npx", args, { stdio: "inherit" });
if (result.status !== 0) process.exit(result.status ?? 1);
const out = await generateContracts();
console.log(`deploy: ${out} now holds the address for this network`);
