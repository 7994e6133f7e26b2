/**
 * The audit dashboard and the alert settings in a real browser (Debian's Chromium through playwright-core) against
 * one real `npm start -- --demo` stack, whose seeding runs complete cycles with bills on IPFS and anchors a batch of
 * a demo meter's signed readings:
 * - the audit dashboard's Export downloads a CSV of blocks 0 to the head, and every row matches the chain's record
 *   (kind, id, transaction hash, log position) with each bill fetched from IPFS and verified "ok";
 * - a producer sets a storage threshold in the alerts view: the crossing before it is listed quietly, readings
 *   recorded after it raise a toast and, with desktop notifications on and the tab hidden, a notification;
 * - the user opens the batch in the audit view, proves a reading and sees every check pass; then pastes the same
 *   reading with one digit of its value changed and sees the proof fail.
 * Screenshots go to the shared temp folder.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { getAddress, JsonRpcProvider } from "ethers";
import type { BrowserContext, Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXPORT_COLUMNS } from "../../src/auditExport.js";
import { parseLedgerLog, type LedgerEvent } from "../../src/events.js";
import { parseCsv } from "../support/csv.js";
import { DEMO_ROLES } from "../../src/stack/demo.js";
import { onOwnPage, pageErrors, see, shoot, SHOTS, startBrowserStack, transact, useAccount, type BrowserStack } from "./support/browserStack.js";

let stack: BrowserStack;

beforeAll(async () => {
  stack = await startBrowserStack({ demo: true });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

/** The id a record is known by: offer, purchase, purchase:index, or the account/meter it names. */
function recordId(e: LedgerEvent): string | undefined {
  if ("index" in e && "purchaseId" in e) return `${e.purchaseId}:${e.index}`;
  if ("purchaseId" in e) return String(e.purchaseId);
  if ("offerId" in e) return String(e.offerId);
  return undefined;
}

