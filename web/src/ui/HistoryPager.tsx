/**
 * Paging backwards through history (client.history's cursors): the cursors of the pages seen so far, newest
 * first, and the Newer / Older buttons that walk them. The first page has no cursor and follows new blocks.
 */
import { useState } from "react";
import type { HistoryCursor } from "../../../src/ledgerClient.js";

export interface HistoryPages {
  /** The cursor of the page shown (undefined: the newest page). */
  before: HistoryCursor | undefined;
  /** 1 for the newest page. */
  number: number;
  newer(): void;
  older(next: HistoryCursor): void;
  /** Back to the newest page (after a change of filter). */
  reset(): void;
}

export function useHistoryPages(): HistoryPages {
  const [pages, setPages] = useState<(HistoryCursor | undefined)[]>([undefined]);
  return {
    before: pages.at(-1),
    number: pages.length,
    newer: () => setPages((p) => (p.length > 1 ? p.slice(0, -1) : p)),
    older: (next) => setPages((p) => [...p, next]),
    reset: () => setPages([undefined]),
  };
}

/** Newer / Page n / Older; Older is off while the page loads or when it is the oldest. */
export function HistoryPager({ label, pages, next, loading }: { label: string; pages: HistoryPages; next: HistoryCursor | undefined; loading: boolean }) {
  return (
    <nav className="row" aria-label={label}>
      <button type="button" className="btn btn-secondary" disabled={pages.number <= 1} onClick={pages.newer}>
        Newer
      </button>
      <span className="small muted">Page {pages.number}</span>
      <button type="button" className="btn btn-secondary" disabled={!next || loading} onClick={() => next && pages.older(next)}>
        Older
      </button>
    </nav>
  );
}
