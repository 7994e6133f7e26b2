/**
 * The audit export in the browser: the same export as `gridledger export` (src/auditExport.ts) of a block
 * range, every recorded bill fetched through the server's IPFS access and re-checked, written into a Blob and
 * downloaded as a CSV or JSON file. Shows the pages read as it goes; can be cancelled.
 */
import { useEffect, useId, useRef, useState } from "react";
import { exportRecords, type ExportSummary } from "../../../src/auditExport.js";
import type { BillStore } from "../../../src/billStore.js";
import { describeError } from "../../../src/ledgerErrors.js";
import { exportInput, type ExportInput } from "../../../src/schemas.js";
import { useSession } from "../chain/session.js";
import { Field } from "../forms/Field.js";
import { bind, optionalText, useForm } from "../forms/useForm.js";
import { blobSink, exportFileName, pagesOf, saveBlob } from "./exportFile.js";

type Fields = "fromBlock" | "toBlock" | "format";

type Run =
  | { state: "running"; pages: { read: number; total: number } | undefined; records: number; blocks: string }
  | { state: "done"; summary: ExportSummary; fileName: string }
  | { state: "failed"; error: string }
  | { state: "cancelled" };

export function ExportPanel({ save = saveBlob }: { save?: (blob: Blob, fileName: string) => void }) {
  const { reader, block, billStore } = useSession();
  const [run, setRun] = useState<Run>();
  const abort = useRef<AbortController>(undefined);
  const formatId = useId();
  const form = useForm<Fields, ExportInput>({
    initial: { fromBlock: "0", toBlock: String(block), format: "csv" },
    checks: { fromBlock: "block", toBlock: "block", format: null },
    schema: () => exportInput(block),
    toInput: (v) => ({ fromBlock: optionalText(v.fromBlock), toBlock: optionalText(v.toBlock), format: v.format }),
  });
  // "To block" follows the chain's head until the user types one.
  useEffect(() => form.setDefault("toBlock", String(block)), [block, form.setDefault]);
  useEffect(() => () => abort.current?.abort(), []);

  async function start() {
    if (!form.check()) return;
    let input: ExportInput;
    try {
      input = form.parsed();
    } catch {
      return; // the messages are shown next to the fields
    }
    const controller = new AbortController();
    abort.current = controller;
    const { fromBlock, toBlock, format } = input;
    setRun({ state: "running", pages: undefined, records: 0, blocks: `${fromBlock}..${toBlock}` });
    // Without a reachable IPFS node the export still runs; each bill then reads "unavailable: no bill store".
    const store: BillStore | undefined = await billStore().catch(() => undefined);
    const sink = blobSink(format);
    let pagesRead = 0;
    try {
      const summary = await exportRecords(reader, store, {
        fromBlock,
        toBlock,
        format,
        write: sink.write,
        signal: controller.signal,
        onProgress: (p) => {
          pagesRead++;
          if (!controller.signal.aborted) {
            setRun({
              state: "running",
              pages: pagesOf(p, pagesRead),
              records: p.records,
              blocks: `${p.fromBlock}..${p.pageToBlock} of ${p.fromBlock}..${p.toBlock}`,
            });
          }
        },
      });
      if (controller.signal.aborted) return;
      const fileName = exportFileName(fromBlock, toBlock, format);
      save(sink.blob(), fileName);
      setRun({ state: "done", summary, fileName });
    } catch (error) {
      if (controller.signal.aborted) setRun({ state: "cancelled" });
      else setRun({ state: "failed", error: describeError(error) });
    } finally {
      if (abort.current === controller) abort.current = undefined;
    }
  }

  const running = run?.state === "running";
  return (
    <section className="card" aria-labelledby="export-heading">
      <h2 id="export-heading">Export records</h2>
      <p className="muted small">
        Every record in a block range, one row each, as CSV or JSON; each recorded bill is fetched from IPFS and checked against the chain.
      </p>
      <form className="filters" onSubmit={(e) => (e.preventDefault(), void start())} noValidate aria-label="Export records">
        <Field {...bind(form, "fromBlock", "From block")} inputMode="numeric" />
        <Field {...bind(form, "toBlock", "To block")} inputMode="numeric" hint={`latest block: ${block}`} />
        <div className="field">
          <label htmlFor={formatId}>Format</label>
          <select id={formatId} value={form.values.format} onChange={(e) => form.set("format", e.target.value)}>
            <option value="csv">CSV</option>
            <option value="json">JSON</option>
          </select>
          {form.issues.format && (
            <p className="field-error" data-field="format" data-rule={form.issues.format.rule}>
              Format {form.issues.format.message}
            </p>
          )}
        </div>
        <div className="row">
          <button type="submit" className="btn btn-primary" disabled={running}>
            Export
          </button>
          {running && (
            <button type="button" className="btn btn-secondary" onClick={() => abort.current?.abort()}>
              Cancel
            </button>
          )}
        </div>
      </form>
      {run && <RunStatus run={run} />}
    </section>
  );
}

function RunStatus({ run }: { run: Run }) {
  switch (run.state) {
    case "running":
      return (
        <div role="status" data-testid="export-progress">
          <progress max={run.pages?.total ?? 1} value={run.pages?.read ?? 0} aria-label="Export progress" />{" "}
          {run.pages ? `${run.pages.read} of ${run.pages.total} pages read` : "Reading the first page…"}
          <span className="muted small">
            {" "}
            (blocks {run.blocks}, {run.records} records)
          </span>
        </div>
      );
    case "done": {
      const { records, fromBlock, toBlock, bills } = run.summary;
      return (
        <p role="status" className="ok-text" data-testid="export-result">
          Exported {records} records of blocks {fromBlock}..{toBlock} to {run.fileName}; bills: {bills.ok} ok, {bills.failed} failed,{" "}
          {bills.unavailable} unavailable.
        </p>
      );
    }
    case "failed":
      return (
        <p role="alert" className="tx-status failed">
          The export failed: {run.error}
        </p>
      );
    case "cancelled":
      return <p role="status">Export cancelled; nothing was saved.</p>;
  }
}
