/**
 * `npm start`: the whole grid on one machine. See `npm start -- --help`.
 */
import { createInterface } from "node:readline/promises";
import { readStackConfig, STACK_USAGE } from "../src/stack/stackConfig.js";
import { startStack, wipeState } from "../src/stack/stack.js";

const log = (line: string) => console.log(line);
const fail = (message: string): never => {
  console.error(`gridledger: ${message}`);
  process.exit(1);
};

let config;
try {
  config = readStackConfig(process.argv.slice(2), process.env);
} catch (error) {
  fail(`${(error as Error).message}\n${STACK_USAGE}`);
}
if (config === "help") {
  console.log(STACK_USAGE);
  process.exit(0);
}
if (config!.fresh) {
  let yes = config!.yes;
  if (!yes && process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    yes = /^y(es)?$/i.test((await rl.question(`Delete every record, bill and balance in ${config!.dataDir}? [y/N] `)).trim());
    rl.close();
  } else if (!yes) {
    fail("--fresh deletes the whole local state: confirm with --yes when not running in a terminal");
  }
  if (!yes) fail("kept the existing state; nothing was deleted");
  await wipeState(config!);
  log(`fresh: removed ${config!.dataDir}`);
}

// Signals are handled from here on: during the start they abort it (whatever already runs is stopped), after it
// they stop the stack. Either way nothing is left running.
const starting = new AbortController();
let stack: Awaited<ReturnType<typeof startStack>> | undefined;
let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  if (!stack) {
    log(`\n${signal}: stopping the start ...`);
    starting.abort(new Error(`stopped by ${signal} while starting`));
    return;
  }
  log(`\n${signal}: stopping (the chain writes its state) ...`);
  await stack.stop();
  log("stopped; `npm start` picks up where this left off");
  process.exit(0);
};
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGHUP", () => void shutdown("SIGHUP"));
// If whatever started us (npm, a shell) goes away without passing a signal on, stop too: no orphans.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void shutdown("parent exited");
}, 1_000).unref();

try {
  stack = await startStack(config!, log, starting.signal);
} catch (error) {
  if (starting.signal.aborted) {
    log("stopped before the stack was up; nothing is left running");
    process.exit(0);
  }
  fail((error as Error).message);
}
log(`\nGridLedger is running. Open ${stack!.webUrl} in your browser. Stop with Ctrl-C.`);