describe("audit export and alert settings in the browser", () => {
  it("downloads every record of the chain as CSV, each bill re-verified", async () => {
    const config = (await (await fetch(`${stack.web}/config.json`)).json()) as { contract: string; chainId: number };
    const head = Number(BigInt(await stack.rpc<string>("eth_blockNumber")));
    const provider = new JsonRpcProvider(`${stack.web}/rpc`, config.chainId, { staticNetwork: true });
    const logs = await provider.getLogs({ address: config.contract, fromBlock: 0, toBlock: head });
    provider.destroy();
    const events = logs.map(parseLedgerLog).filter((e): e is LedgerEvent => e !== undefined);
    const bills = events.filter((e) => e.kind === "BillRecorded");
    expect(bills.length, "the demo records bills").toBeGreaterThan(0);

    await onOwnPage(stack.browser, { shot: "failure-export", context: { acceptDownloads: true } }, async (page) => {
      const errors = pageErrors(page);
      await page.goto(stack.web);
      await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Audit" }).click();
      const form = page.getByRole("form", { name: "Export records" });
      const toBlock = form.getByLabel("To block");
      // "To block" follows the chain's head.
      for (const deadline = Date.now() + 20_000; (await toBlock.inputValue()) !== String(head);) {
        if (Date.now() > deadline) throw new Error(`To block shows ${await toBlock.inputValue()}, not the head ${head}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await form.getByLabel("From block").inputValue()).toBe("0");

      // A wrong field is shown with its rule, and nothing is exported.
      await toBlock.fill(String(head + 1000));
      await see(form.locator('[data-field="toBlock"][data-rule="not_after_head"]')).toContainText(
        `must be at most the latest block (${head})`,
      );
      await toBlock.fill(String(head));

      const downloading = page.waitForEvent("download", { timeout: 60_000 });
      await form.getByRole("button", { name: "Export" }).click();
      const download = await downloading;
      expect(download.suggestedFilename()).toBe(`gridledger-export-0-${head}.csv`);
      const file = path.join(stack.dataDir, download.suggestedFilename());
      await download.saveAs(file);
      await see(page.getByTestId("export-result")).toContainText(
        `Exported ${events.length} records of blocks 0..${head} to gridledger-export-0-${head}.csv; bills: ${bills.length} ok, 0 failed, 0 unavailable.`,
      );
      await shoot(page, "audit-export-desktop");

      const [header, ...rows] = parseCsv(await readFile(file, "utf8"));
      expect(header).toEqual([...EXPORT_COLUMNS]);
      const records = rows.map((r) => Object.fromEntries(EXPORT_COLUMNS.map((c, i) => [c, r[i]])));
      expect(records.map((r) => [r.kind, r.transaction_hash, r.block_number, r.log_index])).toEqual(
        events.map((e) => [e.kind, e.transactionHash, String(e.blockNumber), String(e.logIndex)]),
      );
      records.forEach((r, i) => {
        const id = recordId(events[i]);
        if (id !== undefined) expect(r.record_id, `${r.kind} at ${r.block_number}:${r.log_index}`).toBe(id);
      });
      const billRows = records.filter((r) => r.kind === "BillRecorded");
      expect(billRows.map((r) => [r.purchase_id, r.bill_cid, r.bill_verification])).toEqual(
        bills.map((e) => ["purchaseId" in e ? String(e.purchaseId) : "", "cid" in e ? e.cid : "", "ok"]),
      );
      expect(new Set(records.map((r) => r.kind))).toEqual(new Set(events.map((e) => e.kind)));
      expect(errors).toEqual([]);
    });
  }, 180_000);

  it("lists a storage crossing from the threshold set in the alerts view, and pushes later ones", async () => {
    const prepare = async (context: BrowserContext) => {
        await context.grantPermissions(["notifications"], { origin: stack.web });
        // The tab counts as hidden, and the notifications it raises are recorded instead of shown.
        await context.addInitScript(() => {
          const shown: { title: string; body?: string; tag?: string }[] = [];
          const real = window.Notification;
          class Recorded {
            static get permission() {
              return real.permission;
            }
            static requestPermission() {
              return real.requestPermission();
            }
            constructor(title: string, options?: NotificationOptions) {
              shown.push({ title, body: options?.body, tag: options?.tag });
            }
          }
          Object.assign(window, { Notification: Recorded, shownNotifications: shown });
          Object.defineProperty(document, "visibilityState", { get: () => "hidden" });
        });
    };
    const producer = DEMO_ROLES.producers[0]; // offer 1: 100 kWh, opened at 80 kWh, read at 79 kWh
    await onOwnPage(stack.browser, { shot: "failure-thresholds", prepare }, async (page) => {
      const errors = pageErrors(page);
      await page.goto(stack.web);
      await useAccount(page, producer, stack.accounts[producer], "Alerts");
      const toggle = page.getByRole("switch", { name: "Desktop notifications" });
      await toggle.check();
      await see(page.getByTestId("desktop-notifications")).toHaveAttribute("data-status", /^on$/);

      const settings = page.getByRole("form", { name: "Threshold alerts" });
      await settings.getByLabel("Storage below").fill("150%");
      await see(settings.locator('[data-field="storageBelow"][data-rule="percent_range"]')).toContainText(
        "must be above 0% and at most 100%",
      );
      await settings.getByLabel("Storage below").fill("90%");
      await settings.getByRole("button", { name: "Save thresholds" }).click();
      await see(settings.getByTestId("threshold-state")).toContainText(/^Watching: storage below 90% \(from block \d+\)\.$/);
      const list = page.getByRole("list", { name: "Alert list" });
      await see(list.locator('li[data-kind="storage-below"]')).toContainText("offer 1 storage fell below 90% (90 kWh): 80 kWh available");
      expect(await page.locator(".toast").filter({ hasText: "Storage below threshold" }).count()).toBe(0); // before the settings

      await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Producer" }).click();
      const storage = page.getByRole("form", { name: "Record storage of offer 1" });
      await storage.getByLabel("Available storage of offer 1").fill("95 kWh");
      await transact(storage, storage.getByRole("button", { name: "Record storage of offer 1" }));
      await see(page.locator(".toast")).toContainText("offer 1 storage is back at or above 90% (90 kWh): 95 kWh available");
      await storage.getByLabel("Available storage of offer 1").fill("50 kWh");
      await transact(storage, storage.getByRole("button", { name: "Record storage of offer 1" }));
      await see(page.locator(".toast")).toContainText("offer 1 storage fell below 90% (90 kWh): 50 kWh available");

      await page
        .getByRole("navigation", { name: "Views" })
        .getByRole("link", { name: /^Alerts/ })
        .click();
      await see(list.locator('li[data-kind="storage-restored"]')).toContainText("95 kWh available");
      expect(await list.locator('li[data-kind^="storage-"]').count()).toBe(3);
      const shown = await page.evaluate(
        () => (window as unknown as { shownNotifications: { title: string; body?: string }[] }).shownNotifications,
      );
      const titles = shown.map((n) => n.title);
      expect(titles).toContain("Storage back above threshold");
      expect(titles).toContain("Storage below threshold");
      expect(titles.filter((t) => t === "Storage below threshold")).toHaveLength(1); // not the one before the settings
      expect(shown.find((n) => n.title === "Storage below threshold")?.body).toMatch(/50 kWh available/);
      await shoot(page, "alerts-thresholds-desktop");
      expect(errors).toEqual([]);
    });
  }, 180_000);
});

describe("reading proofs in the audit view", () => {
  it("proves a reading of the demo's anchored batch, and fails the same reading with one digit changed", async () => {
    expect(stack.output()).toMatch(/demo: batch 1 anchored 5 signed readings/);
    const meter = getAddress(stack.accounts[DEMO_ROLES.meters[0]]);
    await onOwnPage(stack.browser, { shot: "failure-readings" }, async (page) => {
      const errors = pageErrors(page);
      await page.goto(stack.web);
      await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Audit" }).click();
      const panel = page.getByRole("region", { name: "Readings" });
      await panel.getByRole("button", { name: "Open batch 1" }).click();
      const readings = panel.getByTestId("batch-readings");
      await see(readings).toContainText("Batch 1: 5 readings");
      const row = readings.locator(`tr[data-meter="${meter}"][data-seq="2"]`);
      await see(row).toContainText("energy of purchase 1");

      await row.getByRole("button", { name: `Prove reading 2 of meter ${meter}` }).click();
      const proof = panel.getByTestId("reading-proof");
      await see(proof).toHaveAttribute("data-ok", /^true$/);
      expect(await checks(proof)).toEqual({ "merkle-off-chain": "true", "merkle-on-chain": "true", signature: "true", authorisation: "true" });
      expect(await proof.locator('li[data-check="signature"]').textContent()).toBe(`✓ EIP-712 signature: recovers to ${meter}, the reading's meter`);
      await shoot(page, "reading-proven");

      // The same reading, pasted with the last digit of its value changed.
      const json = JSON.parse((await proof.getByTestId("reading-json").textContent()) ?? "") as Record<string, string>;
      const value = json.value;
      const altered = { ...json, value: value.slice(0, -1) + String((Number(value.at(-1)) + 1) % 10) };
      expect(altered.value).not.toBe(value);
      const form = panel.getByRole("form", { name: "Prove a reading from its JSON" });
      await form.getByLabel(/^Reading JSON/).fill(JSON.stringify(altered));
      await form.getByRole("button", { name: "Prove pasted reading" }).click();
      await see(proof).toHaveAttribute("data-ok", /^false$/);
      expect(await checks(proof)).toEqual({ "merkle-off-chain": "false", "merkle-on-chain": "false", signature: "false", authorisation: "true" });
      await see(proof).toContainText(`✕ Not proven: reading 2 of meter ${meter} in batch 1.`);
      await shoot(page, "reading-altered");
      expect(errors).toEqual([]);
    });
    console.log(`screenshots in ${SHOTS}`);
  }, 180_000);
});

/** Each check line of a proof, and whether it passed. */
async function checks(proof: Locator): Promise<Record<string, string | null>> {
  return Object.fromEntries(
    await proof.locator("li[data-check]").evaluateAll((items) => items.map((li) => [li.getAttribute("data-check"), li.getAttribute("data-pass")])),
  );
}
