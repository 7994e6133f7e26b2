/** A recorded bill: open it (rendered from its IPFS bytes, and the raw file), and verify it against the chain. */
import { useState } from "react";
import { parseBill, renderBillHtml } from "../../../src/bill.js";
import { describeError } from "../../../src/ledgerErrors.js";
import { verifyBill, type BillVerification } from "../../../src/verifyBill.js";
import { useSession } from "../chain/session.js";
import { shortHex } from "../format.js";

export function BillViewer({ purchaseId, cid }: { purchaseId: bigint; cid: string }) {
  const { billStore, config } = useSession();
  const [html, setHtml] = useState<string>();
  const [openError, setOpenError] = useState<string>();
  const [opening, setOpening] = useState(false);

  async function open() {
    setOpening(true);
    setOpenError(undefined);
    try {
      const bytes = await (await billStore()).get(cid, { maxBytes: 4 * 1024 * 1024 });
      setHtml(renderBillHtml(parseBill(bytes), cid));
    } catch (error) {
      setOpenError(describeError(error));
    } finally {
      setOpening(false);
    }
  }

  const raw = `${config.gatewayUrl.replace(/\/$/, "")}/${cid}`;
  return (
    <div className="bill-viewer">
      <p className="small">
        Bill CID <code title={cid}>{shortHex(cid, 10)}</code>
      </p>
      <div className="row wrap">
        {html ? (
          <button
            type="button"
            className="btn btn-secondary"
            onClick={() => setHtml(undefined)}
            aria-label={`Close the bill of purchase ${purchaseId}`}
          >
            Close bill
          </button>
        ) : (
          <button
            type="button"
            className="btn btn-secondary"
            onClick={() => void open()}
            disabled={opening}
            aria-label={`Open the bill of purchase ${purchaseId}`}
          >
            {opening ? "Opening…" : "Open bill"}
          </button>
        )}
        <a href={raw} target="_blank" rel="noreferrer" className="btn btn-link">
          Raw bill file
        </a>
        <VerifyButton purchaseId={purchaseId} />
      </div>
      {openError && (
        <p role="alert" className="tx-status failed">
          Could not open the bill: {openError}{" "}
          <button type="button" className="btn btn-secondary btn-small" onClick={() => void open()}>
            Retry
          </button>
        </p>
      )}
      {html && <iframe className="bill-frame" title={`Bill for purchase ${purchaseId}`} sandbox="" srcDoc={html} />}
    </div>
  );
}

export function VerifyButton({ purchaseId }: { purchaseId: bigint }) {
  const { reader, billStore } = useSession();
  const [result, setResult] = useState<BillVerification>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function verify() {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await verifyBill(reader, await billStore(), purchaseId));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button
        type="button"
        className="btn btn-secondary"
        onClick={() => void verify()}
        disabled={busy}
        aria-label={`Verify the bill of purchase ${purchaseId}`}
      >
        {busy ? "Verifying…" : "Verify"}
      </button>
      {error && (
        <span role="alert" className="tx-status failed">
          Could not verify: {error}
        </span>
      )}
      {result && <VerificationResult result={result} />}
    </>
  );
}

/** The outcome of a verification; `source` says what was checked (a file, the bill on IPFS). */
export function VerificationResult({ result, source }: { result: BillVerification; source?: string }) {
  const checked = source ? <span className="small"> Checked {source}.</span> : null;
  if (result.ok) {
    return (
      <p role="status" className="verify-ok" data-testid="verify-result">
        ✓ Verified: bill {result.cid ? shortHex(result.cid, 8) : ""} of purchase {result.purchaseId.toString()} matches the chain.
        {checked}
      </p>
    );
  }
  return (
    <div role="alert" className="verify-failed" data-testid="verify-result">
      <p>
        ✕ Not verified{result.error ? `: ${result.error}` : `: ${result.mismatches.length} mismatch(es)`}.{checked}
      </p>
      {result.mismatches.length > 0 && (
        <ul>
          {result.mismatches.map((m) => (
            <li key={m.field}>
              <code>{m.field}</code>: bill says {JSON.stringify(m.bill)}, chain says {JSON.stringify(m.chain)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
