/**
 * How the web app follows a stream of the chain's events (alerts, threshold notices) until its view goes away:
 * a failure (the node unreachable, a log query refused) is shown and the stream is started again after a pause,
 * from where its `follow` function says; an abort stops it quietly.
 */
import { describeError } from "../../../src/ledgerErrors.js";

/**
 * Runs `follow` until `signal` aborts or `follow` returns; when it throws, hands the error's text to `onError`
 * and runs it again after `retryMs`.
 */
export async function followUntilAborted(
  signal: AbortSignal,
  retryMs: number,
  onError: (message: string) => void,
  follow: () => Promise<void>,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await follow();
      return;
    } catch (err) {
      if (signal.aborted) return;
      onError(describeError(err));
      await new Promise((r) => setTimeout(r, retryMs));
    }
  }
}
