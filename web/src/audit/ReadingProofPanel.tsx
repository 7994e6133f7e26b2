/**
 * Batched meter readings: the anchored batches, newest first (their BatchAnchored events, a page at a time);
 * a chosen batch's readings from its file on IPFS; and the proof of a picked or pasted reading — Merkle proof
 * checked here and by the contract, signature, and the meter's authorisation at the anchor block — by the same
 * core module as `gridledger prove-reading` (src/readingProof.ts).
 */
import { useId, useRef, useState, type DragEvent, type ReactNode } from "react";
import { parseSignedReadingText, signedReadingToJson } from "../../../src/batchFile.js";
import type { EventOf } from "../../../src/events.js";
import { HistoryPager, useHistoryPages } from "../ui/HistoryPager.js";
import { describeError } from "../../../src/ledgerErrors.js";
import { loadBatch, proveReading, type LoadedBatch, type ReadingProof } from "../../../src/readingProof.js";
import { READING_KIND, type SignedReading } from "../../../src/readings.js";
import { ValidationError, type ValidationIssue } from "../../../src/schemas.js";
import { useSession } from "../chain/session.js";
import { useChainData } from "../chain/useChainData.js";
import { Field } from "../forms/Field.js";
import { fieldIssue } from "../forms/useForm.js";
import { formatEnergy, formatTime, shortHex } from "../format.js";

const BATCH_PAGE = 10;
/** A batch holds up to 100,000 readings: they are shown a page at a time. */
const READING_PAGE = 25;

type Anchor = EventOf<"BatchAnchored">;
type Outcome = { proof: ReadingProof; source: string };

/** "1.5 kWh (1500 Wh)": the on-chain value in Wh beside its display, unless they read the same. */
function exactEnergy(wh: bigint): string {
  const shown = formatEnergy(wh);
  return shown === `${wh} Wh` ? shown : `${shown} (${wh} Wh)`;
}

const kindName = (kind: number) => (kind === READING_KIND.energy ? "energy" : kind === READING_KIND.storage ? "storage" : `kind ${kind}`);

