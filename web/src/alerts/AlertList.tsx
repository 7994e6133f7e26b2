/** The account's alerts, newest first, and the toasts of new ones. */
import { useEffect } from "react";
import type { StoredAlert } from "./alertFeed.js";

export function AlertList({ items, error, emptyText }: { items: readonly StoredAlert[]; error?: string; emptyText?: string }) {
  return (
    <section className="card" aria-labelledby="alerts-heading">
      <h2 id="alerts-heading">Alerts</h2>
      {error && (
        <p role="alert" className="tx-status failed">
          Alerts paused: {error}. Retrying…
        </p>
      )}
      {items.length === 0 ? (
        <p className="muted">{emptyText ?? "No alerts yet: events that concern this account appear here."}</p>
      ) : (
        <ul className="alert-list" aria-label="Alert list">
          {items.map((a) => (
            <li key={a.key} className="alert-item" data-kind={a.kind} data-key={a.key}>
              <strong>{a.title}</strong> <span className="alert-text">{a.text}</span>{" "}
              <span className="muted small">
                block {a.blockNumber} · {a.roles.join(", ")}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function Toasts({
  toasts,
  onDismiss,
  timeoutMs = 8_000,
}: {
  toasts: readonly StoredAlert[];
  onDismiss: (key: string) => void;
  timeoutMs?: number;
}) {
  return (
    <div className="toasts" role="status" aria-live="polite" aria-label="New alerts">
      {toasts.map((t) => (
        <Toast key={t.key} alert={t} onDismiss={onDismiss} timeoutMs={timeoutMs} />
      ))}
    </div>
  );
}

function Toast({ alert, onDismiss, timeoutMs }: { alert: StoredAlert; onDismiss: (key: string) => void; timeoutMs: number }) {
  useEffect(() => {
    const timer = setTimeout(() => onDismiss(alert.key), timeoutMs);
    return () => clearTimeout(timer);
  }, [alert.key, onDismiss, timeoutMs]);
  return (
    <div className="toast" data-kind={alert.kind}>
      <div>
        <strong>{alert.title}</strong>
        <div className="small">{alert.text}</div>
      </div>
      <button type="button" className="btn-icon" aria-label={`Dismiss alert: ${alert.title}`} onClick={() => onDismiss(alert.key)}>
        ×
      </button>
    </div>
  );
}
