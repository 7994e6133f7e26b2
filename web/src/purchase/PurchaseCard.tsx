/**
 * One purchase as its producer, meter or purchaser sees it: progress, transfers as they arrive, and what that
 * party can do next (record a transfer, acknowledge or dispute, bill, open and verify the bill).
 */
import { useId, useState } from "react";
import { DISPUTE_REASONS } from "../../../src/schemas.js";
import { useSession } from "../chain/session.js";
import { useChainData } from "../chain/useChainData.js";
import { reasonName } from "../events.js";
import { formatEnergy, formatEth, formatTime, shortHex } from "../format.js";
import { eventKey } from "../../../src/events.js";
import { AnomalyBadge } from "../producer/AnomalyBadge.js";
import { BillAction } from "../producer/BillAction.js";
import { useAnomalyFlags } from "../producer/readings.js";
import { TxAction } from "../tx/TxAction.js";
import { ProgressSteps } from "../ui/ProgressSteps.js";
import { BillViewer } from "./BillViewer.js";
import { detailStage, loadPurchaseDetail, progressOf, PURCHASE_STEPS, type PurchaseDetail, type TransferRow } from "./purchaseDetail.js";
import { TransferForm } from "./TransferForm.js";

export type Viewer = "producer" | "meter" | "purchaser";

export function PurchaseCard({ purchaseId, viewer, meters = [] }: { purchaseId: bigint; viewer: Viewer; meters?: readonly string[] }) {
  const { reader } = useSession();
  const detail = useChainData(() => loadPurchaseDetail(reader, purchaseId), [purchaseId, reader]);
  const d = detail.data;
  const headingId = useId();
  return (
    <article className="card purchase" aria-labelledby={headingId} data-purchase={purchaseId.toString()}>
      <h3 id={headingId}>Purchase {purchaseId.toString()}</h3>
      {detail.error && (
        <p role="alert">
          Could not read purchase {purchaseId.toString()}: {detail.error}{" "}
          <button type="button" className="btn btn-secondary btn-small" onClick={detail.reload}>
            Retry
          </button>
        </p>
      )}
      {!d && !detail.error && <p className="muted">Loading…</p>}
      {d && <PurchaseBody d={d} viewer={viewer} meters={meters} />}
    </article>
  );
}

function PurchaseBody({ d, viewer, meters }: { d: PurchaseDetail; viewer: Viewer; meters: readonly string[] }) {
  const p = d.purchase;
  const progress = progressOf(detailStage(d));
  const remaining = p.quantity - p.delivered;
  const open = p.status === "open";
  return (
    <>
      <p className="facts">
        {formatEnergy(p.quantity)} from offer {p.offerId.toString()} ({d.offer.location}) for {formatEth(p.cost)} · delivered{" "}
        {formatEnergy(p.delivered)}
        {p.withheld > 0n && <> · withheld {formatEnergy(p.withheld)}</>} · <span className="badge">{p.status}</span>
        {viewer !== "purchaser" && (
          <>
            {" "}
            · purchaser <code title={p.purchaser}>{shortHex(p.purchaser)}</code>
          </>
        )}
      </p>
      <ProgressSteps
        label={`Progress of purchase ${p.purchaseId}`}
        steps={PURCHASE_STEPS}
        current={progress.current}
        complete={progress.complete}
      />
      <TransferTable rows={d.transfers} purchaseId={p.purchaseId} viewer={viewer} />
      {open && (viewer === "meter" || viewer === "producer") && remaining > 0n && (
        <details className="subform">
          <summary>Record a transfer</summary>
          <TransferForm purchaseId={p.purchaseId} meters={meters} purchasedAt={p.purchasedAt} remaining={remaining} />
        </details>
      )}
      {viewer === "producer" && (
        // Stays mounted once the purchase is billed, so that the progress of a bill just made stays in view.
        <BillAction
          purchaseId={p.purchaseId}
          settled={!open}
          disabledReason={
            p.transferCount === 0 ? "Nothing delivered yet" : p.openDisputes > 0 ? `${p.openDisputes} dispute(s) open` : undefined
          }
        />
      )}
      {open && viewer === "producer" && p.pendingCount > 0 && (
        <p className="muted small">
          {p.pendingCount} transfer(s) await acknowledgement: billing works once they are acknowledged or their dispute window has passed.
        </p>
      )}
      {d.bill && <BillViewer purchaseId={p.purchaseId} cid={d.bill.cid} />}
      {d.bill && (
        <p className="small">
          Settlement: producer receives {formatEth(d.bill.producerAmount)}, purchaser refunded {formatEth(d.bill.refund)}.
        </p>
      )}
    </>
  );
}

function TransferTable({ rows, purchaseId, viewer }: { rows: readonly TransferRow[]; purchaseId: bigint; viewer: Viewer }) {
  const flags = useAnomalyFlags(); // filled in the producer's dashboard only
  if (rows.length === 0) return <p className="muted small">No transfer recorded yet.</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption>Transfers of purchase {purchaseId.toString()}</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Amount</th>
            <th scope="col">Window</th>
            <th scope="col">Device</th>
            <th scope="col">State</th>
            {viewer === "purchaser" && <th scope="col">Action</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={t.event.index} data-transfer={t.event.index}>
              <td>{t.event.index}</td>
              <td>
                {formatEnergy(t.event.amount)} <AnomalyBadge flag={flags.get(eventKey(t.event))} />
              </td>
              <td className="small">
                {formatTime(t.event.start)} – {formatTime(t.event.end)}
              </td>
              <td>{t.event.device}</td>
              <td data-testid="transfer-state">
                {t.state}
                {t.dispute && <span className="muted small"> ({reasonName(t.dispute.reason)})</span>}
              </td>
              {viewer === "purchaser" && (
                <td>{t.state === "pending" && <TransferActions purchaseId={purchaseId} index={t.event.index} />}</td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const REASONS = Object.entries(DISPUTE_REASONS) as [string, number][];

function TransferActions({ purchaseId, index }: { purchaseId: bigint; index: number }) {
  const { client } = useSession();
  const [reason, setReason] = useState<number>(DISPUTE_REASONS.shortDelivery);
  const selectId = useId();
  if (!client) return null;
  return (
    <div className="transfer-actions">
      <TxAction
        label="Acknowledge"
        ariaLabel={`Acknowledge transfer ${index} of purchase ${purchaseId}`}
        estimate={() => client.estimate("acknowledgeTransfer", [purchaseId, index])}
        send={(onStatus) => client.acknowledgeTransfer({ purchaseId, index }, onStatus)}
      />
      <div className="row wrap">
        <label htmlFor={selectId} className="small">
          Dispute reason
        </label>
        <select id={selectId} value={reason} onChange={(e) => setReason(Number(e.target.value))}>
          {REASONS.map(([, code]) => (
            <option key={code} value={code}>
              {reasonName(code)}
            </option>
          ))}
        </select>
        <TxAction
          label="Dispute"
          ariaLabel={`Dispute transfer ${index} of purchase ${purchaseId}`}
          variant="danger"
          summary={
            <p>
              Disputes transfer {index} as “{reasonName(reason)}”: the operator decides.
            </p>
          }
          estimate={() => client.estimate("disputeTransfer", [purchaseId, index, reason])}
          send={(onStatus) => client.disputeTransfer({ purchaseId, index, reason }, onStatus)}
        />
      </div>
    </div>
  );
}
