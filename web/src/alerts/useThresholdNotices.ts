/**
 * Follows the connected account's threshold settings with the core's notification stream (src/thresholds.ts
 * `notificationSteps` and its tracker) from the deployment on, and puts each notice into the alert feed once.
 * Notices about what happened before the settings were saved are listed quietly; later ones raise a toast and
 * a desktop notification like any new alert. Restarts a few seconds after an RPC failure.
 */
import { useEffect, useState } from "react";
import type { AlertCursor } from "../../../src/alerts.js";
import type { NotificationStep, ThresholdRules } from "../../../src/thresholds.js";
import { noticeToStored, type StoredAlert } from "./alertFeed.js";
import { followUntilAborted } from "./followStream.js";
import { thresholdRules, type ThresholdSettings } from "./thresholdSettings.js";

/** Where the steps come from: the core's `notificationSteps` with a tracker for `rules`, or a stand-in in tests. */
export type ThresholdSource = (options: {
  rules: ThresholdRules;
  after: AlertCursor;
  signal: AbortSignal;
}) => AsyncIterable<NotificationStep>;

export function useThresholdNotices(options: {
  settings: ThresholdSettings | undefined;
  source: ThresholdSource | undefined;
  /** Where the stream starts (the deployment block): the tracker needs every reading and purchase to judge. */
  firstCursor: AlertCursor;
  addItems: (items: readonly StoredAlert[], options: { quiet: boolean }) => void;
  retryMs?: number;
}): { error: string | undefined } {
  const [error, setError] = useState<string>();
  const { source, addItems } = options;
  const { storageBelow, deliveryWithin, since } = options.settings ?? {};
  const firstBlock = options.firstCursor.block;
  const firstLogIndex = options.firstCursor.logIndex;
  const retryMs = options.retryMs ?? 3_000;

  useEffect(() => {
    setError(undefined);
    if (!source || since === undefined || (!storageBelow && !deliveryWithin)) return;
    const rules = thresholdRules({ storageBelow, deliveryWithin, since });
    const controller = new AbortController();
    const follow = async () => {
      for await (const step of source({ rules, after: { block: firstBlock, logIndex: firstLogIndex }, signal: controller.signal })) {
        if (controller.signal.aborted) return;
        const found = step.items.flatMap((item) => (item.type === "threshold" ? [noticeToStored(item.notice, step.cursor)] : []));
        if (found.length === 0) continue;
        addItems(
          found.filter((n) => n.blockNumber <= since),
          { quiet: true },
        );
        addItems(
          found.filter((n) => n.blockNumber > since),
          { quiet: false },
        );
        setError(undefined);
      }
    };
    void followUntilAborted(controller.signal, retryMs, setError, follow);
    return () => controller.abort();
  }, [source, addItems, storageBelow, deliveryWithin, since, firstBlock, firstLogIndex, retryMs]);

  return { error };
}
