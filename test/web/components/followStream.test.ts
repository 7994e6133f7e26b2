/**
 * The web app's streams (alerts, threshold notices) are followed until their view goes away: a failure is shown
 * and the stream started again after the pause; a stream that ends, or an abort, stops it.
 */
import { describe, expect, it } from "vitest";
import { followUntilAborted } from "@web/alerts/followStream";

describe("followUntilAborted", () => {
  it("shows each failure and starts again after the pause, until the stream ends", async () => {
    const shown: string[] = [];
    const starts: number[] = [];
    await followUntilAborted(new AbortController().signal, 30, (m: string) => shown.push(m), async () => {
      starts.push(performance.now());
      if (starts.length < 3) throw new Error(`node unreachable (${starts.length})`);
    });
    expect(starts).toHaveLength(3);
    expect(shown.map((m) => m.replace(/^.*node unreachable/, "node unreachable"))).toEqual(["node unreachable (1)", "node unreachable (2)"]);
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(29);
  });

  it("stops quietly once aborted, even when the stream then fails", async () => {
    const controller = new AbortController();
    const shown: string[] = [];
    let starts = 0;
    await followUntilAborted(controller.signal, 10, (m: string) => shown.push(m), async () => {
      starts++;
      controller.abort();
      throw new Error("aborted query");
    });
    expect(starts).toBe(1);
    expect(shown).toEqual([]);
  });
});
