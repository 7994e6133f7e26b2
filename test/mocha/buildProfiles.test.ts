import { expect } from "chai";
import hre from "hardhat";

/**
 * `hardhat ignition deploy` builds with the production profile and `npm run build` with the default one. A
 * compilation job's id hashes its resolved compiler config as JSON, so the two profiles must resolve to the
 * same JSON, key order included: otherwise every deploy recompiles the contracts and the next build
 * recompiles them back (a minute each with solc-js).
 */
describe("build profiles", function () {
  it("resolve the production profile to exactly the default one, so a deploy reuses the build", function () {
    const { default: standard, production } = hre.config.solidity.profiles;
    expect(JSON.stringify(production)).to.equal(JSON.stringify(standard));
    expect(standard.isolated).to.equal(false);
    expect(standard.compilers[0].settings.viaIR).to.equal(true);
  });
});
