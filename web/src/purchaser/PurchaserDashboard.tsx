/** The purchaser's dashboard: browse and buy, then follow each purchase to its bill. */
import { useSession } from "../chain/session.js";
import { useChainData } from "../chain/useChainData.js";
import { PurchaseCard } from "../purchase/PurchaseCard.js";
import { purchasesOfPurchaser } from "../purchase/purchaseLists.js";
import { OfferBrowser } from "./OfferBrowser.js";

export function PurchaserDashboard() {
  const { account, reader } = useSession();
  const purchases = useChainData(() => (account ? purchasesOfPurchaser(reader, account) : Promise.resolve([])), [account, reader]);
  return (
    <div className="dashboard">
      <h1>Purchaser</h1>
      <OfferBrowser />
      {account && (
        <section aria-labelledby="my-purchases-heading">
          <h2 id="my-purchases-heading">Your purchases</h2>
          {purchases.error && <p role="alert">Could not read your purchases: {purchases.error}</p>}
          {purchases.data?.length === 0 && <p className="muted card">No purchase yet.</p>}
          {purchases.data?.map((id) => (
            <PurchaseCard key={id.toString()} purchaseId={id} viewer="purchaser" />
          ))}
        </section>
      )}
    </div>
  );
}
