/**
 * One transaction, from button to block: estimate gas and fee first (client.estimate) and show them with what
 * the action costs, then sign and follow it (signing → pending → mined), or show why it failed (describeError)
 * with a Retry. The form around it keeps its values whatever happens.
 */
import { useRef, useState, type ReactNode } from "react";
import { describeError } from "../../../src/ledgerErrors.js";
import type { TxStatus } from "../../../src/txSender.js";
import { explorerUrl } from "../config.js";
import { useSession } from "../chain/session.js";
import { formatEth, formatGas, shortHex } from "../format.js";

export interface Estimate {
  gas: bigint;
  fee: bigint;
}

export interface Mined {
  hash: string;
  blockNumber: number;
}

export type TxPhase =
  | { phase: "idle" }
  | { phase: "estimating" }
  | { phase: "review"; estimate: Estimate }
  | { phase: "signing"; estimate?: Estimate }
  | { phase: "pending"; hash: string; estimate?: Estimate }
  | { phase: "mined"; hash: string; blockNumber: number }
  | { phase: "failed"; reason: string; at: "estimate" | "send"; hash?: string; estimate?: Estimate };

export interface TxActionProps {
  /** The button's text, e.g. "Open offer". */
  label: string;
  /** A longer accessible name when the label alone is ambiguous (e.g. "Acknowledge transfer 0 of purchase 3"). */
  ariaLabel?: string;
  /** Checks the form first (and shows its messages); false stops before anything is sent. */
  validate?: () => boolean;
  estimate: () => Promise<Estimate>;
  send: (onStatus: (status: TxStatus) => void) => Promise<Mined>;
  /** What the user should know before signing, e.g. the exact cost. */
  summary?: ReactNode;
  onMined?: (mined: Mined) => void;
  disabled?: boolean;
  /** Why the action is disabled, shown next to the button. */
  disabledReason?: string;
  variant?: "primary" | "secondary" | "danger";
}

export function TxAction(props: TxActionProps) {
  const { config, refresh } = useSession();
  const [state, setState] = useState<TxPhase>({ phase: "idle" });
  const running = useRef(false);
  const busy = state.phase === "estimating" || state.phase === "signing" || state.phase === "pending";

  async function review() {
    if (running.current) return;
    if (props.validate && !props.validate()) return;
    running.current = true;
    setState({ phase: "estimating" });
    try {
      setState({ phase: "review", estimate: await props.estimate() });
    } catch (error) {
      setState({ phase: "failed", reason: describeError(error), at: "estimate" });
    } finally {
      running.current = false;
    }
  }

  async function send(estimate: Estimate | undefined) {
    if (running.current) return;
    running.current = true;
    setState({ phase: "signing", estimate });
    let hash: string | undefined;
    try {
      const mined = await props.send((status) => {
        if (status.stage === "pending" || status.stage === "resubmitted") {
          hash = status.hash;
          setState({ phase: "pending", hash: status.hash, estimate });
        }
      });
      setState({ phase: "mined", hash: mined.hash, blockNumber: mined.blockNumber });
      refresh();
      props.onMined?.(mined);
    } catch (error) {
      setState({ phase: "failed", reason: describeError(error), at: "send", hash, estimate });
    } finally {
      running.current = false;
    }
  }

  const retry = () => (state.phase === "failed" && state.at === "send" ? send(state.estimate) : review());
  const variant = props.variant ?? "primary";

  return (
    <div className="tx-action">
      {state.phase !== "review" && (
        <button
          type="button"
          className={`btn btn-${variant}`}
          aria-label={props.ariaLabel}
          disabled={props.disabled || busy}
          onClick={() => void review()}
        >
          {props.label}
        </button>
      )}
      {props.disabled && props.disabledReason && <span className="muted small">{props.disabledReason}</span>}
      {state.phase === "review" && (
        <div className="tx-review" role="group" aria-label={`Review: ${props.ariaLabel ?? props.label}`}>
          {props.summary && <div className="tx-summary">{props.summary}</div>}
          <p className="small" data-testid="tx-estimate">
            Estimated gas <strong>{formatGas(state.estimate.gas)}</strong>, fee up to <strong>{formatEth(state.estimate.fee)}</strong>
          </p>
          <div className="row">
            <button type="button" className={`btn btn-${variant}`} onClick={() => void send(state.estimate)}>
              Sign and send
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => setState({ phase: "idle" })}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <TxFeedback state={state} chainId={config.chainId} onRetry={() => void retry()} />
    </div>
  );
}

/** Where a transaction stands, in words: announced politely, failures assertively. */
export function TxFeedback({ state, chainId, onRetry }: { state: TxPhase; chainId: number; onRetry?: () => void }) {
  switch (state.phase) {
    case "idle":
    case "review":
      return <div role="status" className="tx-status" />;
    case "estimating":
      return (
        <div role="status" className="tx-status">
          Estimating gas and fee…
        </div>
      );
    case "signing":
      return (
        <div role="status" className="tx-status pending">
          Waiting for the signature…
        </div>
      );
    case "pending":
      return (
        <div role="status" className="tx-status pending">
          <span>
            Pending: <TxHash hash={state.hash} chainId={chainId} />
          </span>
        </div>
      );
    case "mined":
      return (
        <div role="status" className="tx-status ok">
          <span>
            Mined in block <strong>{state.blockNumber}</strong>: <TxHash hash={state.hash} chainId={chainId} />
          </span>
        </div>
      );
    case "failed":
      return (
        <div role="alert" className="tx-status failed">
          <span>
            Failed: <span className="reason">{state.reason}</span>
          </span>
          {onRetry && (
            <button type="button" className="btn btn-secondary btn-small" onClick={onRetry}>
              Retry
            </button>
          )}
        </div>
      );
  }
}

export function TxHash({ hash, chainId }: { hash: string; chainId: number }) {
  const url = explorerUrl(chainId, "tx", hash);
  const text = <code title={hash}>{shortHex(hash, 6)}</code>;
  return url ? (
    <a href={url} target="_blank" rel="noreferrer">
      {text}
    </a>
  ) : (
    text
  );
}
