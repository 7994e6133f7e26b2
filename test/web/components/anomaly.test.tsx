// @vitest-environment jsdom
/**
 * Anomaly flags in the producer dashboard: the core's μ ± kσ check (src/anomaly.ts) over a meter's readings marks
 * the unusual one "unusual", its title giving the value against μ ± kσ; k is typed and checked (rule next to the
 * field) and a larger k clears the flag.
 */
import { screen } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { DEFAULT_K } from "../../../src/anomaly.js";
import { ReadingsPanel } from "@web/producer/ReadingsPanel";
import { producerReadings } from "@web/producer/readings";
import { ACCOUNT, h, METER, renderInSession } from "./harness.js";

const hex = (n: number) => "0x" + n.toString(16).padStart(64, "0");
/** Nine storage readings of offer 1 by the meter, about 50 kWh, then one of 10 kWh; newest first, as history pages are. */
const VALUES = [50_000n, 50_400n, 49_800n, 50_200n, 49_600n, 50_100n, 49_900n, 50_300n, 49_700n, 10_000n];
const EVENTS = VALUES.map((available, i) => ({
  kind: "StorageRecorded" as const,
  offerId: 1n,
  producer: ACCOUNT,
  recorder: METER,
  available,
  blockNumber: 10 + i,
  blockHash: hex(10 + i),
  transactionHash: hex(1_000 + i),
  logIndex: 0,
})).reverse();

/** A reader whose history holds EVENTS (every filter, one page). */
const reader = { history: async () => ({ events: EVENTS, next: undefined }) };

async function renderPanel(k: number, onK = vi.fn()) {
  const data = await producerReadings(reader as never, ACCOUNT, k);
  renderInSession(h(ReadingsPanel, { readings: { data, error: undefined, loading: false, reload: () => undefined }, k, onK }), { reader });
  return onK;
}

const unusualRows = () => Array.from(document.querySelectorAll("tr[data-unusual]"));

describe("anomaly badge", () => {
  it("marks the reading outside μ ± kσ, with the figures in its title", async () => {
    await renderPanel(DEFAULT_K);
    expect(screen.getAllByRole("row")).toHaveLength(1 + VALUES.length);
    const rows = unusualRows();
    expect(rows).toHaveLength(1);
    expect(rows[0].textContent).toMatch(/^Storage of offer 1\s*10 kWh available/);
    const badge = screen.getByTestId("anomaly-badge");
    expect(badge.getAttribute("title")).toBe("unusual: 10000 Wh is below μ − 1.5σ = 49612.70 Wh (μ 50000, σ 258.20, 9 readings)");
    expect(badge.textContent).toBe(`unusual: ${badge.getAttribute("title")}`);
  });

  it("checks k as typed and hands on a valid one; a k wide enough flags nothing", async () => {
    const user = userEvent.setup();
    const onK = await renderPanel(DEFAULT_K);
    const input = screen.getByLabelText("k (unusual beyond μ ± kσ)");
    expect((input as HTMLInputElement).value).toBe("1.5");
    for (const [value, rule, text] of [
      ["0", "positive", 'must be above 0 (got "0")'],
      ["abc", "number", 'must be a decimal number such as 1.5 (got "abc")'],
      ["-2", "number", 'must be a decimal number such as 1.5 (got "-2")'],
    ]) {
      await user.clear(input);
      await user.type(input, value);
      const message = document.querySelector('.field-error[data-field="k"]');
      expect(message?.getAttribute("data-rule"), value).toBe(rule);
      expect(message?.textContent, value).toBe(`k (unusual beyond μ ± kσ) ${text}`);
      await user.click(screen.getByRole("button", { name: "Apply" }));
      expect(onK).not.toHaveBeenCalled();
    }
    await user.clear(input);
    await user.type(input, "200");
    await user.click(screen.getByRole("button", { name: "Apply" }));
    expect(onK).toHaveBeenCalledWith(200);

    const wide = await producerReadings(reader as never, ACCOUNT, 200);
    expect(wide.flags.size).toBe(0); // 10 kWh lies within μ ± 200σ
  });
});
