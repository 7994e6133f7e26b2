/**
 * The session every view reads: the configuration, a read-only client over /rpc, the signing client of the
 * connected account (a local development account or a browser wallet), and the latest block seen, which
 * data hooks follow so that every view re-reads when the chain moves.
 */
import { createContext, useContext } from "react";
import type { BillStore } from "../../../src/billStore.js";
import type { GridLedgerClient } from "../../../src/ledgerClient.js";
import type { AppConfig } from "../config.js";

export type SignerSource = { kind: "local"; index: number } | { kind: "wallet"; name: string; rdns: string };

export interface Session {
  config: AppConfig;
  /** Reads over the server's /rpc proxy, whatever signs. */
  reader: GridLedgerClient;
  /** The connected account, checksummed; undefined until one is picked. */
  account: string | undefined;
  /** Writes as `account`; undefined until an account is connected. */
  client: GridLedgerClient | undefined;
  signer: SignerSource | undefined;
  /** The latest block seen. */
  block: number;
  /** Changes with every new block and every refresh(): views re-read when it does. */
  version: number;
  /** Re-read everything now (after a transaction, say). */
  refresh(): void;
  /** The bill store behind /api/v0. */
  billStore(): Promise<BillStore>;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession: no SessionContext.Provider above this component");
  return session;
}
