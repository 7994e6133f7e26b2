/** Verify any bill: by purchase id (fetched from IPFS by its on-chain CID), or a bill file dropped here. */
import { useId, useState, type DragEvent } from "react";
import { parseBill } from "../../../src/bill.js";
import { describeError } from "../../../src/ledgerErrors.js";
import { verifyBill, verifyBillBytes, type BillVerification } from "../../../src/verifyBill.js";
import { useSession } from "../chain/session.js";
import { Field } from "../forms/Field.js";
import { fieldIssue } from "../forms/useForm.js";
import { VerificationResult } from "../purchase/BillViewer.js";

export function VerifyBillPanel() {
  const { reader, billStore } = useSession();
  const [purchase, setPurchase] = useState("");
  const [touched, setTouched] = useState(false);
  const [result, setResult] = useState<{ verification: BillVerification; source: string }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [dragging, setDragging] = useState(false);
  const fileId = useId();
  const issue = touched ? fieldIssue("id", purchase) : undefined;

  async function run(source: string, task: () => Promise<BillVerification>) {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult({ verification: await task(), source });
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  function byId() {
    setTouched(true);
    if (fieldIssue("id", purchase)) return;
    const id = BigInt(purchase.trim());
    void run(`the bill recorded for purchase ${id}, fetched from IPFS`, async () => verifyBill(reader, await billStore(), id));
  }

  async function byFile(file: File | undefined) {
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    let id: bigint | undefined;
    try {
      id = BigInt(parseBill(bytes).purchaseId);
    } catch {
      id = fieldIssue("id", purchase) ? undefined : BigInt(purchase.trim());
    }
    if (id === undefined) {
      setResult(undefined);
      setError(`${file.name} is not a GridLedger bill, and no purchase id is given to check it against`);
      return;
    }
    setPurchase(id.toString());
    const purchaseId = id;
    void run(`the file ${file.name}`, () => verifyBillBytes(reader, purchaseId, bytes));
  }

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    void byFile(e.dataTransfer.files[0]);
  };

  return (
    <section className="card" aria-labelledby="verify-heading">
      <h2 id="verify-heading">Verify a bill</h2>
      <form
        className="form inline-form"
        onSubmit={(e) => (e.preventDefault(), byId())}
        noValidate
        aria-label="Verify a bill by purchase id"
      >
        <Field
          label="Purchase id"
          name="verifyPurchase"
          value={purchase}
          onChange={(v) => (setPurchase(v), setTouched(true))}
          issue={issue}
          inputMode="numeric"
        />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Verify bill
        </button>
      </form>
      <div
        className={`drop-zone${dragging ? " dragging" : ""}`}
        onDragOver={(e) => (e.preventDefault(), setDragging(true))}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-testid="bill-drop-zone"
      >
        <p>Drop a bill file here, or</p>
        <input
          id={fileId}
          type="file"
          className="visually-hidden file-input"
          onChange={(e) => {
            void byFile(e.target.files?.[0]);
            e.target.value = ""; // the same file can be chosen again
          }}
        />
        <label htmlFor={fileId} className="btn btn-secondary">
          Choose a bill file
        </label>
      </div>
      {busy && <p role="status">Verifying…</p>}
      {error && (
        <p role="alert" className="tx-status failed">
          {error}
        </p>
      )}
      {result && <VerificationResult result={result.verification} source={result.source} />}
    </section>
  );
}
