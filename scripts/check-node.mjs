// Stops npm start / npm test at once on a Node.js older than the project needs. Plain JS so that any Node runs it.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  console.error(
    `GridLedger needs Node.js >= 22.13 (Hardhat 3 refuses older); this is ${process.version}. ` +
      "Install Node 24 (see .nvmrc), e.g. `nvm install 24`, then run `npm ci` again.",
  );
  process.exit(1);
}