export function ReadingProofPanel() {
  const { reader, billStore } = useSession();
  const pages = useHistoryPages();
  const before = pages.before;
  const list = useChainData(() => reader.history({ kinds: ["BatchAnchored"] }, { size: BATCH_PAGE, before }), [reader, before], {
    followBlocks: before === undefined,
  });
  // Batch files never change once anchored: each is fetched once per page view.
  const loaded = useRef(new Map<string, Promise<LoadedBatch>>());
  const [open, setOpen] = useState<{ batchId: bigint; batch?: LoadedBatch; error?: string }>();
  const [outcome, setOutcome] = useState<Outcome>();
  const [proveError, setProveError] = useState<string>();
  const [proving, setProving] = useState(false);

  function batchFor(batchId: bigint): Promise<LoadedBatch> {
    const key = `${reader.address}:${batchId}`;
    let promise = loaded.current.get(key);
    if (!promise) {
      promise = billStore().then((store) => loadBatch(reader, store, batchId));
      promise.catch(() => loaded.current.delete(key));
      loaded.current.set(key, promise);
    }
    return promise;
  }

  async function openBatch(batchId: bigint) {
    setOpen({ batchId });
    setOutcome(undefined);
    setProveError(undefined);
    try {
      const batch = await batchFor(batchId);
      setOpen((o) => (o?.batchId === batchId ? { batchId, batch } : o));
    } catch (error) {
      setOpen((o) => (o?.batchId === batchId ? { batchId, error: describeError(error) } : o));
    }
  }

  async function prove(batchId: bigint, signed: SignedReading, source: string) {
    setProving(true);
    setOutcome(undefined);
    setProveError(undefined);
    try {
      setOutcome({ proof: await proveReading(reader, await batchFor(batchId), signed), source });
    } catch (error) {
      setProveError(describeError(error));
    } finally {
      setProving(false);
    }
  }

  const anchors = (list.data?.events ?? []).filter((e): e is Anchor => e.kind === "BatchAnchored");
  return (
    <section className="card" aria-labelledby="readings-heading">
      <h2 id="readings-heading">Readings</h2>
      <p className="small muted">
        Meters sign readings; aggregators anchor them in batches by Merkle root. Open a batch, then prove any of its readings.
      </p>
      {list.error && (
        <p role="alert">
          Could not read the batches: {list.error}{" "}
          <button type="button" className="btn btn-secondary btn-small" onClick={list.reload}>
            Retry
          </button>
        </p>
      )}
      {list.loading && !list.data && <p role="status">Loading batches…</p>}
      {list.data && anchors.length === 0 && <p className="muted">No batch of readings is anchored yet.</p>}
      {anchors.length > 0 && <BatchTable anchors={anchors} onOpen={(id) => void openBatch(id)} />}
      <HistoryPager label="Batch pages" pages={pages} next={list.data?.next} loading={list.loading} />

      {open && !open.batch && !open.error && <p role="status">Fetching batch {open.batchId.toString()} from IPFS…</p>}
      {open?.error && (
        <p role="alert" className="tx-status failed">
          Could not open batch {open.batchId.toString()}: {open.error}{" "}
          <button type="button" className="btn btn-secondary btn-small" onClick={() => void openBatch(open.batchId)}>
            Retry
          </button>
        </p>
      )}
      {open?.batch && (
        <ReadingTable
          key={open.batchId.toString()}
          batch={open.batch}
          busy={proving}
          onProve={(signed) => void prove(open.batchId, signed, `reading ${signed.reading.seq} of the batch file on IPFS`)}
        />
      )}

      <PastedReading defaultBatch={open?.batchId} busy={proving} onProve={(batchId, signed, source) => void prove(batchId, signed, source)} />

      {proving && <p role="status">Proving…</p>}
      {proveError && (
        <p role="alert" className="tx-status failed">
          Could not prove the reading: {proveError}
        </p>
      )}
      {outcome && <ProofResult outcome={outcome} />}
    </section>
  );
}

