/** The producer's dashboard: offers, meters, incoming purchases, transfers, bills, meter readings with anomaly flags, charts. */
import { useState } from "react";
import { DEFAULT_K } from "../../../src/anomaly.js";
import { useAlertItems } from "../alerts/AlertsContext.js";
import { useSession } from "../chain/session.js";
import { useChainData } from "../chain/useChainData.js";
import { PurchaseCard } from "../purchase/PurchaseCard.js";
import { purchasesOfProducer } from "../purchase/purchaseLists.js";
import { ConnectPrompt } from "../ui/ConnectPrompt.js";
import { activeMeters, MetersPanel } from "./MetersPanel.js";
import { OffersPanel } from "./OffersPanel.js";
import { OpenOfferForm } from "./OpenOfferForm.js";
import { ProducerCharts } from "./ProducerCharts.js";
import { ReadingsPanel } from "./ReadingsPanel.js";
import { AnomalyFlagsContext, producerReadings } from "./readings.js";

const NO_FLAGS = new Map();

export function ProducerDashboard() {
  const { account, reader } = useSession();
  const alerts = useAlertItems();
  const data = useChainData(
    async () =>
      account ? { purchases: await purchasesOfProducer(reader, account), meters: await activeMeters(reader, account) } : undefined,
    [account, reader],
  );
  const [k, setK] = useState(DEFAULT_K);
  const readings = useChainData(async () => (account ? producerReadings(reader, account, k) : undefined), [account, reader, k]);
  if (!account) return <ConnectPrompt what="sell storage" />;
  const incoming = alerts.filter((a) => a.kind === "EnergyPurchased" && a.roles.includes("producer"));
  return (
    <AnomalyFlagsContext.Provider value={readings.data?.flags ?? NO_FLAGS}>
      <div className="dashboard">
        <h1>Producer</h1>
        <div className="columns">
          <OpenOfferForm />
          <MetersPanel />
        </div>
        <section className="card" aria-labelledby="incoming-heading">
          <h2 id="incoming-heading">Incoming purchases</h2>
          {incoming.length === 0 ? (
            <p className="muted">No purchase alert yet.</p>
          ) : (
            <ul className="alert-list" aria-label="Incoming purchases">
              {incoming.slice(0, 10).map((a) => (
                <li key={a.key} className="alert-item">
                  {a.text} <span className="muted small">block {a.blockNumber}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="sales-heading">
          <h2 id="sales-heading">Purchases of your offers</h2>
          {data.error && <p role="alert">Could not read the purchases: {data.error}</p>}
          {data.data?.purchases.length === 0 && <p className="muted card">No purchase yet.</p>}
          {data.data?.purchases.map((id) => (
            <PurchaseCard key={id.toString()} purchaseId={id} viewer="producer" meters={data.data!.meters.map((m) => m.meter)} />
          ))}
        </section>
        <OffersPanel producer={account} canClose />
        <ReadingsPanel readings={readings} k={k} onK={setK} />
        <ProducerCharts producer={account} />
      </div>
    </AnomalyFlagsContext.Provider>
  );
}
