/**
 * The wallet bar: pick a browser wallet (EIP-6963) or one of the local node's development accounts (local
 * only), and see the account, its roles, its ETH balance and what it can withdraw from the ledger.
 */
import { useId } from "react";
import type { AnnouncedWallet } from "../chain/eip6963.js";
import { useSession } from "../chain/session.js";
import { useChainData } from "../chain/useChainData.js";
import { roleNames, type Roles } from "../chain/roles.js";
import { formatEth, shortHex } from "../format.js";
import { TxAction } from "../tx/TxAction.js";

export interface WalletBarProps {
  localAccounts: readonly string[];
  wallets: readonly AnnouncedWallet[];
  roles: Roles | undefined;
  connecting: boolean;
  connectError: string | undefined;
  /** The wallet is on another chain: offer to switch. */
  wrongChain: { walletChainId: number; wallet: AnnouncedWallet } | undefined;
  onLocal(index: number): void;
  onWallet(wallet: AnnouncedWallet): void;
  onSwitchChain(): void;
  onDisconnect(): void;
}

export function WalletBar(props: WalletBarProps) {
  const { config, account, client, reader, signer } = useSession();
  const selectId = useId();
  const balances = useChainData(
    async () => (account ? { eth: await reader.provider.getBalance(account), ledger: await reader.balanceOf(account) } : undefined),
    [account, reader],
  );
  const localIndex = signer?.kind === "local" ? String(signer.index) : "";

  return (
    <section className="wallet-bar" aria-label="Account">
      <div className="wallet-connect">
        {config.localAccounts && (
          <div className="field inline">
            <label htmlFor={selectId}>
              Local development account <span className="badge badge-warn">local only</span>
            </label>
            <select
              id={selectId}
              value={localIndex}
              onChange={(e) => (e.target.value === "" ? props.onDisconnect() : props.onLocal(Number(e.target.value)))}
            >
              <option value="">— none —</option>
              {props.localAccounts.map((address, i) => (
                <option key={address} value={i}>
                  #{i} {shortHex(address)}
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="wallets">
          {props.wallets.length === 0 ? (
            <span className="muted small">No browser wallet detected</span>
          ) : (
            props.wallets.map((w) => (
              <button key={w.info.uuid} type="button" className="btn btn-secondary" onClick={() => props.onWallet(w)}>
                {w.info.icon && <img src={w.info.icon} alt="" width={16} height={16} />} Connect {w.info.name}
              </button>
            ))
          )}
        </div>
      </div>
      {props.connecting && <p role="status">Connecting…</p>}
      {props.connectError && (
        <p role="alert" className="tx-status failed">
          {props.connectError}
        </p>
      )}
      {props.wrongChain && (
        <div role="alert" className="tx-status failed">
          {props.wrongChain.wallet.info.name} is on chain {props.wrongChain.walletChainId}; GridLedger here runs on chain {config.chainId}.{" "}
          <button type="button" className="btn btn-secondary btn-small" onClick={props.onSwitchChain}>
            Switch network
          </button>
        </div>
      )}
      {account && (
        <dl className="account-facts" aria-label="Connected account">
          <div>
            <dt>Account</dt>
            <dd>
              <code data-testid="account" title={account}>
                {shortHex(account, 6)}
              </code>{" "}
              {signer?.kind === "local" ? (
                <span className="badge badge-warn">dev account #{signer.index}, local only</span>
              ) : signer?.kind === "wallet" ? (
                <span className="badge">{signer.name}</span>
              ) : null}
            </dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd data-testid="roles">{props.roles ? roleNames(props.roles).join(", ") || "no role yet" : "…"}</dd>
          </div>
          <div>
            <dt>ETH balance</dt>
            <dd data-testid="eth-balance">{balances.data ? formatEth(balances.data.eth) : "…"}</dd>
          </div>
          <div>
            <dt>Withdrawable</dt>
            <dd>
              <span data-testid="withdrawable">{balances.data ? formatEth(balances.data.ledger) : "…"}</span>
              {client && balances.data && (
                <TxAction
                  label="Withdraw"
                  ariaLabel={`Withdraw ${formatEth(balances.data.ledger)}`}
                  variant="secondary"
                  disabled={balances.data.ledger === 0n}
                  summary={<p>You receive {formatEth(balances.data.ledger)}.</p>}
                  estimate={() => client.estimate("withdraw", [])}
                  send={(onStatus) => client.withdraw(onStatus)}
                />
              )}
            </dd>
          </div>
        </dl>
      )}
    </section>
  );
}
