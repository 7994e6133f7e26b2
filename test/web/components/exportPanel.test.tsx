// @vitest-environment jsdom
/**
 * The audit dashboard's export: its fields are checked as typed (the rule next to the field, nothing read while
 * any is wrong); a valid range runs the core export page by page with the pages read shown, then hands the
 * file (the core's CSV) to the download under its name; a cancelled export saves nothing.
 */
import { screen, waitFor } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { EXPORT_COLUMNS } from "../../../src/auditExport.js";
import { ledgerInterface } from "../../../src/events.js";
import { parseCsv } from "../../support/csv.js";
import { ExportPanel } from "@web/audit/ExportPanel";
import { ACCOUNT, CONFIG, h, messageOf, renderInSession, retype } from "./harness.js";

const HEAD = 35;
const TX = "0x" + "ab".repeat(32);

/** An OfferOpened log of offer 1 in block 3, as the node returns it. */
function offerOpenedLog() {
  const { data, topics } = ledgerInterface.encodeEventLog("OfferOpened", [
    1n,
    ACCOUNT,
    100_000n,
    80_000n,
    200_000_000_000n,
    "North substation",
  ]);
  return { address: CONFIG.contract, data, topics, blockNumber: 3, blockHash: "0x" + "03".repeat(32), transactionHash: TX, index: 0 };
}

/** A reader whose logs come in pages of 10 blocks; the page with `holdPage` waits until released. */
function pagedReader(holdPage?: number) {
  const pages: [number, number][] = [];
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const reader = {
    address: CONFIG.contract,
    logRange: 10,
    provider: {
      getLogs: async (filter: { fromBlock: number; toBlock: number }) => {
        pages.push([filter.fromBlock, filter.toBlock]);
        if (pages.length === holdPage) await held;
        return filter.fromBlock <= 3 && 3 <= filter.toBlock ? [offerOpenedLog()] : [];
      },
      getBlock: async (n: number) => ({ timestamp: 1_790_000_000 + n }),
    },
  };
  return { reader, pages, release };
}

describe("export panel", () => {
  it("shows each field's rule next to it and reads nothing while a field is wrong", async () => {
    const user = userEvent.setup();
    const { reader, pages } = pagedReader();
    const save = vi.fn();
    renderInSession(h(ExportPanel, { save }), { reader, block: HEAD });
    expect((screen.getByLabelText("From block") as HTMLInputElement).value).toBe("0");
    expect((screen.getByLabelText("To block") as HTMLInputElement).value).toBe(String(HEAD)); // the head by default
    expect(document.querySelectorAll(".field-error")).toHaveLength(0);

    const cases: [label: string, field: string, value: string, rule: string, text: string][] = [
      ["From block", "fromBlock", "abc", "integer", "From block must be a whole number in decimal digits"],
      ["From block", "fromBlock", "-1", "min", "From block must be at least 0"],
      ["From block", "fromBlock", "", "required", "From block is required"],
      ["To block", "toBlock", "36", "not_after_head", "To block must be at most the latest block (35); it is 36"],
      ["To block", "toBlock", "1.5", "integer", "To block must be a whole number in decimal digits"],
    ];
    for (const [label, field, value, rule, text] of cases) {
      await retype(user, label, value);
      expect(messageOf(field), `${label} = "${value}"`).toEqual({ text, rule });
      await user.click(screen.getByRole("button", { name: "Export" }));
      expect(pages, `${label} = "${value}"`).toEqual([]);
      await retype(user, label, field === "fromBlock" ? "0" : String(HEAD));
    }
    await retype(user, "From block", "20");
    await retype(user, "To block", "10");
    expect(messageOf("toBlock")).toEqual({ text: "To block must be at least the first block (20); it is 10", rule: "from_le_to" });
    await user.click(screen.getByRole("button", { name: "Export" }));
    expect(pages).toEqual([]);
    expect(save).not.toHaveBeenCalled();
    expect(screen.queryByTestId("export-progress")).toBeNull();
  });

  it("shows the pages read as it goes, then downloads the core's CSV under its name", async () => {
    const user = userEvent.setup();
    const { reader, pages, release } = pagedReader(2);
    const save = vi.fn();
    renderInSession(h(ExportPanel, { save }), { reader, block: HEAD });
    await user.click(screen.getByRole("button", { name: "Export" }));

    const progress = await screen.findByTestId("export-progress");
    await waitFor(() => expect(progress.textContent!.trim()).toMatch(/^1 of 4 pages read \(blocks 0\.\.9 of 0\.\.35, 1 records\)$/));
    const bar = progress.querySelector("progress")!;
    expect([bar.value, bar.max]).toEqual([1, 4]);
    expect(screen.getByRole("button", { name: "Export" }).hasAttribute("disabled")).toBe(true);
    expect(save).not.toHaveBeenCalled();

    release();
    const result = await screen.findByTestId("export-result");
    expect(result.textContent).toBe(
      "Exported 1 records of blocks 0..35 to gridledger-export-0-35.csv; bills: 0 ok, 0 failed, 0 unavailable.",
    );
    expect(pages).toEqual([
      [0, 9],
      [10, 19],
      [20, 29],
      [30, 35],
    ]);
    expect(save).toHaveBeenCalledTimes(1);
    const [blob, name] = save.mock.calls[0] as [Blob, string];
    expect(name).toBe("gridledger-export-0-35.csv");
    expect(blob.type).toBe("text/csv;charset=utf-8");
    const rows = parseCsv(await blob.text());
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    expect(rows).toHaveLength(2);
    const row = Object.fromEntries(EXPORT_COLUMNS.map((c, i) => [c, rows[1][i]]));
    expect(row).toMatchObject({
      kind: "OfferOpened",
      record_id: "1",
      producer: ACCOUNT,
      capacity_wh: "100000",
      block_number: "3",
      block_time: String(1_790_000_003),
      transaction_hash: TX,
    });
  });

  it("names a JSON file by its range, and saves nothing when cancelled", async () => {
    const user = userEvent.setup();
    const first = pagedReader(3);
    const save = vi.fn();
    const view = renderInSession(h(ExportPanel, { save }), { reader: first.reader, block: HEAD });
    await user.click(screen.getByRole("button", { name: "Export" }));
    await waitFor(() => expect(screen.getByTestId("export-progress").textContent!.trim()).toMatch(/^2 of 4 pages read/));
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    first.release();
    expect((await screen.findByText("Export cancelled; nothing was saved.")).getAttribute("role")).toBe("status");
    expect(first.pages).toHaveLength(3); // stopped after the page it was reading
    expect(save).not.toHaveBeenCalled();
    view.unmount();

    const second = pagedReader();
    renderInSession(h(ExportPanel, { save }), { reader: second.reader, block: HEAD });
    await retype(user, "From block", "3");
    await retype(user, "To block", "3");
    await user.selectOptions(screen.getByLabelText("Format"), "json");
    await user.click(screen.getByRole("button", { name: "Export" }));
    await screen.findByTestId("export-result");
    const [blob, name] = save.mock.calls[0] as [Blob, string];
    expect(name).toBe("gridledger-export-3-3.json");
    const rows = JSON.parse(await blob.text()) as Record<string, string | null>[];
    expect(rows.map((r) => [r.kind, r.record_id, r.transaction_hash, r.purchase_id])).toEqual([["OfferOpened", "1", TX, null]]);
  });
});
