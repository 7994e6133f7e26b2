/**
 * The app shell: connects the read client, follows new blocks, holds the connected account (local dev account
 * or EIP-6963 wallet), its roles and alerts, and shows one view at a time (producer, meter, purchaser, audit,
 * operator, alerts), chosen by the URL hash.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { JsonRpcProvider } from "ethers";
import { alerts } from "../../src/alerts.js";
import type { GridLedgerClient } from "../../src/ledgerClient.js";
import { describeError } from "../../src/ledgerErrors.js";
import { notificationSteps, ThresholdTracker } from "../../src/thresholds.js";
import { feedKey } from "./alerts/alertFeed.js";
import { AlertList, Toasts } from "./alerts/AlertList.js";
import { AlertSettings } from "./alerts/AlertSettings.js";
import { AlertsContext } from "./alerts/AlertsContext.js";
import { browserNotificationEnv, DesktopNotifications } from "./alerts/desktopNotifications.js";
import { useAlertFeed, type AlertSource } from "./alerts/useAlertFeed.js";
import { useThresholdNotices, type ThresholdSource } from "./alerts/useThresholdNotices.js";
import { useThresholdSettings } from "./alerts/useThresholdSettings.js";
import { AuditView } from "./audit/AuditView.js";
import { discoverWallets, type AnnouncedWallet } from "./chain/eip6963.js";
import {
  browserBillStore,
  connectLocalAccount,
  connectReader,
  connectWalletClient,
  localAccounts,
  POLL_MS,
  rpcProvider,
  signingProvider,
  switchWalletChain,
  WrongChainError,
} from "./chain/providers.js";
import { deriveRoles, type Roles } from "./chain/roles.js";
import { SessionContext, type Session, type SignerSource } from "./chain/session.js";
import type { AppConfig } from "./config.js";
import { MeterDashboard } from "./meter/MeterDashboard.js";
import { OperatorPanel } from "./operator/OperatorPanel.js";
import { ProducerDashboard } from "./producer/ProducerDashboard.js";
import { PurchaserDashboard } from "./purchaser/PurchaserDashboard.js";
import { WalletBar } from "./wallet/WalletBar.js";
import { shortHex } from "./format.js";

const VIEWS = ["producer", "meter", "purchaser", "audit", "operator", "alerts"] as const;
type View = (typeof VIEWS)[number];
const SIGNER_KEY = "gridledger:signer";

function viewFromHash(): View | undefined {
  const name = window.location.hash.replace(/^#\/?/, "");
  return (VIEWS as readonly string[]).includes(name) ? (name as View) : undefined;
}

interface Connection {
  client: GridLedgerClient;
  account: string;
  signer: SignerSource;
}

export function App({ config }: { config: AppConfig }) {
  const provider = useMemo<JsonRpcProvider>(() => rpcProvider(config), [config]);
  const [reader, setReader] = useState<GridLedgerClient>();
  const [readerError, setReaderError] = useState<string>();
  const [readerAttempt, setReaderAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    setReaderError(undefined);
    connectReader(config, provider).then(
      (r) => live && setReader(r),
      (e: unknown) => live && setReaderError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [config, provider, readerAttempt]);

  if (!reader) {
    return (
      <main className="app">
        <Header config={config} />
        {readerError ? (
          <div role="alert" className="card tx-status failed">
            Cannot reach the ledger: {readerError}{" "}
            <button type="button" className="btn btn-secondary btn-small" onClick={() => setReaderAttempt((n) => n + 1)}>
              Retry
            </button>
          </div>
        ) : (
          <p role="status">Connecting to the ledger…</p>
        )}
      </main>
    );
  }
  return <ConnectedApp config={config} provider={provider} reader={reader} />;
}

function Header({ config }: { config: AppConfig }) {
  return (
    <header className="app-header">
      <div className="brand">
        <span aria-hidden="true">⚡</span> GridLedger
      </div>
      <span className="muted small">
        chain {config.chainId} · contract <code title={config.contract}>{shortHex(config.contract)}</code>
      </span>
    </header>
  );
}

function ConnectedApp({ config, provider, reader }: { config: AppConfig; provider: JsonRpcProvider; reader: GridLedgerClient }) {
  const sender = useMemo(() => signingProvider(config), [config]);
  const [block, setBlock] = useState(0);
  const [version, setVersion] = useState(0);
  const [rpcDown, setRpcDown] = useState<string>();
  const [accounts, setAccounts] = useState<string[]>([]);
  const [wallets, setWallets] = useState<AnnouncedWallet[]>([]);
  const [connection, setConnection] = useState<Connection>();
  const [connecting, setConnecting] = useState(false);
  const [connectError, setConnectError] = useState<string>();
  const [wrongChain, setWrongChain] = useState<{ walletChainId: number; wallet: AnnouncedWallet }>();
  const [roles, setRoles] = useState<Roles>();
  const [view, setView] = useState<View | undefined>(viewFromHash);
  const attempt = useRef(0);

  // New blocks: every view re-reads.
  useEffect(() => {
    let live = true;
    let last = -1;
    const tick = async () => {
      try {
        const n = await provider.getBlockNumber();
        if (!live) return;
        setRpcDown(undefined);
        if (n !== last) {
          last = n;
          setBlock(n);
          setVersion((v) => v + 1);
        }
      } catch (error) {
        if (live) setRpcDown(describeError(error));
      }
    };
    void tick();
    const timer = setInterval(() => void tick(), POLL_MS * 2);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [provider]);

  useEffect(() => {
    if (!config.localAccounts) return;
    localAccounts(provider).then(setAccounts, () => setAccounts([]));
  }, [config.localAccounts, provider]);

  useEffect(() => discoverWallets(setWallets), []);

  useEffect(() => {
    const onHash = () => setView(viewFromHash());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  const connectLocal = useCallback(
    async (index: number) => {
      const mine = ++attempt.current;
      setConnecting(true);
      setConnectError(undefined);
      setWrongChain(undefined);
      try {
        const client = await connectLocalAccount(config, sender, index);
        const account = await client.account();
        if (mine !== attempt.current) return;
        setConnection({ client, account, signer: { kind: "local", index } });
        window.localStorage.setItem(SIGNER_KEY, JSON.stringify({ kind: "local", index }));
      } catch (error) {
        if (mine === attempt.current) setConnectError(`Could not use development account #${index}: ${describeError(error)}`);
      } finally {
        if (mine === attempt.current) setConnecting(false);
      }
    },
    [config, sender],
  );

  const connectWallet = useCallback(
    async (wallet: AnnouncedWallet) => {
      const mine = ++attempt.current;
      setConnecting(true);
      setConnectError(undefined);
      setWrongChain(undefined);
      try {
        await wallet.provider.request({ method: "eth_requestAccounts" });
        const { client } = await connectWalletClient(config, wallet.provider);
        const account = await client.account();
        if (mine !== attempt.current) return;
        setConnection({ client, account, signer: { kind: "wallet", name: wallet.info.name, rdns: wallet.info.rdns } });
        window.localStorage.removeItem(SIGNER_KEY);
      } catch (error) {
        if (mine !== attempt.current) return;
        if (error instanceof WrongChainError) setWrongChain({ walletChainId: error.walletChainId, wallet });
        else setConnectError(`Could not connect ${wallet.info.name}: ${describeError(error)}`);
      } finally {
        if (mine === attempt.current) setConnecting(false);
      }
    },
    [config],
  );

  const disconnect = useCallback(() => {
    attempt.current++;
    setConnection(undefined);
    setRoles(undefined);
    window.localStorage.removeItem(SIGNER_KEY);
  }, []);

  // Restore the last local account after a reload.
  useEffect(() => {
    if (!config.localAccounts) return;
    try {
      const saved = JSON.parse(window.localStorage.getItem(SIGNER_KEY) ?? "null") as { kind?: string; index?: number } | null;
      if (saved?.kind === "local" && Number.isInteger(saved.index)) void connectLocal(saved.index!);
    } catch {
      // nothing saved
    }
  }, [config.localAccounts, connectLocal]);

  // A wallet that changes account or chain: connect again.
  const walletSigner = connection?.signer.kind === "wallet" ? connection.signer : undefined;
  useEffect(() => {
    if (!walletSigner) return;
    const wallet = wallets.find((w) => w.info.rdns === walletSigner.rdns);
    if (!wallet?.provider.on) return;
    const again = () => void connectWallet(wallet);
    wallet.provider.on("accountsChanged", again);
    wallet.provider.on("chainChanged", again);
    return () => {
      wallet.provider.removeListener?.("accountsChanged", again);
      wallet.provider.removeListener?.("chainChanged", again);
    };
  }, [walletSigner, wallets, connectWallet]);

  const account = connection?.account;
  useEffect(() => {
    if (!account) return setRoles(undefined);
    let live = true;
    deriveRoles(reader, account).then(
      (r) => live && setRoles(r),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [reader, account, version]);

  const source = useMemo<AlertSource | undefined>(
    () =>
      account ? ({ after, signal, onCursor }) => alerts(reader, account, { after, signal, onCursor, pollMs: POLL_MS * 2 }) : undefined,
    [reader, account],
  );
  const notifications = useMemo(() => new DesktopNotifications(browserNotificationEnv()), []);
  const feed = useAlertFeed({
    storageKey: account ? feedKey(config.chainId, config.contract, account) : undefined,
    source,
    firstCursor: { block: reader.fromBlock, logIndex: -1 },
    onAlert: (alert) => notifications.notify(alert),
  });
  const [thresholds, saveThresholds] = useThresholdSettings(config.chainId, config.contract, account);
  const thresholdSource = useMemo<ThresholdSource | undefined>(
    () =>
      account
        ? ({ rules, after, signal }) =>
            notificationSteps(reader, account, { after, signal, tracker: new ThresholdTracker(account, rules), pollMs: POLL_MS * 2 })
        : undefined,
    [reader, account],
  );
  const thresholdWatch = useThresholdNotices({
    settings: thresholds,
    source: thresholdSource,
    firstCursor: { block: reader.fromBlock, logIndex: -1 },
    addItems: feed.addItems,
  });

  const session = useMemo<Session>(
    () => ({
      config,
      reader,
      account,
      client: connection?.client,
      signer: connection?.signer,
      block,
      version,
      refresh: () => setVersion((v) => v + 1),
      billStore: () => browserBillStore(),
    }),
    [config, reader, account, connection, block, version],
  );

  const shown: View = view ?? (roles?.producer ? "producer" : roles?.meter ? "meter" : roles?.operator ? "operator" : "purchaser");
  const tabs: { view: View; label: string }[] = [
    { view: "producer", label: "Producer" },
    { view: "meter", label: "Meter" },
    { view: "purchaser", label: "Purchaser" },
    { view: "audit", label: "Audit" },
    ...(roles?.operator || shown === "operator" ? [{ view: "operator" as const, label: "Operator" }] : []),
    { view: "alerts", label: feed.unread > 0 ? `Alerts (${feed.unread})` : "Alerts" },
  ];

  return (
    <SessionContext.Provider value={session}>
      <AlertsContext.Provider value={feed.items}>
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        <div className="app">
          <Header config={config} />
          <WalletBar
            localAccounts={accounts}
            wallets={wallets}
            roles={roles}
            connecting={connecting}
            connectError={connectError}
            wrongChain={wrongChain}
            onLocal={(i) => void connectLocal(i)}
            onWallet={(w) => void connectWallet(w)}
            onSwitchChain={() => {
              if (!wrongChain) return;
              const wallet = wrongChain.wallet;
              switchWalletChain(wallet.provider, config).then(
                () => connectWallet(wallet),
                (e: unknown) => setConnectError(`Could not switch the network: ${describeError(e)}`),
              );
            }}
            onDisconnect={disconnect}
          />
          {rpcDown && (
            <div role="alert" className="banner failed">
              The RPC node cannot be reached ({rpcDown}); retrying…
            </div>
          )}
          <nav className="tabs" aria-label="Views">
            {tabs.map((t) => (
              <a
                key={t.view}
                href={`#${t.view}`}
                className="tab"
                aria-current={shown === t.view ? "page" : undefined}
                onClick={() => {
                  if (t.view === "alerts") feed.markRead();
                }}
              >
                {t.label}
              </a>
            ))}
          </nav>
          <main id="main" tabIndex={-1}>
            {shown === "producer" && <ProducerDashboard />}
            {shown === "meter" && <MeterDashboard />}
            {shown === "purchaser" && <PurchaserDashboard />}
            {shown === "audit" && <AuditView />}
            {shown === "operator" &&
              (roles?.operator ? <OperatorPanel /> : <p className="card">Only the grid operator resolves disputes.</p>)}
            {shown === "alerts" && (
              <div className="dashboard">
                <h1>Alerts</h1>
                <AlertList
                  items={feed.items}
                  error={feed.error}
                  emptyText={account ? undefined : "Connect an account to see its alerts."}
                />
                <AlertSettings
                  notifications={notifications}
                  account={account}
                  settings={thresholds}
                  onSave={saveThresholds}
                  block={block}
                  error={thresholdWatch.error}
                />
              </div>
            )}
          </main>
          <footer className="muted small">
            Block {block} · GridLedger records storage, purchases, transfers and bills on chain {config.chainId}
          </footer>
        </div>
        <Toasts toasts={feed.toasts} onDismiss={feed.dismissToast} />
      </AlertsContext.Provider>
    </SessionContext.Provider>
  );
}
