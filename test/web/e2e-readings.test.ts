/**
 * Reading proofs in a real browser (Debian's Chromium through playwright-core) against the real
 * `npm start -- --demo` stack, whose seeding anchors a batch of a demo meter's signed readings: the user opens
 * the audit view, opens the batch, proves a reading and sees every check pass; then pastes the same reading with
 * one digit of its value changed and sees the proof fail. Screenshots go to the shared temp folder.
 */
import { getAddress } from "ethers";
import type { Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ROLES } from "../../src/stack/demo.js";
import { pageErrors, see, shoot, SHOTS, startBrowserStack, type BrowserStack } from "./support/browserStack.js";

let stack: BrowserStack;

beforeAll(async () => {
  stack = await startBrowserStack({ demo: true });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

describe("reading proofs in the audit view", () => {
  it("proves a reading of the demo's anchored batch, and fails the same reading with one digit changed", async () => {
    expect(stack.output()).toMatch(/demo: batch 1 anchored 5 signed readings/);
    const meter = getAddress(stack.accounts[DEMO_ROLES.meters[0]]);
    const context = await stack.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const errors = pageErrors(page);
    try {
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
    } catch (error) {
      await shoot(page, "failure-readings").catch(() => undefined);
      throw error;
    } finally {
      await context.close();
    }
    console.log(`screenshots in ${SHOTS}`);
  }, 180_000);
});

/** Each check line of a proof, and whether it passed. */
async function checks(proof: Locator): Promise<Record<string, string | null>> {
  return Object.fromEntries(
    await proof.locator("li[data-check]").evaluateAll((items) => items.map((li) => [li.getAttribute("data-check"), li.getAttribute("data-pass")])),
  );
}