function BatchTable({ anchors, onOpen }: { anchors: readonly Anchor[]; onOpen: (batchId: bigint) => void }) {
  return (
    <div className="table-wrap">
      <table className="batches">
        <caption className="visually-hidden">Anchored batches, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Batch</th>
            <th scope="col">Readings</th>
            <th scope="col">Meters (sequence numbers)</th>
            <th scope="col">Block</th>
            <th scope="col">Batch file</th>
            <th scope="col">
              <span className="visually-hidden">Open</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {anchors.map((a) => (
            <tr key={a.batchId.toString()} data-batch={a.batchId.toString()}>
              <td>{a.batchId.toString()}</td>
              <td>{a.count.toString()}</td>
              <td>
                {a.ranges.map((r) => (
                  <div key={r.meter}>
                    <code title={r.meter}>{shortHex(r.meter)}</code> {r.firstSeq.toString()}–{r.lastSeq.toString()}
                  </div>
                ))}
              </td>
              <td>#{a.blockNumber}</td>
              <td>
                <code className="small" title={a.cid}>
                  {shortHex(a.cid, 8)}
                </code>
              </td>
              <td>
                <button type="button" className="btn btn-secondary btn-small" onClick={() => onOpen(a.batchId)}>
                  Open batch {a.batchId.toString()}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ReadingTable({ batch, busy, onProve }: { batch: LoadedBatch; busy: boolean; onProve: (signed: SignedReading) => void }) {
  const [page, setPage] = useState(0);
  const pageCount = Math.ceil(batch.readings.length / READING_PAGE);
  const shown = batch.readings.slice(page * READING_PAGE, (page + 1) * READING_PAGE);
  const id = batch.batchId.toString();
  return (
    <div className="batch-readings" data-testid="batch-readings">
      <h3>
        Batch {id}: {batch.readings.length} readings
      </h3>
      <p className="small">
        Root <code title={batch.anchor.root}>{shortHex(batch.anchor.root, 8)}</code>, anchored in block #{batch.anchor.blockNumber}; the file{" "}
        <code title={batch.anchor.cid}>{shortHex(batch.anchor.cid, 8)}</code> hashes to that root.
      </p>
      <div className="table-wrap">
        <table className="readings">
          <caption className="visually-hidden">Readings of batch {id}, in tree order</caption>
          <thead>
            <tr>
              <th scope="col">Meter</th>
              <th scope="col">Kind</th>
              <th scope="col">Value</th>
              <th scope="col">Start</th>
              <th scope="col">End</th>
              <th scope="col">Sequence</th>
              <th scope="col">
                <span className="visually-hidden">Prove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => {
              const r = s.reading;
              return (
                <tr key={`${r.meter}:${r.seq}`} data-meter={r.meter} data-seq={r.seq.toString()}>
                  <td>
                    <code title={r.meter}>{shortHex(r.meter)}</code>
                  </td>
                  <td>
                    {kindName(r.kind)} of {r.kind === READING_KIND.energy ? "purchase" : "offer"} {r.subject.toString()}
                  </td>
                  <td>{formatEnergy(r.value)}</td>
                  <td>{formatTime(r.start)}</td>
                  <td>{formatTime(r.end)}</td>
                  <td>{r.seq.toString()}</td>
                  <td>
                    <button
                      type="button"
                      className="btn btn-secondary btn-small"
                      disabled={busy}
                      onClick={() => onProve(s)}
                      aria-label={`Prove reading ${r.seq} of meter ${r.meter}`}
                    >
                      Prove
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {pageCount > 1 && (
        <nav className="row" aria-label={`Reading pages of batch ${id}`}>
          <button type="button" className="btn btn-secondary" disabled={page === 0} onClick={() => setPage((p) => p - 1)}>
            Previous readings
          </button>
          <span className="small muted">
            Page {page + 1} of {pageCount}
          </span>
          <button type="button" className="btn btn-secondary" disabled={page + 1 >= pageCount} onClick={() => setPage((p) => p + 1)}>
            Next readings
          </button>
        </nav>
      )}
    </div>
  );
}

/** A reading's JSON pasted or dropped here (what `gridledger sign-reading` prints), proved against a batch. */
function PastedReading({
  defaultBatch,
  busy,
  onProve,
}: {
  defaultBatch: bigint | undefined;
  busy: boolean;
  onProve: (batchId: bigint, signed: SignedReading, source: string) => void;
}) {
  const [batchText, setBatchText] = useState<string>();
  const [text, setText] = useState("");
  const [issues, setIssues] = useState<ValidationIssue[]>([]);
  const [error, setError] = useState<string>();
  const [dragging, setDragging] = useState(false);
  const [touched, setTouched] = useState(false);
  const textId = useId();
  const batch = batchText ?? defaultBatch?.toString() ?? "";
  const batchIssue = touched ? fieldIssue("id", batch) : undefined;

  function submit(json: string, source: string) {
    setTouched(true);
    setIssues([]);
    setError(undefined);
    if (fieldIssue("id", batch)) return;
    let signed: SignedReading;
    try {
      signed = parseSignedReadingText(json);
    } catch (e) {
      if (e instanceof ValidationError) setIssues(e.issues);
      else setError((e as Error).message);
      return;
    }
    onProve(BigInt(batch.trim()), signed, source);
  }

  async function dropped(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (!file) return;
    const json = await file.text();
    setText(json);
    submit(json, `the file ${file.name}`);
  }

  return (
    <form
      className="form pasted-reading"
      aria-label="Prove a reading from its JSON"
      noValidate
      onSubmit={(e) => (e.preventDefault(), submit(text, "the pasted reading"))}
    >
      <h3>Prove a reading from its JSON</h3>
      <Field
        label="Batch id"
        name="readingBatch"
        value={batch}
        onChange={(v) => (setBatchText(v), setTouched(true))}
        issue={batchIssue}
        inputMode="numeric"
      />
      <div
        className={`field drop-zone${dragging ? " dragging" : ""}`}
        onDragOver={(e) => (e.preventDefault(), setDragging(true))}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => void dropped(e)}
        data-testid="reading-drop-zone"
      >
        <label htmlFor={textId}>Reading JSON (paste it, or drop a .json file here)</label>
        <textarea
          id={textId}
          rows={6}
          value={text}
          spellCheck={false}
          placeholder='{"meter":"0x…","kind":2,"subject":"1","value":"500","start":"…","end":"…","seq":"1","signature":"0x…"}'
          onChange={(e) => setText(e.target.value)}
          aria-invalid={issues.length > 0 || error ? true : undefined}
        />
      </div>
      {error && (
        <p role="alert" className="field-error">
          {error}
        </p>
      )}
      {issues.length > 0 && (
        <ul role="alert" className="field-error" aria-label="Problems with the reading JSON">
          {issues.map((i) => (
            <li key={`${i.field}:${i.rule}`} data-field={i.field} data-rule={i.rule}>
              {i.field} {i.message} (rule: {i.rule})
            </li>
          ))}
        </ul>
      )}
      <button type="submit" className="btn btn-primary" disabled={busy}>
        Prove pasted reading
      </button>
    </form>
  );
}

function Check({ name, pass, children }: { name: string; pass: boolean; children: ReactNode }) {
  return (
    <li data-check={name} data-pass={pass} className={pass ? "verify-ok" : "verify-failed"}>
      {pass ? "✓ " : "✕ "}
      {children}
    </li>
  );
}

function ProofResult({ outcome }: { outcome: Outcome }) {
  const p = outcome.proof;
  const r = p.reading.reading;
  const a = p.authorisation;
  const subject = `reading ${r.seq} of meter ${r.meter} in batch ${p.batchId}`;
  return (
    <div className="reading-proof" data-testid="reading-proof" data-ok={p.ok} role={p.ok ? "status" : "alert"}>
      <p className={p.ok ? "verify-ok" : "verify-failed"}>
        {p.ok ? `✓ Proven: ${subject}.` : `✕ Not proven: ${subject}.`} <span className="small">Checked {outcome.source}.</span>
      </p>
      <ul className="proof-checks">
        <Check name="merkle-off-chain" pass={p.offChain}>
          Merkle proof, checked here:{" "}
          {p.position === undefined
            ? `the batch holds no reading ${r.seq} of meter ${r.meter}`
            : `leaf ${p.leaf} with ${p.proof.length} proof hashes ${p.offChain ? "gives" : "does not give"} the anchored root ${p.root}`}
        </Check>
        <Check name="merkle-on-chain" pass={p.onChain}>
          On-chain verifyReading({p.batchId.toString()}, leaf, proof): {String(p.onChain)}
        </Check>
        <Check name="signature" pass={p.signature.valid}>
          EIP-712 signature:{" "}
          {p.signature.recovered === undefined
            ? (p.signature.error ?? "malformed")
            : `recovers to ${p.signature.recovered}${p.signature.valid ? ", the reading's meter" : `, not the meter ${r.meter}`}`}
        </Check>
        <Check name="authorisation" pass={a.active}>
          Meter at the anchor block #{a.block}:{" "}
          {a.active ? `authorised for producer ${a.producer}` : a.producer ? `revoked by producer ${a.producer}` : "never authorised"}
        </Check>
      </ul>
      <dl className="reading-fields small">
        <dt>Kind</dt>
        <dd>
          {kindName(r.kind)} of {r.kind === READING_KIND.energy ? "purchase" : "offer"} {r.subject.toString()}
        </dd>
        <dt>Value</dt>
        <dd>{exactEnergy(r.value)}</dd>
        <dt>Window</dt>
        <dd>
          {formatTime(r.start)} – {formatTime(r.end)}
        </dd>
      </dl>
      <details>
        <summary>Reading JSON</summary>
        <pre className="small" data-testid="reading-json">
          {JSON.stringify(signedReadingToJson(p.reading))}
        </pre>
      </details>
    </div>
  );
}
