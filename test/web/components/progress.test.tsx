// @vitest-environment jsdom
/**
 * Progress states: the ordered steps of a bill (building → uploading → signing → mining → confirmed) and of a
 * purchase (purchased → transferring → delivered → acknowledged → billed → settled), each step done, current,
 * to do or failed, announced with aria-current and in words.
 */
import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ProgressSteps, stepStates } from "@web/ui/ProgressSteps";
import { BILL_STEPS } from "@web/producer/BillAction";
import { progressOf, purchaseStage, PURCHASE_STEPS } from "@web/purchase/purchaseDetail";
import { h, renderInSession } from "./harness.js";

function states(list: HTMLElement): Record<string, string> {
  return Object.fromEntries(Array.from(list.querySelectorAll("li"), (li) => [li.getAttribute("data-step"), li.getAttribute("data-state")]));
}

describe("progress steps", () => {
  it("marks the steps before the current one done, the current one in progress, the rest to do", () => {
    renderInSession(h(ProgressSteps, { label: "Bill progress for purchase 3", steps: BILL_STEPS, current: "mining" }));
    const list = screen.getByRole("list", { name: "Bill progress for purchase 3" });
    expect(states(list)).toEqual({ building: "done", uploading: "done", signing: "done", mining: "current", confirmed: "todo" });
    const current = within(list)
      .getAllByRole("listitem")
      .find((li) => li.getAttribute("aria-current") === "step")!;
    expect(current.textContent).toBe("●Mining (in progress)");
    expect(
      within(list)
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(["✓Building (done)", "✓Uploading (done)", "✓Signing (done)", "●Mining (in progress)", "○Confirmed (to do)"]);
  });

  it("shows a failed step, and a completed last step", () => {
    const { rerender } = renderInSession(h(ProgressSteps, { label: "Bill", steps: BILL_STEPS, current: "uploading", failed: true }));
    expect(states(screen.getByRole("list", { name: "Bill" }))).toMatchObject({ building: "done", uploading: "failed", signing: "todo" });
    expect(screen.getByRole("list", { name: "Bill" }).textContent).toContain("Uploading (failed)");
    rerender(h(ProgressSteps, { label: "Bill", steps: BILL_STEPS, current: "confirmed", complete: true }));
    expect(Object.values(states(screen.getByRole("list", { name: "Bill" })))).toEqual(["done", "done", "done", "done", "done"]);
    expect(stepStates(BILL_STEPS, undefined)).toEqual(["todo", "todo", "todo", "todo", "todo"]);
  });

  it("derives a purchase's stage from the chain record", () => {
    const base = { status: "open" as const, transferCount: 0, pendingCount: 0, openDisputes: 0, delivered: 0n, quantity: 5_000n };
    const none = { refund: undefined, purchaserBalance: 0n };
    expect(purchaseStage(base, none)).toBe("purchased");
    expect(purchaseStage({ ...base, transferCount: 1, pendingCount: 1, delivered: 4_000n }, none)).toBe("transferring");
    expect(purchaseStage({ ...base, transferCount: 2, pendingCount: 1, delivered: 5_000n }, none)).toBe("delivered");
    expect(purchaseStage({ ...base, transferCount: 1, pendingCount: 0, delivered: 4_000n }, none)).toBe("acknowledged");
    expect(purchaseStage({ ...base, transferCount: 1, openDisputes: 1, delivered: 5_000n }, none)).toBe("delivered");
    expect(purchaseStage({ ...base, status: "billed", transferCount: 1 }, { refund: 10n, purchaserBalance: 10n })).toBe("billed");
    expect(purchaseStage({ ...base, status: "billed", transferCount: 1 }, { refund: 10n, purchaserBalance: 0n })).toBe("settled");
    expect(purchaseStage({ ...base, status: "billed", transferCount: 1 }, { refund: 0n, purchaserBalance: 5n })).toBe("settled");
    expect(purchaseStage({ ...base, status: "closed" }, none)).toBe("settled");

    expect(progressOf("purchased")).toEqual({ current: "transferring", complete: false });
    expect(progressOf("settled")).toEqual({ current: "settled", complete: true });
    renderInSession(h(ProgressSteps, { label: "Purchase 1", steps: PURCHASE_STEPS, ...progressOf("acknowledged") }));
    expect(states(screen.getByRole("list", { name: "Purchase 1" }))).toEqual({
      purchased: "done",
      transferring: "done",
      delivered: "done",
      acknowledged: "done",
      billed: "current",
      settled: "todo",
    });
  });
});
