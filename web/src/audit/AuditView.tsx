/**
 * The audit view: every event, newest first, a page at a time (client.history with its cursor), filtered by
 * kind, producer, purchaser, offer, purchase and time; record counts per kind; each record names its block
 * and transaction (linked to a block explorer on public chains).
 */
import { useId, useState } from "react";
import { EVENT_KINDS, eventKey, type EventKind, type LedgerEvent } from "../../../src/events.js";
import type { HistoryFilter } from "../../../src/ledgerClient.js";
import { fields } from "../../../src/schemas.js";
import { explorerUrl } from "../config.js";
import { useSession } from "../chain/session.js";
import { useChainData } from "../chain/useChainData.js";
import { describeEvent, kindLabel } from "../events.js";
import { Field } from "../forms/Field.js";
import { fieldIssue, type FieldIssue } from "../forms/useForm.js";
import { shortHex } from "../format.js";
import { TxHash } from "../tx/TxAction.js";
import { HistoryPager, useHistoryPages } from "../ui/HistoryPager.js";
import { ExportPanel } from "./ExportPanel.js";
import { ReadingProofPanel } from "./ReadingProofPanel.js";
import { VerifyBillPanel } from "./VerifyBillPanel.js";

const PAGE_SIZE = 20;

type FilterText = { kind: string; producer: string; purchaser: string; offer: string; purchase: string; from: string; to: string };
const EMPTY: FilterText = { kind: "", producer: "", purchaser: "", offer: "", purchase: "", from: "", to: "" };

/** The history filter of the filter form, or the issue of each field that does not parse. */
export function parseFilter(text: FilterText): { filter: HistoryFilter } | { issues: Partial<Record<keyof FilterText, FieldIssue>> } {
  const issues: Partial<Record<keyof FilterText, FieldIssue>> = {};
  const check = (name: keyof FilterText, key: "address" | "id" | "time") => {
    if (!text[name].trim()) return undefined;
    const issue = fieldIssue(key, text[name]);
    if (issue) issues[name] = issue;
    return issue ? undefined : fields[key].parse(text[name].trim());
  };
  const producer = check("producer", "address") as string | undefined;
  const purchaser = check("purchaser", "address") as string | undefined;
  const offerId = check("offer", "id") as bigint | undefined;
  const purchaseId = check("purchase", "id") as bigint | undefined;
  const fromTime = check("from", "time") as bigint | undefined;
  const toTime = check("to", "time") as bigint | undefined;
  if (offerId !== undefined && (purchaseId !== undefined || purchaser !== undefined)) {
    issues.offer = { rule: "combination", message: "cannot be combined with a purchase or purchaser filter (offer events name neither)" };
  }
  if (fromTime !== undefined && toTime !== undefined && fromTime > toTime)
    issues.to = { rule: "start_before_end", message: "must not be before the start" };
  if (Object.keys(issues).length > 0) return { issues };
  const kinds: readonly EventKind[] = text.kind ? [text.kind as EventKind] : EVENT_KINDS;
  return { filter: { kinds, producer, purchaser, offerId, purchaseId, fromTime, toTime } };
}

