/**
 * Batched readings alone: `npm run bench:batching [-- --quick]`; writes bench/results/batching.json.
 * `npm run bench` runs the same measurement with everything else. Full: three rounds per size, the median kept.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { measureBatching } from "../src/bench/batching.js";

const quick = process.argv.includes("--quick");
const sizes = quick ? [1, 10, 100, 1_000] : [1, 10, 100, 1_000, 10_000];
const result = await measureBatching({
  sizes,
  ...(quick ? { readingsPerSize: (size: number) => Math.max(size, 100), rounds: 1 } : {}),
  log: (line) => process.stderr.write(line + "\n"),
});
await mkdir("bench/results", { recursive: true });
await writeFile("bench/results/batching.json", JSON.stringify(result, null, 2) + "\n");
console.log(`signatures: ${result.signatureBackend}`);
console.table(result.batches.map(({ readingsPerSecRounds, ...row }) => ({ ...row, rounds: readingsPerSecRounds.join(" / ") })));
console.log("wrote bench/results/batching.json");
