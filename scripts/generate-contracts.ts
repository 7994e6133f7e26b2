/** Regenerates src/generated/contracts.ts from the build and the Ignition deployments (run by `npm run build`). */
import path from "node:path";
import { generateContracts } from "../src/stack/contractMap.js";

const out = await generateContracts();
console.log(`wrote ${path.relative(process.cwd(), out)}`);
