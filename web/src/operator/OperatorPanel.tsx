/** The grid operator's disputes: every transfer still disputed, to uphold or reject. */
import type { EventOf } from "../../../src/events.js";
import type { GridLedgerClient } from "../../../src/ledgerClient.js";
import { useSession } from "../chain/session.js";
import { useChainData } from "../chain/useChainData.js";
import { reasonName } from "../events.js";
import { formatEnergy, shortHex } from "../format.js";
import { TxAction } from "../tx/TxAction.js";

export async function openDisputes(reader: GridLedgerClient): Promise<{ dispute: EventOf<"TransferDisputed">; amount: bigint }[]> {
  const page = await reader.history({ kinds: ["TransferDisputed"] }, { size: 200 });
  const disputes = page.events.filter((e): e is EventOf<"TransferDisputed"> => e.kind === "TransferDisputed");
  const transfers = await Promise.all(disputes.map((d) => reader.transferOf(d.purchaseId, d.index)));
  return disputes.flatMap((dispute, i) => (transfers[i].state === "disputed" ? [{ dispute, amount: transfers[i].amount }] : []));
}

export function OperatorPanel() {
  const { reader, client } = useSession();
  const disputes = useChainData(() => openDisputes(reader), [reader]);
  return (
    <div className="dashboard">
      <h1>Operator</h1>
      <section className="card" aria-labelledby="disputes-heading">
        <h2 id="disputes-heading">Open disputes</h2>
        {disputes.error && <p role="alert">Could not read the disputes: {disputes.error}</p>}
        {disputes.data?.length === 0 && <p className="muted">No open dispute.</p>}
        {disputes.data && disputes.data.length > 0 && (
          <ul className="plain-list" aria-label="Open disputes">
            {disputes.data.map(({ dispute: d, amount }) => (
              <li key={`${d.purchaseId}:${d.index}`} className="dispute">
                <p>
                  Purchase {d.purchaseId.toString()}, transfer {d.index}: {formatEnergy(amount)} disputed by{" "}
                  <code title={d.purchaser}>{shortHex(d.purchaser)}</code> ({reasonName(d.reason)}); producer{" "}
                  <code title={d.producer}>{shortHex(d.producer)}</code>
                </p>
                {client && (
                  <div className="row wrap">
                    <TxAction
                      label="Uphold"
                      ariaLabel={`Uphold the dispute of transfer ${d.index} of purchase ${d.purchaseId}`}
                      summary={<p>Upholding withholds {formatEnergy(amount)} from the producer's pay: the purchaser is refunded.</p>}
                      estimate={() => client.estimate("resolveDispute", [d.purchaseId, d.index, true])}
                      send={(onStatus) => client.resolveDispute({ purchaseId: d.purchaseId, index: d.index, upheld: true }, onStatus)}
                    />
                    <TxAction
                      label="Reject"
                      ariaLabel={`Reject the dispute of transfer ${d.index} of purchase ${d.purchaseId}`}
                      variant="danger"
                      summary={<p>Rejecting counts the transfer as delivered.</p>}
                      estimate={() => client.estimate("resolveDispute", [d.purchaseId, d.index, false])}
                      send={(onStatus) => client.resolveDispute({ purchaseId: d.purchaseId, index: d.index, upheld: false }, onStatus)}
                    />
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
