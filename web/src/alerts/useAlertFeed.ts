/**
 * Follows the alerts of the connected account (src/alerts.ts), keeps them in the account's feed and raises a
 * toast for each new one. Resumes after the stored cursor; restarts a few seconds after an RPC failure. Items
 * from elsewhere (threshold notices) join the same feed through `addItems`.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { Alert, AlertCursor } from "../../../src/alerts.js";
import { laterCursor, loadFeed, mergeAlerts, saveFeed, toStored, type Feed, type StoredAlert } from "./alertFeed.js";
import { followUntilAborted } from "./followStream.js";

/** Where alerts come from: the core's `alerts()` generator, or a stand-in in tests. */
export type AlertSource = (options: {
  after: AlertCursor | undefined;
  signal: AbortSignal;
  onCursor: (c: AlertCursor) => void;
}) => AsyncIterable<Alert>;

export interface AlertFeedState {
  items: StoredAlert[];
  toasts: StoredAlert[];
  unread: number;
  /** Why alerts stopped, while they are retrying. */
  error: string | undefined;
  dismissToast(key: string): void;
  markRead(): void;
  /** Adds items to the feed (each once); unless `quiet`, each new one raises a toast and `onAlert`. */
  addItems(items: readonly StoredAlert[], options?: { quiet?: boolean }): void;
}

export function useAlertFeed(options: {
  /** localStorage key of the account's feed; undefined while no account is connected. */
  storageKey: string | undefined;
  source: AlertSource | undefined;
  /** Where a first-ever feed starts (the deployment block): its catch-up raises no toasts. */
  firstCursor?: AlertCursor;
  onAlert?: (alert: StoredAlert) => void;
  retryMs?: number;
  toastLimit?: number;
  storage?: Storage;
}): AlertFeedState {
  const [items, setItems] = useState<StoredAlert[]>([]);
  const [toasts, setToasts] = useState<StoredAlert[]>([]);
  const [unread, setUnread] = useState(0);
  const [error, setError] = useState<string | undefined>();
  const onAlert = useRef(options.onAlert);
  onAlert.current = options.onAlert;
  /** The feed being followed, its key and storage: shared by the alert loop and addItems. */
  const current = useRef<{ key: string; storage: Storage; feed: Feed } | undefined>(undefined);
  const { storageKey, source } = options;
  const firstBlock = options.firstCursor?.block;
  const firstLogIndex = options.firstCursor?.logIndex;
  const retryMs = options.retryMs ?? 3_000;
  const toastLimit = options.toastLimit ?? 3;

  useEffect(() => {
    setToasts([]);
    setUnread(0);
    setError(undefined);
    if (!storageKey || !source) {
      setItems([]);
      return;
    }
    const storage = options.storage ?? window.localStorage;
    const controller = new AbortController();
    const held = { key: storageKey, storage, feed: loadFeed(storage, storageKey) };
    current.current = held;
    const firstRun = held.feed.cursor === undefined;
    setItems(held.feed.items);
    const save = () => saveFeed(storage, storageKey, held.feed);
    let quietUntil: AlertCursor | undefined;

    const follow = async () => {
      const after = held.feed.cursor ?? (firstBlock !== undefined ? { block: firstBlock, logIndex: firstLogIndex ?? -1 } : undefined);
      for await (const alert of source({
        after,
        signal: controller.signal,
        onCursor: (c) => {
          held.feed = { ...held.feed, cursor: laterCursor(held.feed.cursor, c) };
          if (firstRun && !quietUntil) quietUntil = c;
          save();
        },
      })) {
        if (controller.signal.aborted) return;
        const stored = toStored(alert);
        const { items: next, added } = mergeAlerts(held.feed.items, [stored]);
        held.feed = { items: next, cursor: laterCursor(held.feed.cursor, alert.cursor) };
        save();
        if (added.length === 0) continue;
        setItems(next);
        setError(undefined);
        const catchUp = firstRun && (!quietUntil || alert.cursor.block <= quietUntil.block);
        if (!catchUp) {
          setUnread((n) => n + 1);
          setToasts((t) => [stored, ...t].slice(0, toastLimit));
          onAlert.current?.(stored);
        }
      }
    };
    void followUntilAborted(controller.signal, retryMs, setError, follow);
    return () => {
      controller.abort();
      if (current.current === held) current.current = undefined;
    };
    // options.storage is fixed for a component's life
  }, [storageKey, source, firstBlock, firstLogIndex, retryMs, toastLimit]);

  const dismissToast = useCallback((key: string) => setToasts((t) => t.filter((a) => a.key !== key)), []);
  const markRead = useCallback(() => setUnread(0), []);
  const addItems = useCallback(
    (incoming: readonly StoredAlert[], options: { quiet?: boolean } = {}) => {
      const held = current.current;
      if (!held || incoming.length === 0) return;
      const { items: next, added } = mergeAlerts(held.feed.items, incoming);
      if (added.length === 0) return;
      held.feed = { ...held.feed, items: next };
      saveFeed(held.storage, held.key, held.feed);
      setItems(next);
      if (options.quiet) return;
      setUnread((n) => n + added.length);
      setToasts((t) => [...added].reverse().concat(t).slice(0, toastLimit));
      for (const item of added) onAlert.current?.(item);
    },
    [toastLimit],
  );
  return { items, toasts, unread, error, dismissToast, markRead, addItems };
}
