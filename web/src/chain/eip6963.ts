/**
 * EIP-6963 wallet discovery: wallets announce themselves with an `eip6963:announceProvider` event after the
 * page asks with `eip6963:requestProvider`. Several wallets can coexist; the user picks one.
 */
import type { Eip1193Provider } from "ethers";

export interface WalletInfo {
  uuid: string;
  name: string;
  /** A data: URI image. */
  icon: string;
  /** Reverse-DNS id, e.g. "io.metamask". */
  rdns: string;
}

export interface WalletProvider extends Eip1193Provider {
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener?(event: string, listener: (...args: unknown[]) => void): unknown;
}

export interface AnnouncedWallet {
  info: WalletInfo;
  provider: WalletProvider;
}

/** Listens for wallet announcements and asks wallets to announce; returns a function that stops listening. */
export function discoverWallets(onChange: (wallets: AnnouncedWallet[]) => void, target: Window = window): () => void {
  const byUuid = new Map<string, AnnouncedWallet>();
  const onAnnounce = (event: Event) => {
    const detail = (event as CustomEvent<AnnouncedWallet>).detail;
    if (!detail?.info?.uuid || typeof detail.provider?.request !== "function") return;
    byUuid.set(detail.info.uuid, { info: detail.info, provider: detail.provider });
    onChange([...byUuid.values()]);
  };
  target.addEventListener("eip6963:announceProvider", onAnnounce);
  target.dispatchEvent(new Event("eip6963:requestProvider"));
  return () => target.removeEventListener("eip6963:announceProvider", onAnnounce);
}
