// @vitest-environment jsdom
/**
 * Threshold alerts in the web app: the settings form checks each field by the core's rules (the rule next to
 * the field, nothing saved while one is wrong) and saves per account; the core's tracker's notices join the alert
 * feed once each — quietly for what happened before the settings were saved, with a toast and a desktop
 * notification for what happened after.
 */
import { screen, waitFor, within } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { Fragment } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ThresholdTracker, type NotificationStep, type ThresholdLookups, type ThresholdRules } from "../../../src/thresholds.js";
import { AlertList, Toasts } from "@web/alerts/AlertList";
import { feedKey } from "@web/alerts/alertFeed";
import { ThresholdSettingsForm } from "@web/alerts/ThresholdSettingsForm";
import { loadThresholds, saveThresholds, thresholdsKey } from "@web/alerts/thresholdSettings";
import { useAlertFeed } from "@web/alerts/useAlertFeed";
import { useThresholdNotices } from "@web/alerts/useThresholdNotices";
import { ACCOUNT, CONFIG, h, messageOf, METER, renderInSession, retype } from "./harness.js";

describe("threshold settings form", () => {
  beforeEach(() => window.localStorage.clear());

  it("shows the rule each field breaks and saves only valid settings, from the latest block", async () => {
    const user = userEvent.setup();
    const onSave = vi.fn();
    renderInSession(h(ThresholdSettingsForm, { settings: undefined, block: 42, onSave }), { account: ACCOUNT });
    expect(screen.getByTestId("threshold-state").textContent).toBe("No threshold set.");

    const cases: [label: string, field: string, value: string, rule: string, text: string][] = [
      [
        "Storage below",
        "storageBelow",
        "150%",
        "percent_range",
        'Storage below must be above 0% and at most 100% of capacity (got "150%")',
      ],
      ["Storage below", "storageBelow", "0%", "percent_range", 'Storage below must be above 0% and at most 100% of capacity (got "0%")'],
      [
        "Storage below",
        "storageBelow",
        "20 %%",
        "percent_format",
        'Storage below must be digits and "%", e.g. "20%" or "12.5%" (got "20 %%")',
      ],
      ["Storage below", "storageBelow", "0 kWh", "min", 'Storage below must be above 0 Wh (got "0 kWh")'],
      [
        "Delivery within",
        "deliveryWithin",
        "2x",
        "duration_format",
        'Delivery within must be like "2h", "90m", "1h30m", "1d" or a number of seconds (got "2x")',
      ],
      ["Delivery within", "deliveryWithin", "0h", "min", 'Delivery within must be above 0 (got "0h")'],
      ["Delivery within", "deliveryWithin", "1h1h", "duration_format", 'Delivery within must name each unit once ("h" appears twice)'],
    ];
    for (const [label, field, value, rule, text] of cases) {
      await retype(user, label, value);
      expect(messageOf(field), `${label} = "${value}"`).toEqual({ text, rule });
      await user.click(screen.getByRole("button", { name: "Save thresholds" }));
      expect(onSave, `${label} = "${value}"`).not.toHaveBeenCalled();
      await retype(user, label, "");
    }
    expect(messageOf("storageBelow")).toBeUndefined(); // empty: that watch is off

    await retype(user, "Storage below", " 20% ");
    await retype(user, "Delivery within", "2h");
    await user.click(screen.getByRole("button", { name: "Save thresholds" }));
    expect(onSave).toHaveBeenCalledWith({ storageBelow: "20%", deliveryWithin: "2h", since: 42 });
  });

  it("keeps settings per account and ignores stored settings that no longer parse", () => {
    const key = thresholdsKey(CONFIG.chainId, CONFIG.contract, ACCOUNT);
    expect(key).not.toBe(thresholdsKey(CONFIG.chainId, CONFIG.contract, METER));
    saveThresholds(window.localStorage, key, { storageBelow: "12.5%", since: 7 });
    expect(loadThresholds(window.localStorage, key)).toEqual({ storageBelow: "12.5%", since: 7 });
    expect(loadThresholds(window.localStorage, thresholdsKey(CONFIG.chainId, CONFIG.contract, METER))).toBeUndefined();
    window.localStorage.setItem(key, JSON.stringify({ storageBelow: "150%", since: 7 }));
    expect(loadThresholds(window.localStorage, key)).toBeUndefined();
    window.localStorage.setItem(key, JSON.stringify({ storageBelow: "20%", since: -1 }));
    expect(loadThresholds(window.localStorage, key)).toBeUndefined();
    saveThresholds(window.localStorage, key, undefined);
    expect(window.localStorage.getItem(key)).toBeNull();
  });
});

