/**
 * The web app end to end, in a real browser (Debian's Chromium through playwright-core) against the real
 * `npm start` stack on free ports with a fresh data directory: a producer authorises a meter and opens an
 * offer, a purchaser buys at the exact cost shown, the meter records a transfer, the purchaser acknowledges,
 * the producer bills (progress to confirmed), the purchaser opens and verifies the bill and withdraws the
 * refund; both see their alerts (also after a reload, without duplicates); the audit view shows the records,
 * their counts and verifies a dropped bill file. Screenshots at 375 px and desktop width go to a temp dir.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  onOwnPage,
  pageErrors,
  prepareScreenshots,
  see,
  shoot,
  SHOTS,
  startBrowserStack,
  transact,
  useAccount as signIn,
  type BrowserStack,
} from "./support/browserStack.js";

let stack: BrowserStack;
let web: string;
let dataDir: string;
let accounts: string[] = [];

beforeAll(async () => {
  stack = await startBrowserStack();
  ({ web, dataDir, accounts } = stack);
  await prepareScreenshots();
}, 240_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

const useAccount = (page: Page, index: number, view: string) => signIn(page, index, accounts[index], view);

describe("web app", () => {
  it("runs a full cycle in the browser: offer, purchase, transfer, acknowledgement, bill, verification, alerts, audit", async () => {
    await onOwnPage(stack.browser, { shot: "failure" }, async (page) => {
      const errors = pageErrors(page);
      await cycle(page, errors);
    });
    console.log(`screenshots in ${SHOTS}`);
  }, 300_000);

  // Runs after the cycle above, on the same chain: offer 1 and its 10 MW meter (account 4) exist.
  it("connects an EIP-6963 wallet on the wrong chain, switches it, buys; a dispute goes to the operator, who upholds it", async () => {
    const prepare = async (context: BrowserContext) => {
      await context.addInitScript(fakeWallet, { account: accounts[9] });
    };
    await onOwnPage(stack.browser, { shot: "failure-wallet", prepare }, async (page) => {
      const errors = pageErrors(page, { console: false });
      await page.goto(web);
      const wallet = page.getByRole("region", { name: "Account" });
      await wallet.getByRole("button", { name: "Connect Test Wallet" }).click();
      await see(wallet.getByRole("alert")).toContainText("Test Wallet is on chain 1; GridLedger here runs on chain 31337.");
      await wallet.getByRole("button", { name: "Switch network" }).click();
      await see(page.getByTestId("account")).toHaveAttribute("title", new RegExp(accounts[9], "i"));
      await see(wallet).toContainText("Test Wallet");

      await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Purchaser" }).click();
      await page.getByRole("list", { name: "Open offers" }).getByRole("button", { name: "Buy from offer 1" }).click();
      const buy = page.getByRole("form", { name: "Buy from offer 1" });
      await buy.getByLabel("Quantity from offer 1").fill("1 kWh");
      await see(buy.getByTestId("exact-cost")).toContainText("Exact cost: 0.0002 ETH (200000000000000 wei)");
      await transact(buy, buy.getByRole("button", { name: "Buy from offer 1" }), buy.getByText("Purchase 2 made."));
      const purchasedAt = Date.now();
      const calls = await page.evaluate(() => (window as unknown as { walletCalls: string[] }).walletCalls);
      expect(calls).toContain("wallet_switchEthereumChain");
      expect(calls).toContain("eth_sendTransaction");

      // the meter delivers half of it
      await new Promise((r) => setTimeout(r, Math.max(0, purchasedAt + 2_500 - Date.now())));
      await useAccount(page, 4, "Meter");
      const delivering = page.locator('article[data-purchase="2"]');
      await delivering.getByText("Record a transfer").click();
      const transfer = delivering.getByRole("form", { name: "Record a transfer for purchase 2" });
      await transfer.getByLabel("Amount delivered for purchase 2").fill("0.5 kWh");
      await transact(
        transfer,
        transfer.getByRole("button", { name: "Record transfer for purchase 2" }),
        transfer.getByText("Transfer 0 recorded."),
      );

      // the wallet's purchaser disputes it
      await wallet.getByRole("button", { name: "Connect Test Wallet" }).click();
      await see(page.getByTestId("account")).toHaveAttribute("title", new RegExp(accounts[9], "i"));
      await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Purchaser" }).click();
      const mine = page.locator('article[data-purchase="2"]');
      await mine.getByLabel("Dispute reason").selectOption({ label: "short delivery" });
      await transact(
        mine,
        mine.getByRole("button", { name: "Dispute transfer 0 of purchase 2" }),
        mine.locator('tr[data-transfer="0"]').filter({ hasText: "disputed" }),
      );

      // the operator (account 0) upholds it
      await useAccount(page, 0, "Operator");
      await see(page.getByTestId("roles")).toContainText("operator");
      const disputes = page.getByRole("list", { name: "Open disputes" });
      await see(disputes).toContainText("Purchase 2, transfer 0: 500 Wh disputed");
      await see(disputes).toContainText("short delivery");
      await transact(
        disputes,
        disputes.getByRole("button", { name: "Uphold the dispute of transfer 0 of purchase 2" }),
        page.getByText("No open dispute."),
      );
      await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Audit" }).click();
      await page.locator('table.events tr[data-kind="DisputeResolved"]').filter({ hasText: "dispute upheld" }).waitFor();
      await shoot(page, "operator-audit-desktop");
      expect(errors).toEqual([]);
    });
  }, 180_000);
});

/**
 * A browser wallet for the test, announced over EIP-6963: starts on chain 1, switches on request, holds one
 * account and passes everything else to the node through the app's /rpc (the node signs for its dev accounts).
 * Runs in the page, so it uses nothing from this module.
 */
