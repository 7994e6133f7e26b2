/** Open offers to buy from: filter by location, rate and available storage; sort; buy with the exact cost. */
import { useId, useState } from "react";
import type { GridLedgerClient, Offer } from "../../../src/ledgerClient.js";
import { useSession } from "../chain/session.js";
import { useChainData } from "../chain/useChainData.js";
import { Field } from "../forms/Field.js";
import { fieldIssue } from "../forms/useForm.js";
import { fields } from "../../../src/schemas.js";
import { formatEnergy, formatRate, sameAddress, shortHex } from "../format.js";
import { BuyForm } from "./BuyForm.js";

/** The newest `limit` offers, by id. */
export async function recentOffers(reader: GridLedgerClient, limit = 200): Promise<Offer[]> {
  const total = (await reader.counts()).offers;
  const ids: bigint[] = [];
  for (let id = total; id >= 1n && ids.length < limit; id--) ids.push(id);
  const offers: Offer[] = [];
  for (let i = 0; i < ids.length; i += 25) offers.push(...(await Promise.all(ids.slice(i, i + 25).map((id) => reader.offer(id)))));
  return offers;
}

type Sort = "rate-asc" | "rate-desc" | "available-desc" | "newest";

export function OfferBrowser() {
  const { reader, account } = useSession();
  const offers = useChainData(() => recentOffers(reader), [reader]);
  const [location, setLocation] = useState("");
  const [maxRate, setMaxRate] = useState("");
  const [minAvailable, setMinAvailable] = useState("");
  const [sort, setSort] = useState<Sort>("rate-asc");
  const [buying, setBuying] = useState<bigint>();
  const sortId = useId();

  const rateIssue = maxRate.trim() ? fieldIssue("rate", maxRate) : undefined;
  const availableIssue = minAvailable.trim() ? fieldIssue("available", minAvailable) : undefined;
  const rateLimit = maxRate.trim() && !rateIssue ? (fields.rate.parse(maxRate) as bigint) : undefined;
  const availableLimit = minAvailable.trim() && !availableIssue ? (fields.available.parse(minAvailable) as bigint) : undefined;

  const shown = (offers.data ?? [])
    .filter((o) => o.open && o.available > 0n)
    .filter((o) => !location.trim() || o.location.toLowerCase().includes(location.trim().toLowerCase()))
    .filter((o) => rateLimit === undefined || o.rate <= rateLimit)
    .filter((o) => availableLimit === undefined || o.available >= availableLimit)
    .sort((a, b) => {
      const cmp = (x: bigint, y: bigint) => (x < y ? -1 : x > y ? 1 : 0);
      switch (sort) {
        case "rate-asc":
          return cmp(a.rate, b.rate) || cmp(b.offerId, a.offerId);
        case "rate-desc":
          return cmp(b.rate, a.rate) || cmp(b.offerId, a.offerId);
        case "available-desc":
          return cmp(b.available, a.available) || cmp(b.offerId, a.offerId);
        case "newest":
          return cmp(b.offerId, a.offerId);
      }
    });

  return (
    <section className="card" aria-labelledby="browse-heading">
      <h2 id="browse-heading">Open offers</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter offers">
        <Field label="Location contains" name="location" value={location} onChange={setLocation} placeholder="substation" />
        <Field label="Highest rate" name="maxRate" value={maxRate} onChange={setMaxRate} placeholder="0.0003 ETH/kWh" issue={rateIssue} />
        <Field
          label="Least available"
          name="minAvailable"
          value={minAvailable}
          onChange={setMinAvailable}
          placeholder="5 kWh"
          issue={availableIssue}
        />
        <div className="field">
          <label htmlFor={sortId}>Sort by</label>
          <select id={sortId} value={sort} onChange={(e) => setSort(e.target.value as Sort)}>
            <option value="rate-asc">Rate, lowest first</option>
            <option value="rate-desc">Rate, highest first</option>
            <option value="available-desc">Most available first</option>
            <option value="newest">Newest first</option>
          </select>
        </div>
      </form>
      {offers.error && (
        <p role="alert">
          Could not read the offers: {offers.error}{" "}
          <button type="button" className="btn btn-secondary btn-small" onClick={offers.reload}>
            Retry
          </button>
        </p>
      )}
      {offers.data && shown.length === 0 && <p className="muted">No open offer matches.</p>}
      <ul className="offer-list" aria-label="Open offers">
        {shown.map((o) => (
          <li key={o.offerId.toString()} className="offer" data-offer={o.offerId.toString()}>
            <div className="row wrap">
              <strong>Offer {o.offerId.toString()}</strong>
              <span>{o.location}</span>
              <span>{formatEnergy(o.available)} available</span>
              <span>{formatRate(o.rate)}</span>
              <span className="muted small">producer {shortHex(o.producer)}</span>
              {sameAddress(o.producer, account) ? (
                <span className="badge">your offer</span>
              ) : (
                <button
                  type="button"
                  className="btn btn-secondary"
                  aria-expanded={buying === o.offerId}
                  aria-label={`${buying === o.offerId ? "Hide" : "Buy from"} offer ${o.offerId}`}
                  onClick={() => setBuying(buying === o.offerId ? undefined : o.offerId)}
                >
                  {buying === o.offerId ? "Hide" : "Buy…"}
                </button>
              )}
            </div>
            {buying === o.offerId && <BuyForm offer={o} />}
          </li>
        ))}
      </ul>
    </section>
  );
}