// ---------------------------------------------------------------- notices in the feed

const hex = (n: number) => "0x" + n.toString(16).padStart(64, "0");
const base = (block: number) => ({ blockNumber: block, blockHash: hex(block), transactionHash: hex(10_000 + block), logIndex: 0 });
/** Offer 1 (100 kWh) opened at 80 kWh, then readings: 15 kWh (block 3), 50 kWh (block 6), 10 kWh (block 8). */
const EVENTS = [
  {
    ...base(2),
    kind: "OfferOpened" as const,
    offerId: 1n,
    producer: ACCOUNT,
    capacity: 100_000n,
    available: 80_000n,
    rate: 1n,
    location: "North",
  },
  { ...base(3), kind: "StorageRecorded" as const, offerId: 1n, producer: ACCOUNT, recorder: METER, available: 15_000n },
  { ...base(6), kind: "StorageRecorded" as const, offerId: 1n, producer: ACCOUNT, recorder: METER, available: 50_000n },
  { ...base(8), kind: "StorageRecorded" as const, offerId: 1n, producer: ACCOUNT, recorder: METER, available: 10_000n },
];
/** What the web app's threshold hook reads notices from (its ThresholdSource). */
type ThresholdSource = (options: { rules: ThresholdRules; signal: AbortSignal }) => AsyncIterable<NotificationStep>;

const lookups: ThresholdLookups = { blockTime: async (n) => BigInt(n), capacity: async () => 100_000n };

/** The core tracker over EVENTS, as the core's stream steps, replayed `times` times (a restart), then waits. */
function trackerSource(times: number): ThresholdSource {
  return ({ rules, signal }) =>
    (async function* (): AsyncGenerator<NotificationStep> {
      for (let run = 0; run < times; run++) {
        const tracker = new ThresholdTracker(ACCOUNT, rules);
        for (const e of EVENTS) {
          const notices = await tracker.observe(e, lookups);
          yield {
            cursor: { block: e.blockNumber, logIndex: e.logIndex },
            items: notices.map((notice) => ({ type: "threshold", key: notice.key, notice })),
          };
        }
      }
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    })();
}

/** An alert stream with nothing in it (fixed: a new source restarts the feed). */
const noAlerts = ({ signal }: { signal: AbortSignal }) =>
  (async function* () {
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  })();

function Feed(props: { since: number; source: ThresholdSource; onAlert: (a: { key: string }) => void }) {
  const feed = useAlertFeed({
    storageKey: feedKey(CONFIG.chainId, CONFIG.contract, ACCOUNT),
    source: noAlerts,
    onAlert: props.onAlert,
    storage: window.localStorage,
  });
  useThresholdNotices({
    settings: { storageBelow: "20%", since: props.since },
    source: props.source,
    firstCursor: { block: 1, logIndex: -1 },
    addItems: feed.addItems,
  });
  return h(Fragment, null, h(AlertList, { items: feed.items }), h(Toasts, { toasts: feed.toasts, onDismiss: feed.dismissToast }));
}

const listed = () =>
  within(screen.getByRole("list", { name: "Alert list" }))
    .getAllByRole("listitem")
    .map((li) => `${li.getAttribute("data-kind")} ${li.querySelector(".alert-text")!.textContent}`);

describe("threshold notices", () => {
  beforeEach(() => window.localStorage.clear());

  it("lists each crossing once, and pushes only those after the settings were saved", async () => {
    const onAlert = vi.fn();
    renderInSession(h(Feed, { since: 5, source: trackerSource(2), onAlert }));
    await waitFor(() => expect(screen.queryAllByRole("listitem")).toHaveLength(3));
    expect(listed()).toEqual([
      "storage-below offer 1 storage fell below 20% (20 kWh): 10 kWh available (#8)",
      "storage-restored offer 1 storage is back at or above 20% (20 kWh): 50 kWh available (#6)",
      "storage-below offer 1 storage fell below 20% (20 kWh): 15 kWh available (#3)", // before the settings: listed, not pushed
    ]);
    expect(onAlert.mock.calls.map(([a]) => a.key)).toEqual([
      `storage-restored:${hex(6)}:${hex(10_006)}:0`,
      `storage-below:${hex(8)}:${hex(10_008)}:0`,
    ]);
    expect(Array.from(document.querySelectorAll(".toast strong"), (el) => el.textContent)).toEqual([
      "Storage below threshold",
      "Storage back above threshold",
    ]);
  });
});
