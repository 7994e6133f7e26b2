import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/**
 * The compiler comes from the `solc` npm package, pinned in package.json, so a build
 * never downloads one. `SOLC_VERSION` must match that package's version.
 */
const SOLC_VERSION = "0.8.30";
const soljson = require.resolve("solc/soljson.js");

const compiler = {
  version: SOLC_VERSION,
  path: soljson,
  // `optimizer` first: Hardhat resolves the production profile's settings with an optimizer key ahead of the
  // user's, and a compilation job's id hashes the settings' JSON, key order included. In this order both
  // profiles resolve to the same settings, so `hardhat ignition deploy` (production) and `npm run build`
  // (default) reuse each other's build instead of recompiling (test/mocha/buildProfiles.test.ts).
  settings: {
    optimizer: { enabled: true, runs: 10_000 },
    evmVersion: "prague",
    viaIR: true,
  },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    profiles: {
      default: compiler,
      // The production profile (what `hardhat ignition deploy` builds with) compiles exactly as the default one:
      // Hardhat's production defaults (isolated jobs, tool versions in the build info) would make every deploy
      // recompile the contracts and the next `npm run build` recompile them back, about a minute each here.
      production: { ...compiler, isolated: false, toolVersionsInBuildInfo: false },
    },
  },
  paths: {
    tests: { mocha: "test/mocha", solidity: "contracts" },
  },
  test: {
    solidity: {
      fuzz: { runs: 256, seed: "0x6772696464" },
      invariant: { runs: 64, depth: 32, failOnRevert: false },
    },
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    localhost: { type: "http", chainType: "l1", url: process.env.GRIDLEDGER_RPC_URL ?? "http://127.0.0.1:8545" },
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
  },
});
