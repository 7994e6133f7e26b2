/**
 * The IoT grid simulator. See `npm run simulate -- --help`.
 *
 *   npm run simulate -- --producers 10 --meters 30 --purchasers 50 --duration 120   # against `npm start`
 *   npm run simulate -- --local --duration 20                                       # on its own private chain
 */
import path from "node:path";
import { describeError } from "../src/ledgerErrors.js";
import { readSimConfig, SIM_USAGE, SimUsageError } from "../src/sim/config.js";
import { formatSummary } from "../src/sim/report.js";
import { useHttpTransport } from "../src/sim/httpTransport.js";
import { simulate } from "../src/sim/simulate.js";

let config;
try {
  config = readSimConfig(process.argv.slice(2), process.env);
} catch (error) {
  if (error instanceof SimUsageError) {
    process.stderr.write(`simulate: ${error.message.replace(/\n/g, "\nsimulate: ")}\n`);
    process.exit(2);
  }
  throw error;
}
if (config === "help") {
  process.stdout.write(SIM_USAGE + "\n");
  process.exit(0);
}

// ethers over httpTransport.ts: its own node:http transport adds intermittent ~40-50 ms stalls to every latency.
useHttpTransport();

const controller = new AbortController();
let interrupts = 0;
process.on("SIGINT", () => {
  if (++interrupts > 1) process.exit(130);
  process.stderr.write("\nsimulate: interrupted: no new actions; waiting for those in flight (Ctrl-C again to quit now)\n");
  controller.abort();
});

const quiet = config.quiet;
const log = (line: string) => {
  if (!quiet) process.stderr.write(`simulate: ${line}\n`);
};
try {
  const { report, out } = await simulate(config, { log, signal: controller.signal });
  if (!quiet) process.stdout.write(formatSummary(report) + "\n");
  else if (!report.ok) process.stderr.write(`simulate: CHECK FAILED\n${report.check.lines.join("\n")}\n`);
  log(`wrote ${path.relative(process.cwd(), out) || out}`);
  process.exit(report.ok ? 0 : 1);
} catch (error) {
  process.stderr.write(`simulate: ${describeError(error)}\n`);
  process.exit(1);
}