function fakeWallet({ account }: { account: string }): void {
  let chainId = "0x1";
  const listeners: Record<string, ((...args: unknown[]) => void)[]> = {};
  const calls: string[] = [];
  (window as unknown as { walletCalls: string[] }).walletCalls = calls;
  const provider = {
    async request({ method, params }: { method: string; params?: unknown[] }): Promise<unknown> {
      calls.push(method);
      switch (method) {
        case "eth_chainId":
          return chainId;
        case "eth_requestAccounts":
        case "eth_accounts":
          return [account];
        case "wallet_switchEthereumChain":
          chainId = (params![0] as { chainId: string }).chainId;
          for (const listener of listeners.chainChanged ?? []) listener(chainId);
          return null;
      }
      if (chainId !== "0x7a69") throw Object.assign(new Error("the wallet is on another chain"), { code: 4901 });
      const response = await fetch("/rpc", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: calls.length, method, params: params ?? [] }),
      });
      const body = (await response.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
      if (body.error) throw Object.assign(new Error(body.error.message), body.error);
      return body.result;
    },
    on(event: string, listener: (...args: unknown[]) => void) {
      (listeners[event] ??= []).push(listener);
    },
    removeListener(event: string, listener: (...args: unknown[]) => void) {
      listeners[event] = (listeners[event] ?? []).filter((l) => l !== listener);
    },
  };
  const info = { uuid: "6d1bd1c0-5a5e-4d3c-9f0e-0c0ffee00001", name: "Test Wallet", icon: "", rdns: "org.gridledger.test-wallet" };
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
}

