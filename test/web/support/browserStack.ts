/**
 * What the browser end-to-end tests share: the real `npm start` stack on free ports with a fresh data directory,
 * Debian's Chromium through playwright-core, and the page steps every test takes (pick a development account,
 * send a transaction through its review, wait for text, take a screenshot).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from "playwright-core";
import { deploymentId, journalDir } from "../../../src/stack/localDeploy.js";
import { freePort } from "../../../src/stack/ports.js";

export const ROOT = path.resolve(import.meta.dirname, "../../..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const DIST = path.join(ROOT, "web/dist/index.html");
/** Where screenshots go (printed by the tests that take them). */
export const SHOTS = process.env.GRIDLEDGER_SCREENSHOTS ?? path.join(tmpdir(), "gridledger-e2e-screenshots");

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface BrowserStack {
  /** The web app's origin, e.g. http://127.0.0.1:41234. */
  web: string;
  dataDir: string;
  /** The node's development accounts, in index order. */
  accounts: string[];
  browser: Browser;
  /** A JSON-RPC call through the web server's /rpc proxy. */
  rpc<T>(method: string, params?: unknown[]): Promise<T>;
  /** Everything the stack printed so far. */
  output(): string;
  /** Closes the browser, stops the stack and removes its data; safe to call after a failed start. */
  stop(): Promise<void>;
}

/**
 * Starts `npm start` (scripts/start.ts) on free ports with a fresh data directory, and Chromium; with
 * `demo`, as `npm start -- --demo` (the seeded grid).
 */
export async function startBrowserStack(options: { demo?: boolean } = {}): Promise<BrowserStack> {
  if (!existsSync(DIST)) {
    throw new Error(`${path.relative(ROOT, DIST)} is missing: build the web app first with \`npm run build:web\` (npm test builds it)`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's (\`apt-get install chromium\`) or set CHROMIUM_PATH`);
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), "gridledger-web-e2e-"));
  const ports = { rpc: await freePort(), ipfs: await freePort(), web: await freePort() };
  const args = ["--data-dir", dataDir, "--rpc-port", String(ports.rpc), "--ipfs-port", String(ports.ipfs), "--web-port", String(ports.web)];
  if (options.demo) args.push("--demo");
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const web = `http://127.0.0.1:${ports.web}`;
  let browser: Browser | undefined;

  const stop = async () => {
    await browser?.close().catch(() => undefined);
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
    await rm(journalDir(deploymentId(dataDir, 31337)), { recursive: true, force: true });
  };

  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const response = await fetch(`${web}/rpc`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { result: T; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };

  try {
    await waitForOutput("is running", 150_000, () => output, child);
    const accounts = await rpc<string[]>("eth_accounts");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
    return { web, dataDir, accounts, browser, rpc, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForOutput(text: string, timeoutMs: number, output: () => string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (output().includes(text)) return;
    if (child.exitCode !== null) throw new Error(`the stack exited (${child.exitCode}):\n${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for "${text}":\n${output()}`);
}

/** Empties and creates the default screenshot folder (a folder given by the environment is left as it is). */
export async function prepareScreenshots(): Promise<void> {
  if (!process.env.GRIDLEDGER_SCREENSHOTS) await rm(SHOTS, { recursive: true, force: true }); // only our own default folder
  await mkdir(SHOTS, { recursive: true });
}

export async function shoot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * Runs `test` on a new page in a browser context of its own (1280×900 unless `context` says otherwise, 20 s
 * default timeout; `prepare` sets the context up before the page opens: permissions, init scripts). When the
 * test fails the page is saved as `<shot>.png` first; the context is closed either way.
 */
export async function onOwnPage(
  browser: Browser,
  options: { shot: string; context?: BrowserContextOptions; prepare?: (context: BrowserContext) => Promise<void> },
  test: (page: Page) => Promise<void>,
): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options.context });
  try {
    await options.prepare?.(context);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    try {
      await test(page);
    } catch (error) {
      await shoot(page, options.shot).catch(() => undefined);
      throw error;
    }
  } finally {
    await context.close();
  }
}

/** Polling expectations on locators (playwright-core has no `expect`). */
export const see = (locator: Locator) => ({
  async toContainText(text: string | RegExp, timeout = 20_000) {
    await locator.filter({ hasText: text }).first().waitFor({ timeout });
  },
  async toHaveAttribute(name: string, value: RegExp, timeout = 20_000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const actual = await locator.getAttribute(name).catch(() => null);
      if (actual !== null && value.test(actual)) return;
      if (Date.now() > deadline) throw new Error(`${name}=${actual} does not match ${value}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  },
});

/**
 * Clicks a transaction button, checks the gas and fee estimate is shown, signs, and waits until mined (or until
 * `done` shows, for an action whose button goes away once it has done its work).
 */
export async function transact(scope: Locator, button: Locator, done?: Locator): Promise<void> {
  await button.click();
  const review = scope.getByRole("group", { name: /^Review/ });
  await see(review.getByTestId("tx-estimate")).toContainText(/Estimated gas [\d,]+, fee up to [\d.]+ ETH/);
  await review.getByRole("button", { name: "Sign and send" }).click();
  await (done ?? scope.getByText(/Mined in block \d+/).first()).waitFor();
}

/** Signs in as development account `index` (whose address is `address`) and opens `view`. */
export async function useAccount(page: Page, index: number, address: string, view: string): Promise<void> {
  await page.getByLabel("Local development account").selectOption(String(index));
  await see(page.getByTestId("account")).toHaveAttribute("title", new RegExp(address, "i"));
  await page
    .getByRole("navigation", { name: "Views" })
    .getByRole("link", { name: new RegExp(`^${view}`) })
    .click();
}

/** Collects the page's errors (uncaught exceptions and console errors): a test ends expecting none. */
export function pageErrors(page: Page, options: { console?: boolean } = {}): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  if (options.console ?? true) {
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`);
    });
  }
  return errors;
}
