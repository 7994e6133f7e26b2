/**
 * The producer's latest meter readings, storage and transfers, each marked "unusual" when the core's anomaly
 * check flags it (outside μ ± kσ of its meter's history), with k set here.
 */
import { readingOf } from "../../../src/anomaly.js";
import { eventKey } from "../../../src/events.js";
import type { ChainData } from "../chain/useChainData.js";
import { Field } from "../forms/Field.js";
import { bind, useForm } from "../forms/useForm.js";
import { formatEnergy, formatTime, shortHex } from "../format.js";
import { AnomalyBadge } from "./AnomalyBadge.js";
import { anomalyKInput, type ProducerReadings, type ReadingEvent } from "./readings.js";

/** Rows shown. */
const SHOWN = 20;

export function ReadingsPanel({
  readings,
  k,
  onK,
}: {
  readings: ChainData<ProducerReadings | undefined>;
  k: number;
  onK: (k: number) => void;
}) {
  const form = useForm<"k", { k: number }>({
    initial: { k: String(k) },
    checks: { k: null },
    schema: () => anomalyKInput,
    toInput: (v) => ({ k: v.k }),
  });
  const data = readings.data;
  return (
    <section className="card" aria-labelledby="readings-heading">
      <h2 id="readings-heading">Meter readings</h2>
      <form
        className="form inline-form"
        noValidate
        aria-label="Anomaly threshold"
        onSubmit={(e) => {
          e.preventDefault();
          if (form.check()) onK(form.parsed().k);
        }}
      >
        <Field {...bind(form, "k", "k (unusual beyond μ ± kσ)")} inputMode="decimal" />
        <button type="submit" className="btn btn-secondary">
          Apply
        </button>
      </form>
      {readings.error && <p role="alert">Could not read the readings: {readings.error}</p>}
      {data && data.events.length === 0 && <p className="muted">No reading yet.</p>}
      {data && data.events.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Latest meter readings, newest first; k = {k}</caption>
            <thead>
              <tr>
                <th scope="col">Reading</th>
                <th scope="col">Value</th>
                <th scope="col">By</th>
                <th scope="col">Block</th>
                <th scope="col">Check</th>
              </tr>
            </thead>
            <tbody>
              {data.events.slice(0, SHOWN).map((e) => {
                const key = eventKey(e);
                const flag = data.flags.get(key);
                return (
                  <tr key={key} data-kind={e.kind} data-unusual={flag ? "true" : undefined}>
                    <td>{what(e)}</td>
                    <td>{value(e)}</td>
                    <td>
                      <code title={e.kind === "StorageRecorded" ? e.recorder : e.meter}>
                        {shortHex(e.kind === "StorageRecorded" ? e.recorder : e.meter)}
                      </code>
                    </td>
                    <td>#{e.blockNumber}</td>
                    <td>{flag ? <AnomalyBadge flag={flag} /> : <span className="muted small">usual</span>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function what(e: ReadingEvent): string {
  return e.kind === "StorageRecorded" ? `Storage of offer ${e.offerId}` : `Transfer ${e.index} of purchase ${e.purchaseId}`;
}

function value(e: ReadingEvent): string {
  if (e.kind === "StorageRecorded") return `${formatEnergy(e.available)} available`;
  const power = readingOf(e); // the series value the anomaly check judges: the window's average power
  return `${formatEnergy(e.amount)} in ${formatTime(e.start)} – ${formatTime(e.end)}${power ? ` (${Math.round(power.value)} W average)` : ""}`;
}
