/**
 * Gas per grid event: GridLedger against a literal reading of the paper's algorithms, measured side by
 * side in one in-process chain. Writes bench/results/gas.json and prints a table. The measurement itself is
 * src/bench/gas.ts, which `npm run bench` runs too.
 *
 *   npm run bench:gas               # 1,000 records of each kind
 *   npm run bench:gas -- --quick    # 110 records of each kind
 */
import { mkdir, writeFile } from "node:fs/promises";
import { network } from "hardhat";
import { gasTableRows, measureGas, ruleCostRows } from "../src/bench/gas.js";

const quick = process.argv.includes("--quick");
const records = quick ? 110 : 1_000;

const { ethers } = await network.create();
const [operator, producer, meter, purchaser, baselineUser] = await ethers.getSigners();

process.stderr.write(`bench:gas: ${records} records of each kind${quick ? " (quick)" : ""}\n`);
const result = await measureGas({ signers: { operator, producer, meter, purchaser, baselineUser }, records });
await mkdir("bench/results", { recursive: true });
await writeFile("bench/results/gas.json", JSON.stringify(result, null, 2) + "\n");

console.table(gasTableRows(result));
console.log("the cost of each meter and dispute rule, and of the operations they bring:");
console.table(ruleCostRows(result));
console.log(`mean of storageUpdate, purchase, transfer, bill: ${result.recurringMean} gas (paper: ${result.paperGasPerPush})`);
console.log(`targets: ${JSON.stringify(result.targets)}`);
console.log("wrote bench/results/gas.json");
