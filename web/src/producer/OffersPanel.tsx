/** A producer's offers (or, for a meter, its producer's): state, record storage, close. */
import type { GridLedgerClient, Offer } from "../../../src/ledgerClient.js";
import { useSession } from "../chain/session.js";
import { useChainData } from "../chain/useChainData.js";
import { formatEnergy, formatRate } from "../format.js";
import { TxAction } from "../tx/TxAction.js";
import { StorageForm } from "./StorageForm.js";

export async function offersOf(reader: GridLedgerClient, producer: string, size = 100): Promise<Offer[]> {
  const page = await reader.history({ kinds: ["OfferOpened"], producer }, { size });
  const ids = page.events.map((e) => ("offerId" in e ? e.offerId : 0n)).filter((id) => id > 0n);
  return Promise.all(ids.map((id) => reader.offer(id)));
}

export function OffersPanel({ producer, canClose }: { producer: string; canClose: boolean }) {
  const { reader, client } = useSession();
  const offers = useChainData(() => offersOf(reader, producer), [producer, reader]);
  return (
    <section className="card" aria-labelledby="offers-heading">
      <h2 id="offers-heading">Offers</h2>
      {offers.error && <p role="alert">Could not read the offers: {offers.error}</p>}
      {offers.data?.length === 0 && <p className="muted">No offer yet.</p>}
      {offers.data && offers.data.length > 0 && (
        <ul className="offer-list" aria-label="Offers">
          {offers.data.map((o) => (
            <li key={o.offerId.toString()} className="offer" data-offer={o.offerId.toString()}>
              <div className="row wrap">
                <strong>Offer {o.offerId.toString()}</strong>
                <span>{o.location}</span>
                <span>
                  {formatEnergy(o.available)} of {formatEnergy(o.capacity)} available
                </span>
                <span>{formatRate(o.rate)}</span>
                <span className={`badge ${o.open ? "badge-ok" : ""}`}>{o.open ? "open" : "closed"}</span>
              </div>
              {o.open && client && (
                <div className="row wrap">
                  <StorageForm offerId={o.offerId} />
                  {canClose && (
                    <TxAction
                      label="Close offer"
                      ariaLabel={`Close offer ${o.offerId}`}
                      variant="danger"
                      estimate={() => client.estimate("closeOffer", [o.offerId])}
                      send={(onStatus) => client.closeOffer({ offerId: o.offerId }, onStatus)}
                    />
                  )}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