export function AuditView() {
  const { reader } = useSession();
  const [text, setText] = useState<FilterText>(EMPTY);
  const [applied, setApplied] = useState<HistoryFilter>({ kinds: EVENT_KINDS });
  const [issues, setIssues] = useState<Partial<Record<keyof FilterText, FieldIssue>>>({});
  const pages = useHistoryPages();
  const kindId = useId();
  const before = pages.before;

  const counts = useChainData(() => reader.counts(), [reader]);
  const page = useChainData(() => reader.history(applied, { size: PAGE_SIZE, before }), [reader, applied, before], {
    followBlocks: before === undefined,
  });

  function apply() {
    const parsed = parseFilter(text);
    if ("issues" in parsed) return setIssues(parsed.issues);
    setIssues({});
    setApplied(parsed.filter);
    pages.reset();
  }
  const set = (name: keyof FilterText) => (value: string) => setText((t) => ({ ...t, [name]: value }));

  return (
    <div className="dashboard">
      <h1>Audit</h1>
      <section className="card" aria-labelledby="counts-heading">
        <h2 id="counts-heading">Record counts</h2>
        {counts.error && <p role="alert">Could not read the counts: {counts.error}</p>}
        {counts.data && (
          <dl className="counts" data-testid="record-counts">
            {(
              [
                ["Offers", counts.data.offers],
                ["Storage readings", counts.data.storageReadings],
                ["Purchases", counts.data.purchases],
                ["Transfers", counts.data.transfers],
                ["Acknowledgements", counts.data.acknowledgements],
                ["Bills", counts.data.bills],
              ] as const
            ).map(([label, n]) => (
              <div key={label} data-count={label}>
                <dt>{label}</dt>
                <dd>{n.toString()}</dd>
              </div>
            ))}
          </dl>
        )}
      </section>

      <section className="card" aria-labelledby="history-heading">
        <h2 id="history-heading">Events</h2>
        <form className="filters" onSubmit={(e) => (e.preventDefault(), apply())} noValidate aria-label="Filter events">
          <div className="field">
            <label htmlFor={kindId}>Kind</label>
            <select id={kindId} value={text.kind} onChange={(e) => set("kind")(e.target.value)}>
              <option value="">All kinds</option>
              {EVENT_KINDS.map((k) => (
                <option key={k} value={k}>
                  {kindLabel(k)}
                </option>
              ))}
            </select>
          </div>
          <Field
            label="Producer"
            name="producer"
            value={text.producer}
            onChange={set("producer")}
            issue={issues.producer}
            placeholder="0x…"
          />
          <Field
            label="Purchaser"
            name="purchaser"
            value={text.purchaser}
            onChange={set("purchaser")}
            issue={issues.purchaser}
            placeholder="0x…"
          />
          <Field label="Offer id" name="offer" value={text.offer} onChange={set("offer")} issue={issues.offer} inputMode="numeric" />
          <Field
            label="Purchase id"
            name="purchase"
            value={text.purchase}
            onChange={set("purchase")}
            issue={issues.purchase}
            inputMode="numeric"
          />
          <Field
            label="From time"
            name="from"
            value={text.from}
            onChange={set("from")}
            issue={issues.from}
            placeholder="2026-01-01T00:00:00Z"
          />
          <Field label="To time" name="to" value={text.to} onChange={set("to")} issue={issues.to} placeholder="2026-12-31T00:00:00Z" />
          <div className="row">
            <button type="submit" className="btn btn-primary">
              Apply filters
            </button>
            <button
              type="button"
              className="btn btn-secondary"
              onClick={() => {
                setText(EMPTY);
                setIssues({});
                setApplied({ kinds: EVENT_KINDS });
                pages.reset();
              }}
            >
              Clear
            </button>
          </div>
        </form>
        {page.error && (
          <p role="alert">
            Could not read the history: {page.error}{" "}
            <button type="button" className="btn btn-secondary btn-small" onClick={page.reload}>
              Retry
            </button>
          </p>
        )}
        {page.loading && !page.data && <p role="status">Loading…</p>}
        {page.data && page.data.events.length === 0 && <p className="muted">No event matches.</p>}
        {page.data && page.data.events.length > 0 && <EventTable events={page.data.events} />}
        <HistoryPager label="Event pages" pages={pages} next={page.data?.next} loading={page.loading} />
      </section>
      <VerifyBillPanel />
      <ReadingProofPanel />
      <ExportPanel />
    </div>
  );
}

function EventTable({ events }: { events: readonly LedgerEvent[] }) {
  const { config } = useSession();
  return (
    <div className="table-wrap">
      <table className="events">
        <caption className="visually-hidden">Events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Record</th>
            <th scope="col">Block</th>
            <th scope="col">Transaction</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => {
            const blockUrl = explorerUrl(config.chainId, "block", e.blockNumber);
            return (
              <tr key={eventKey(e)} data-kind={e.kind}>
                <td>{kindLabel(e.kind)}</td>
                <td>{describeEvent(e)}</td>
                <td>
                  {blockUrl ? <a href={blockUrl}>#{e.blockNumber}</a> : <>#{e.blockNumber}</>}{" "}
                  <code className="small" title={e.blockHash}>
                    {shortHex(e.blockHash, 5)}
                  </code>
                </td>
                <td>
                  <TxHash hash={e.transactionHash} chainId={config.chainId} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
