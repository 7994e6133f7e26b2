/**
 * "Bill" in one action: build the bill from the chain, upload it to IPFS, record its CID on chain, with each
 * step shown as it happens (building, uploading, signing, mining, confirmed), the gas and fee estimated before
 * signing, and a Retry that starts over (the same chain state gives the same bill and CID).
 */
import { useRef, useState } from "react";
import { billBytes, buildBill } from "../../../src/bill.js";
import { cidToOnChain } from "../../../src/cid.js";
import { describeError } from "../../../src/ledgerErrors.js";
import { useSession } from "../chain/session.js";
import { formatEth, formatGas, shortHex } from "../format.js";
import { ProgressSteps, type Step } from "../ui/ProgressSteps.js";
import { TxHash, type Estimate } from "../tx/TxAction.js";

export const BILL_STEPS: readonly Step[] = [
  { key: "building", label: "Building" },
  { key: "uploading", label: "Uploading" },
  { key: "signing", label: "Signing" },
  { key: "mining", label: "Mining" },
  { key: "confirmed", label: "Confirmed" },
];

type BillState = {
  step: string | undefined;
  failed: boolean;
  reason?: string;
  cid?: string;
  hash?: string;
  blockNumber?: number;
  estimate?: Estimate;
};

export function BillAction({ purchaseId, disabledReason, settled }: { purchaseId: bigint; disabledReason?: string; settled?: boolean }) {
  const { reader, client, billStore, config, refresh } = useSession();
  const [state, setState] = useState<BillState>({ step: undefined, failed: false });
  const running = useRef(false);

  async function bill() {
    if (!client || running.current) return;
    running.current = true;
    let current: BillState = { step: "building", failed: false };
    const update = (patch: Partial<BillState>) => {
      current = { ...current, ...patch };
      setState(current);
    };
    update({});
    try {
      const built = await buildBill(reader, purchaseId);
      update({ step: "uploading" });
      const store = await billStore();
      const cid = await store.put(billBytes(built));
      const { digest, codec } = cidToOnChain(cid);
      update({ cid, estimate: await client.estimate("recordBill", [purchaseId, digest, codec]), step: "signing" });
      const result = await client.recordBill({ purchaseId, cid }, (status) => {
        if (status.stage === "pending" || status.stage === "resubmitted") update({ step: "mining", hash: status.hash });
      });
      update({ step: "confirmed", hash: result.hash, blockNumber: result.blockNumber });
      refresh();
    } catch (error) {
      update({ failed: true, reason: describeError(error) });
    } finally {
      running.current = false;
    }
  }

  const busy = state.step !== undefined && !state.failed && state.step !== "confirmed";
  // A purchase billed or closed before: nothing to do here.
  if (settled && state.step === undefined) return null;
  return (
    <div className="bill-action">
      <button
        type="button"
        className="btn btn-primary"
        aria-label={`Bill purchase ${purchaseId}`}
        disabled={!client || busy || settled || disabledReason !== undefined || state.step === "confirmed"}
        onClick={() => void bill()}
      >
        Bill
      </button>
      {disabledReason && !settled && <span className="muted small">{disabledReason}</span>}
      {state.step !== undefined && (
        <div className="bill-progress">
          <ProgressSteps
            label={`Bill progress for purchase ${purchaseId}`}
            steps={BILL_STEPS}
            current={state.step}
            failed={state.failed}
            complete={state.step === "confirmed"}
          />
          <div role="status" className="small">
            {state.cid && (
              <span>
                Bill <code title={state.cid}>{shortHex(state.cid, 8)}</code>.{" "}
              </span>
            )}
            {state.estimate && !state.blockNumber && (
              <span>
                Estimated gas {formatGas(state.estimate.gas)}, fee up to {formatEth(state.estimate.fee)}.{" "}
              </span>
            )}
            {state.hash && !state.blockNumber && (
              <span>
                Pending: <TxHash hash={state.hash} chainId={config.chainId} />
              </span>
            )}
            {state.blockNumber !== undefined && state.hash && (
              <span>
                Confirmed in block <strong>{state.blockNumber}</strong>: <TxHash hash={state.hash} chainId={config.chainId} />
              </span>
            )}
          </div>
          {state.failed && (
            <div role="alert" className="tx-status failed">
              <span>
                Failed while {state.step}: <span className="reason">{state.reason}</span>
              </span>
              <button type="button" className="btn btn-secondary btn-small" onClick={() => void bill()}>
                Retry
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
