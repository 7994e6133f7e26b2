/**
 * Follows the alerts of the connected account (src/alerts.ts), keeps them in the account's feed and raises a
 * toast for each new one. Resumes after the stored cursor; restarts a few seconds after an RPC failure.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { Alert, AlertCursor } from "../../../src/alerts.js";
import { describeError } from "../../../src/ledgerErrors.js";
import { laterCursor, loadFeed, mergeAlerts, saveFeed, toStored, type StoredAlert } from "./alertFeed.js";

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
    let feed = loadFeed(storage, storageKey);
    const firstRun = feed.cursor === undefined;
    setItems(feed.items);
    const save = () => saveFeed(storage, storageKey, feed);
    let quietUntil: AlertCursor | undefined;

    const run = async () => {
      while (!controller.signal.aborted) {
        const after = feed.cursor ?? (firstBlock !== undefined ? { block: firstBlock, logIndex: firstLogIndex ?? -1 } : undefined);
        try {
          for await (const alert of source({
            after,
            signal: controller.signal,
            onCursor: (c) => {
              feed = { ...feed, cursor: laterCursor(feed.cursor, c) };
              if (firstRun && !quietUntil) quietUntil = c;
              save();
            },
          })) {
            if (controller.signal.aborted) return;
            const stored = toStored(alert);
            const { items: next, added } = mergeAlerts(feed.items, [stored]);
            feed = { items: next, cursor: laterCursor(feed.cursor, alert.cursor) };
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
          return;
        } catch (err) {
          if (controller.signal.aborted) return;
          setError(describeError(err));
          await new Promise((r) => setTimeout(r, retryMs));
        }
      }
    };
    void run();
    return () => controller.abort();
    // options.storage is fixed for a component's life
  }, [storageKey, source, firstBlock, firstLogIndex, retryMs, toastLimit]);

  const dismissToast = useCallback((key: string) => setToasts((t) => t.filter((a) => a.key !== key)), []);
  const markRead = useCallback(() => setUnread(0), []);
  return { items, toasts, unread, error, dismissToast, markRead };
}
