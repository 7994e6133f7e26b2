/**
 * The provider's send queue: what is queued in one go leaves together, shared out among a few requests; an
 * account never has two requests out, so its transactions reach the node in the order they were queued; each
 * transaction gets its own outcome. Against a node stand-in that answers after a delay (no network).
 */
import { describe, expect, it } from "vitest";
import { JsonRpcProvider, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { SendQueue } from "../../src/sendQueue.js";

/** Answers eth_sendRawTransaction after `delayMs`; refuses raw transactions that contain "bad". */
class StandInNode extends JsonRpcProvider {
  readonly requests: { raws: string[]; start: number; end: number }[] = [];
  constructor(readonly delayMs = 20) {
    super("http://127.0.0.1:1", 31337, { staticNetwork: true });
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const list = Array.isArray(payload) ? payload : [payload];
    const request = { raws: list.map((p) => (p.params as string[])[0]), start: performance.now(), end: Infinity };
    this.requests.push(request);
    await new Promise((r) => setTimeout(r, this.delayMs));
    request.end = performance.now();
    return list.map((p) =>
      (p.params as string[])[0].includes("bad")
        ? ({ id: p.id, error: { code: -32000, message: "invalid transaction" } } as unknown as JsonRpcResult)
        : { id: p.id, result: `hash-of-${(p.params as string[])[0]}` },
    );
  }
}

/** A raw transaction stand-in naming its account and sequence. */
const raw = (account: string, i: number) => `0x${account}${i.toString().padStart(3, "0")}`;

describe("SendQueue", () => {
  it("sends what was queued in one go together, shared among at most four requests", async () => {
    const node = new StandInNode();
    const queue = SendQueue.for(node);
    const accounts = Array.from({ length: 8 }, (_, k) => `a${k}`);
    const outcomes = await Promise.all(accounts.flatMap((a) => Array.from({ length: 5 }, (_, i) => queue.send(raw(a, i), a))));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    // 40 transactions of 8 accounts, queued at once: four requests of two accounts each, all out together.
    expect(node.requests.map((r) => r.raws.length)).toEqual([10, 10, 10, 10]);
    expect(Math.max(...node.requests.map((r) => r.start)) < Math.min(...node.requests.map((r) => r.end))).toBe(true);
  });

  it("keeps one request out per account, its transactions in the order queued", async () => {
    const node = new StandInNode(10);
    const queue = SendQueue.for(node);
    const sends: Promise<unknown>[] = [];
    // Queued in waves while requests are out: later ones must wait for their account's request.
    for (let wave = 0; wave < 6; wave++) {
      for (const a of ["aa", "bb", "cc"]) sends.push(queue.send(raw(a, wave), a));
      await new Promise((r) => setTimeout(r, 4));
    }
    await Promise.all(sends);
    for (const a of ["aa", "bb", "cc"]) {
      const mine = node.requests.filter((r) => r.raws.some((x) => x.startsWith(`0x${a}`)));
      expect(mine.flatMap((r) => r.raws.filter((x) => x.startsWith(`0x${a}`)))).toEqual(Array.from({ length: 6 }, (_, i) => raw(a, i)));
      for (let i = 1; i < mine.length; i++) expect(mine[i].start).toBeGreaterThanOrEqual(mine[i - 1].end);
    }
  });

  it("gives each transaction its own outcome and the time its request left", async () => {
    const node = new StandInNode(5);
    const queue = SendQueue.for(node);
    const before = performance.now();
    const [good, bad] = await Promise.all([queue.send(raw("aa", 0), "aa"), queue.send("0xbad", "bb")]);
    expect(good).toMatchObject({ ok: true });
    expect(bad.ok).toBe(false);
    expect(String((bad as { error: Error }).error.message)).toContain("invalid transaction");
    expect(good.sentAt).toBeGreaterThanOrEqual(before);
    expect(good.sentAt).toBeLessThanOrEqual(node.requests[0].start);
  });
});
