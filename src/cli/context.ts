/**
 * What every command needs: validated configuration, a signer, the ledger client and the bill store.
 * Keys come from the environment or a keystore file, never from a flag that lands in shell history.
 */
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline/promises";
import { JsonRpcProvider, Wallet, type Signer } from "ethers";
import { openBillStore, type BillStore } from "../billStore.js";
import { GridLedgerClient } from "../ledgerClient.js";
import { configSchema, validate } from "../schemas.js";

export interface GlobalOptions {
  rpcUrl: string;
  contract?: string;
  ipfsUrl: string;
  ipfsDir?: string;
  keystore?: string;
  devAccount?: string;
  json?: boolean;
}

export const DEFAULTS = {
  rpcUrl: process.env.GRIDLEDGER_RPC_URL ?? "http://127.0.0.1:8545",
  ipfsUrl: process.env.GRIDLEDGER_IPFS_URL ?? "http://127.0.0.1:5001",
};

export class CliContext {
  #provider: JsonRpcProvider | undefined;
  #store: BillStore | undefined;
  constructor(readonly options: GlobalOptions) {}

  get provider(): JsonRpcProvider {
    // Poll for receipts every 250 ms, not ethers' default 4 s: a command waits for one transaction at a time.
    this.#provider ??= new JsonRpcProvider(this.#config().rpcUrl, undefined, { pollingInterval: 250 });
    return this.#provider;
  }

  #config() {
    return validate(configSchema, {
      rpcUrl: this.options.rpcUrl,
      ipfs: this.options.ipfsDir ? { kind: "embedded", dataDir: this.options.ipfsDir } : { kind: "kubo", url: this.options.ipfsUrl },
      ...(this.options.contract ? { contractAddress: this.options.contract } : {}),
      ...(process.env.GRIDLEDGER_PRIVATE_KEY ? { privateKey: process.env.GRIDLEDGER_PRIVATE_KEY } : {}),
      ...(this.options.keystore ? { keystore: { path: this.options.keystore } } : {}),
    });
  }

  /** A read-only client. */
  async reader(): Promise<GridLedgerClient> {
    return this.#connect(this.provider);
  }

  /** A client that signs with the configured key. */
  async writer(): Promise<GridLedgerClient> {
    return this.#connect(await this.signer());
  }

  async signer(): Promise<Signer> {
    const config = this.#config();
    const sources = [config.privateKey, config.keystore, this.options.devAccount].filter((s) => s !== undefined);
    if (sources.length === 0) {
      throw new Error(
        "no key: set GRIDLEDGER_PRIVATE_KEY, pass --keystore <file> (password in GRIDLEDGER_KEYSTORE_PASSWORD or asked), " +
          "or on the local chain --dev-account <n>",
      );
    }
    if (sources.length > 1) throw new Error("more than one key given: use only one of GRIDLEDGER_PRIVATE_KEY, --keystore, --dev-account");
    if (config.privateKey) return new Wallet(config.privateKey, this.provider);
    if (config.keystore) {
      const json = await readFile(config.keystore.path, "utf8").catch(() => {
        throw new Error(`--keystore: cannot read ${config.keystore!.path}`);
      });
      const password = process.env.GRIDLEDGER_KEYSTORE_PASSWORD ?? (await askPassword(`password for ${config.keystore.path}: `));
      const wallet = await Wallet.fromEncryptedJson(json, password).catch(() => {
        throw new Error(`--keystore: wrong password or not a keystore file: ${config.keystore!.path}`);
      });
      return wallet.connect(this.provider);
    }
    const index = Number(this.options.devAccount);
    if (!Number.isInteger(index) || index < 0 || index > 99) throw new Error(`--dev-account: must be a whole number 0..99 (got "${this.options.devAccount}")`);
    const { chainId } = await this.provider.getNetwork();
    if (chainId !== 31337n) throw new Error(`--dev-account: development accounts exist only on the local chain (31337); this is chain ${chainId}`);
    return this.provider.getSigner(index);
  }

  async store(): Promise<BillStore> {
    if (!this.#store) {
      const { ipfs } = this.#config();
      this.#store = ipfs.kind === "embedded" ? await openBillStore({ kind: "embedded", dataDir: ipfs.dataDir }) : await openBillStore({ kind: "kubo", url: ipfs.url });
    }
    return this.#store;
  }

  async #connect(runner: Signer | JsonRpcProvider): Promise<GridLedgerClient> {
    const config = this.#config();
    return GridLedgerClient.connect(runner, config.contractAddress ? { address: config.contractAddress } : {});
  }

  async close(): Promise<void> {
    await this.#store?.close();
    this.#provider?.destroy();
  }
}

async function askPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error("--keystore: set GRIDLEDGER_KEYSTORE_PASSWORD (no terminal to ask for the password)");
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const answer = await rl.question(prompt);
  rl.close();
  return answer;
}
