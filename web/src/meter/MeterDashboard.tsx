/** A meter's view: its producer and rated power, the producer's purchases to record transfers for, its offers' storage. */
import { useSession } from "../chain/session.js";
import { useChainData } from "../chain/useChainData.js";
import { formatPower } from "../events.js";
import { OffersPanel } from "../producer/OffersPanel.js";
import { PurchaseCard } from "../purchase/PurchaseCard.js";
import { purchasesOfProducer } from "../purchase/purchaseLists.js";
import { ConnectPrompt } from "../ui/ConnectPrompt.js";

export function MeterDashboard() {
  const { account, reader } = useSession();
  const data = useChainData(async () => {
    if (!account) return undefined;
    const meter = await reader.meterOf(account);
    return { meter, purchases: meter.active ? await purchasesOfProducer(reader, meter.producer) : [] };
  }, [account, reader]);
  if (!account) return <ConnectPrompt what="record as a meter" />;
  const meter = data.data?.meter;
  return (
    <div className="dashboard">
      <h1>Meter</h1>
      {data.error && <p role="alert">Could not read the meter: {data.error}</p>}
      {meter && !meter.active && (
        <section className="card">
          <p>This account is not an active meter. A producer authorises it from the Producer view.</p>
        </section>
      )}
      {meter?.active && (
        <>
          <section className="card">
            <p>
              Meter of producer <code>{meter.producer}</code>, rated {formatPower(meter.ratedPower)}.
            </p>
          </section>
          <section aria-labelledby="meter-purchases-heading">
            <h2 id="meter-purchases-heading">Purchases to deliver</h2>
            {data.data?.purchases.length === 0 && <p className="muted card">No purchase yet.</p>}
            {data.data?.purchases.map((id) => (
              <PurchaseCard key={id.toString()} purchaseId={id} viewer="meter" meters={[account]} />
            ))}
          </section>
          <OffersPanel producer={meter.producer} canClose={false} />
        </>
      )}
    </div>
  );
}
