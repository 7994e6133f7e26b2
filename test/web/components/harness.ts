/**
 * Renders web components inside a session with stand-ins for the chain: only what a test needs is given, as
 * plain objects. No JSX here (the repo's root typecheck has none): elements are made with createElement.
 */
import { cleanup, render, screen, type RenderResult } from "@testing-library/react";
import type { userEvent } from "@testing-library/user-event";
import { createElement, type FunctionComponent, type ReactElement } from "react";
import { afterEach } from "vitest";
import { SessionContext } from "@web/chain/session";

export const h = createElement;

export const CONFIG = {
  chainId: 31337,
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  deployedAtBlock: 1,
  rpcUrl: "/rpc",
  ipfsUrl: "/api/v0",
  gatewayUrl: "/ipfs",
  localAccounts: true,
};

export const ACCOUNT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
export const METER = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
export const OTHER_METER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";

export interface SessionStub {
  reader?: Record<string, unknown>;
  client?: Record<string, unknown>;
  account?: string;
  refresh?: () => void;
  /** The latest block the session has seen (default 1). */
  block?: number;
  /** The IPFS store the session hands out (only the methods the component calls). */
  billStore?: Record<string, unknown>;
}

export function renderInSession(ui: ReactElement, stub: SessionStub = {}): RenderResult {
  const session = {
    config: CONFIG,
    reader: stub.reader ?? {},
    client: stub.client,
    account: stub.account ?? (stub.client ? ACCOUNT : undefined),
    signer: stub.client ? { kind: "local", index: 1 } : undefined,
    block: stub.block ?? 1,
    version: 1,
    refresh: stub.refresh ?? (() => undefined),
    billStore: async () => {
      if (stub.billStore) return stub.billStore;
      throw new Error("no bill store in component tests");
    },
  };
  // The stand-ins hold only what the components under test call.
  return render(h(SessionContext.Provider, { value: session as never }, ui));
}

export function component<P extends object>(c: unknown): FunctionComponent<P> {
  return c as FunctionComponent<P>;
}

afterEach(() => cleanup());

/** The message a form shows for a field: its text and rule, or undefined. */
export function messageOf(field: string): { text: string; rule: string } | undefined {
  const el = document.querySelector(`.field-error[data-field="${field}"]`);
  return el ? { text: el.textContent ?? "", rule: el.getAttribute("data-rule") ?? "" } : undefined;
}

/** Clears the labelled input and types `value` into it (nothing for ""). */
export async function retype(user: ReturnType<typeof userEvent.setup>, label: string, value: string): Promise<void> {
  const input = screen.getByLabelText(label);
  await user.clear(input);
  if (value !== "") await user.type(input, value);
}
