// @vitest-environment jsdom
/**
 * The alert list: every alert once, newest first, whatever the source repeats; a toast for each new one (not
 * for a first catch-up of old history); after a reload the feed resumes after its stored cursor and still shows
 * each alert once.
 */
import { act, screen, waitFor, within } from "@testing-library/react";
import { Fragment } from "react";
import { beforeEach, describe, expect, it } from "vitest";
import { AlertList, Toasts } from "@web/alerts/AlertList";
import { feedKey, loadFeed, mergeAlerts, toStored } from "@web/alerts/alertFeed";
import { useAlertFeed } from "@web/alerts/useAlertFeed";
import { ACCOUNT, CONFIG, h, renderInSession } from "./harness.js";

const PRODUCER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

interface Cursor {
  block: number;
  logIndex: number;
}

/** An EnergyPurchased alert for purchase `id` at (block, logIndex). */
function purchased(id: number, block: number, logIndex = 0) {
  const hex = (n: number, width = 64) => "0x" + n.toString(16).padStart(width, "0");
  return {
    event: {
      kind: "EnergyPurchased" as const,
      purchaseId: BigInt(id),
      producer: PRODUCER,
      purchaser: ACCOUNT,
      offerId: 1n,
      quantity: 5_000n,
      cost: 1_000_000_000_000_000n,
      blockNumber: block,
      blockHash: hex(block),
      transactionHash: hex(1000 + id),
      logIndex,
    },
    roles: ["purchaser" as const],
    cursor: { block, logIndex },
  };
}

type Script = (emit: { cursor(c: Cursor): void }) => AsyncGenerator<ReturnType<typeof purchased>>;

/** A source that plays a script, records the `after` it was given, then waits until aborted. */
function scripted(script: Script, seen: { after: Cursor | undefined }[]) {
  return (options: { after: Cursor | undefined; signal: AbortSignal; onCursor: (c: Cursor) => void }) => {
    seen.push({ after: options.after });
    return (async function* () {
      yield* script({ cursor: options.onCursor });
      await new Promise<void>((resolve) => options.signal.addEventListener("abort", () => resolve(), { once: true }));
    })();
  };
}

function Feed(props: { source: ReturnType<typeof scripted> }) {
  const feed = useAlertFeed({
    storageKey: feedKey(CONFIG.chainId, CONFIG.contract, ACCOUNT),
    source: props.source as never,
    firstCursor: { block: 1, logIndex: -1 },
    storage: window.localStorage,
  });
  return h(Fragment, null, h(AlertList, { items: feed.items }), h(Toasts, { toasts: feed.toasts, onDismiss: feed.dismissToast }));
}

const keys = () =>
  within(screen.getByRole("list", { name: "Alert list" }))
    .getAllByRole("listitem")
    .map((li) => li.getAttribute("data-key"));
const toastTitles = () => Array.from(document.querySelectorAll(".toast strong"), (el) => el.textContent);

describe("alert list", () => {
  beforeEach(() => window.localStorage.clear());

  it("shows each alert once, newest first, and toasts only what is new after the catch-up", async () => {
    const seen: { after: Cursor | undefined }[] = [];
    const source = scripted(async function* (emit) {
      yield purchased(1, 2); // history, caught up on the first visit
      yield purchased(1, 2); // the same log again (a reconnect, an overlapping range)
      emit.cursor({ block: 3, logIndex: Number.MAX_SAFE_INTEGER });
      yield purchased(2, 4); // live
      yield purchased(2, 4);
      yield purchased(3, 4, 1);
    }, seen);
    renderInSession(h(Feed, { source }));
    await waitFor(() => expect(keys()).toHaveLength(3));
    expect(screen.getByRole("list", { name: "Alert list" }).textContent).toMatch(/Purchase 3: .*Purchase 2: .*Purchase 1: /);
    expect(new Set(keys()).size).toBe(3);
    expect(seen[0].after).toEqual({ block: 1, logIndex: -1 }); // the first visit starts at the deployment
    expect(toastTitles()).toEqual(["Energy purchased", "Energy purchased"]); // purchases 3 and 2, not the catch-up
  });

  it("resumes after the stored cursor on a reload, without duplicates", async () => {
    const seen: { after: Cursor | undefined }[] = [];
    const first = renderInSession(
      h(Feed, {
        source: scripted(async function* () {
          yield purchased(1, 2);
          yield purchased(2, 5);
        }, seen),
      }),
    );
    await waitFor(() => expect(keys()).toHaveLength(2));
    first.unmount();
    const stored = loadFeed(window.localStorage, feedKey(CONFIG.chainId, CONFIG.contract, ACCOUNT));
    expect(stored.cursor).toEqual({ block: 5, logIndex: 0 });
    expect(stored.items.map((a: { text: string }) => a.text)).toEqual([
      "Purchase 2: 5 kWh from offer 1 for 0.001 ETH by 0x7099…79C8",
      "Purchase 1: 5 kWh from offer 1 for 0.001 ETH by 0x7099…79C8",
    ]);

    renderInSession(
      h(Feed, {
        source: scripted(async function* () {
          yield purchased(2, 5); // at the cursor: already shown
          yield purchased(3, 6);
        }, seen),
      }),
    );
    expect(keys()).toHaveLength(2); // the stored alerts show at once
    await waitFor(() => expect(keys()).toHaveLength(3));
    expect(seen[1].after).toEqual({ block: 5, logIndex: 0 });
    expect(new Set(keys()).size).toBe(3);
    expect(toastTitles()).toEqual(["Energy purchased"]);
    await act(async () => screen.getByRole("button", { name: "Dismiss alert: Energy purchased" }).click());
    expect(toastTitles()).toEqual([]);
  });

  it("merges without duplicates and keeps the newest first", () => {
    const a = toStored(purchased(1, 2));
    const b = toStored(purchased(2, 3));
    const once = mergeAlerts([], [a, b, a]);
    expect(once.items.map((x: { key: string }) => x.key)).toEqual([b.key, a.key]);
    expect(mergeAlerts(once.items, [a, b]).added).toEqual([]);
  });
});