async function cycle(page: Page, errors: string[]): Promise<void> {
  await page.goto(web);
  await page.getByRole("heading", { name: "Purchaser", level: 1 }).waitFor();

  // ---- producer (account 1): authorise the meter (account 4) and open an offer
  await useAccount(page, 1, "Producer");
  await page.getByRole("heading", { name: "Producer", level: 1 }).waitFor();
  const meterForm = page.getByRole("form", { name: "Authorise a meter" });
  await meterForm.getByLabel("Meter address").fill(accounts[4]);
  await meterForm.getByLabel("Rated power").fill("10 MW");
  await transact(meterForm, meterForm.getByRole("button", { name: "Authorise meter" }));
  await page.getByRole("list", { name: "Active meters" }).getByText(accounts[4]).waitFor();

  const offerForm = page.getByRole("form", { name: "Open an offer" });
  await offerForm.getByLabel("Capacity").fill("100 kWh");
  await offerForm.getByLabel("Available storage").fill("200 kWh");
  await offerForm.getByLabel("Rate").fill("0.0002 ETH/kWh");
  await offerForm.getByLabel("Location").fill("E2E substation");
  // Live validation by the shared schemas: the cross-field rule, next to its field.
  await see(offerForm.locator('[data-field="available"][data-rule="available_le_capacity"]')).toContainText("must be at most the capacity");
  await offerForm.getByLabel("Available storage").fill("80 kWh");
  await see(offerForm.getByTestId("offer-preview")).toContainText("selling all of it earns 0.016 ETH");
  await transact(offerForm, offerForm.getByRole("button", { name: "Open offer" }));
  await offerForm.getByText("Offer 1 opened.").waitFor();
  await see(page.getByTestId("roles")).toContainText("producer");

  // ---- purchaser (account 7): buy 5 kWh at the exact cost shown
  await useAccount(page, 7, "Purchaser");
  const offers = page.getByRole("list", { name: "Open offers" });
  await offers.getByRole("button", { name: "Buy from offer 1" }).click();
  const buy = page.getByRole("form", { name: "Buy from offer 1" });
  await buy.getByLabel("Quantity from offer 1").fill("5 kWh");
  await see(buy.getByTestId("exact-cost")).toContainText("Exact cost: 0.001 ETH (1000000000000000 wei)");
  await buy.getByRole("button", { name: "Buy from offer 1" }).click();
  const review = buy.getByRole("group", { name: /^Review/ });
  await see(review).toContainText("You pay exactly 0.001 ETH (1000000000000000 wei)");
  await review.getByRole("button", { name: "Sign and send" }).click();
  await buy.getByText("Purchase 1 made.").waitFor();
  const purchasedAt = Date.now();
  const purchase = page.locator('article[data-purchase="1"]');
  await purchase.waitFor();
  await see(purchase.locator('[data-step="transferring"]')).toHaveAttribute("data-state", /current/);

  // ---- meter (account 4): record 4 kWh delivered (a window from the purchase to now)
  await new Promise((r) => setTimeout(r, Math.max(0, purchasedAt + 2_500 - Date.now())));
  await useAccount(page, 4, "Meter");
  const delivering = page.locator('article[data-purchase="1"]');
  await delivering.getByText("Record a transfer").click();
  const transfer = delivering.getByRole("form", { name: "Record a transfer for purchase 1" });
  await transfer.getByLabel("Amount delivered for purchase 1").fill("4 kWh");
  await transact(transfer, transfer.getByRole("button", { name: "Record transfer for purchase 1" }));
  await transfer.getByText("Transfer 0 recorded.").waitFor();
  // …and a storage reading of the offer
  const offersPanel = page.getByRole("list", { name: "Offers", exact: true });
  const storage = offersPanel.getByRole("form", { name: "Record storage of offer 1" });
  await storage.getByLabel("Available storage of offer 1").fill("70 kWh");
  await transact(storage, storage.getByRole("button", { name: "Record storage of offer 1" }));
  await see(offersPanel).toContainText("70 kWh of 100 kWh available");

  // ---- purchaser: sees the transfer arrive, acknowledges it
  await useAccount(page, 7, "Purchaser");
  const mine = page.locator('article[data-purchase="1"]');
  await see(mine.locator('tr[data-transfer="0"]')).toContainText("pending");
  await transact(
    mine,
    mine.getByRole("button", { name: "Acknowledge transfer 0 of purchase 1" }),
    mine.locator('tr[data-transfer="0"]').filter({ hasText: "acknowledged" }),
  );

  // ---- producer: bill in one action, progress to confirmed; the purchase alert arrived
  await useAccount(page, 1, "Producer");
  await see(page.getByRole("list", { name: "Incoming purchases" })).toContainText("Purchase 1: 5 kWh from offer 1");
  const sold = page.locator('article[data-purchase="1"]');
  await sold.getByRole("button", { name: "Bill purchase 1" }).click();
  const progress = sold.getByRole("list", { name: "Bill progress for purchase 1" });
  await see(progress.locator('[data-step="confirmed"]')).toHaveAttribute("data-state", /^done$/, 30_000);
  await see(sold).toContainText(/Confirmed in block \d+/);
  for (const step of ["building", "uploading", "signing", "mining"]) {
    expect(await progress.locator(`[data-step="${step}"]`).getAttribute("data-state")).toBe("done");
  }
  await shoot(page, "producer-desktop");

  // ---- purchaser: open and verify the bill, withdraw the refund; alerts, also after a reload
  await useAccount(page, 7, "Purchaser");
  const billed = page.locator('article[data-purchase="1"]');
  await see(billed.locator('[data-step="billed"]')).toHaveAttribute("data-state", /^done$/);
  await billed.getByRole("button", { name: "Open the bill of purchase 1" }).click();
  const frame = page.frameLocator('iframe[title="Bill for purchase 1"]');
  await frame.getByRole("heading", { name: "Bill for purchase 1" }).waitFor();
  await frame.getByText("purchaser is refunded 0.0002 ETH").waitFor();
  await billed.locator("iframe").scrollIntoViewIfNeeded();
  // A page screenshot leaves the sandboxed (out-of-process) frame blank in headless Chromium; the element's shows it.
  await billed.locator("iframe").screenshot({ path: path.join(SHOTS, "bill-iframe.png") });
  const raw = await billed.getByRole("link", { name: "Raw bill file" }).getAttribute("href");
  expect(raw).toMatch(/^\/ipfs\/baf/);
  const bytes = new Uint8Array(await (await fetch(web + raw)).arrayBuffer());
  expect(JSON.parse(new TextDecoder().decode(bytes))).toMatchObject({ format: "gridledger-bill/1", purchaseId: "1" });
  await billed.getByRole("button", { name: "Verify the bill of purchase 1" }).click();
  await see(billed.getByTestId("verify-result")).toContainText("Verified");

  await see(page.getByTestId("withdrawable")).toContainText("0.0002 ETH");
  const wallet = page.getByRole("region", { name: "Account" });
  await transact(wallet, wallet.getByRole("button", { name: "Withdraw 0.0002 ETH" }));
  await see(billed.locator('[data-step="settled"]')).toHaveAttribute("data-state", /^done$/);
  await shoot(page, "purchaser-desktop");

  await page.getByRole("link", { name: /^Alerts/ }).click();
  const alertList = page.getByRole("list", { name: "Alert list" });
  await see(alertList).toContainText("transfer 0: 4 kWh delivered");
  await see(alertList).toContainText("Purchase 1 billed");
  await see(alertList).toContainText("withdrew 0.0002 ETH");
  const before = await alertKeys(page);
  await page.reload();
  await see(page.getByTestId("account")).toHaveAttribute("title", new RegExp(accounts[7], "i"));
  await see(page.getByRole("list", { name: "Alert list" })).toContainText("Purchase 1 billed");
  await new Promise((r) => setTimeout(r, 2_500)); // let the resumed feed catch up
  const after = await alertKeys(page);
  expect(new Set(after).size).toBe(after.length);
  expect(after).toEqual(before);

  // ---- producer's alerts too
  await useAccount(page, 1, "Alerts");
  await see(page.getByRole("list", { name: "Alert list" })).toContainText("Purchase 1: 5 kWh from offer 1");

  // ---- audit: records, counts, verify by id and by a dropped file
  await page.getByRole("link", { name: "Audit" }).click();
  const counts = page.getByTestId("record-counts");
  for (const [label, n] of [
    ["Offers", 1],
    ["Storage readings", 1],
    ["Purchases", 1],
    ["Transfers", 1],
    ["Acknowledgements", 1],
    ["Bills", 1],
  ] as const) {
    await see(counts.locator(`[data-count="${label}"]`)).toContainText(String(n));
  }
  const events = page.locator("table.events");
  for (const kind of [
    "BillRecorded",
    "TransferAcknowledged",
    "EnergyTransferred",
    "EnergyPurchased",
    "OfferOpened",
    "MeterAuthorized",
    "Withdrawn",
  ]) {
    await events.locator(`tr[data-kind="${kind}"]`).first().waitFor();
  }
  await see(events.locator("tr").nth(1)).toContainText(/#\d+/);
  await page.getByRole("form", { name: "Filter events" }).getByLabel("Purchase id").fill("1");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await events.locator('tr[data-kind="OfferOpened"]').waitFor({ state: "detached" });
  const verify = page.getByRole("form", { name: "Verify a bill by purchase id" });
  await verify.getByLabel("Purchase id").fill("1");
  await verify.getByRole("button", { name: "Verify bill" }).click();
  await see(page.getByTestId("verify-result")).toContainText("Checked the bill recorded for purchase 1, fetched from IPFS.");
  const billFile = path.join(dataDir, "bill-1.json");
  await writeFile(billFile, bytes);
  await page.getByLabel("Choose a bill file").setInputFiles(billFile);
  await see(page.getByTestId("verify-result")).toContainText(/Verified: bill .* Checked the file bill-1\.json\./);
  const tampered = path.join(dataDir, "bill-1-tampered.json");
  const tamperedText = new TextDecoder().decode(bytes).replace('"refund":"200000000000000"', '"refund":"0"');
  expect(tamperedText).not.toBe(new TextDecoder().decode(bytes));
  await writeFile(tampered, tamperedText);
  await page.getByLabel("Choose a bill file").setInputFiles(tampered);
  await see(page.getByTestId("verify-result")).toContainText(/Not verified: \d+ mismatch\(es\)\. Checked the file bill-1-tampered\.json\./);
  await see(page.getByTestId("verify-result")).toContainText("settlement.refund");
  await shoot(page, "audit-desktop");

  // ---- a phone's width: same views, nothing wider than the screen
  await page.setViewportSize({ width: 375, height: 812 });
  for (const view of ["Audit", "Purchaser", "Producer"]) {
    await page.getByRole("link", { name: view }).click();
    await page.getByRole("heading", { name: view, level: 1 }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${view} is wider than 375 px`).toBeLessThanOrEqual(0);
    await shoot(page, `${view.toLowerCase()}-375`);
  }

  expect(errors).toEqual([]);
}

async function alertKeys(page: Page): Promise<string[]> {
  return page
    .getByRole("list", { name: "Alert list" })
    .locator("li")
    .evaluateAll((items) => items.map((li) => li.getAttribute("data-key") ?? ""));
}
