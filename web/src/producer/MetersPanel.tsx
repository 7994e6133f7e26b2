/** A producer's meters: authorise one (address and rated power), see the active ones, revoke. */
import { getAddress } from "ethers";
import { meterInput, type MeterInput } from "../../../src/schemas.js";
import type { GridLedgerClient, Meter } from "../../../src/ledgerClient.js";
import { useSession } from "../chain/session.js";
import { useChainData } from "../chain/useChainData.js";
import { Field } from "../forms/Field.js";
import { bind, optionalText, useForm } from "../forms/useForm.js";
import { formatPower } from "../events.js";
import { sameAddress } from "../format.js";
import { TxAction } from "../tx/TxAction.js";

/** The meters currently active for a producer, from its MeterAuthorized/MeterRevoked history and meterOf. */
export async function activeMeters(reader: GridLedgerClient, producer: string): Promise<Meter[]> {
  const page = await reader.history({ kinds: ["MeterAuthorized", "MeterRevoked"], producer }, { size: 500 });
  const addresses = [...new Set(page.events.map((e) => ("meter" in e ? getAddress(e.meter) : "")).filter(Boolean))];
  const meters = await Promise.all(addresses.map((a) => reader.meterOf(a)));
  return meters.filter((m) => m.active && sameAddress(m.producer, producer));
}

export function MetersPanel() {
  const { reader, client, account } = useSession();
  const meters = useChainData(() => (account ? activeMeters(reader, account) : Promise.resolve([])), [account, reader]);
  const form = useForm<"meter" | "ratedPower", MeterInput>({
    initial: { meter: "", ratedPower: "10 kW" },
    checks: { meter: "address", ratedPower: "ratedPower" },
    schema: () => meterInput,
    toInput: (v) => ({ meter: optionalText(v.meter), ratedPower: optionalText(v.ratedPower) }),
  });

  return (
    <section className="card" aria-labelledby="meters-heading">
      <h2 id="meters-heading">Meters</h2>
      <form className="form" onSubmit={(e) => e.preventDefault()} noValidate aria-label="Authorise a meter">
        <div className="grid-2">
          <Field {...bind(form, "meter", "Meter address")} placeholder="0x…" />
          <Field {...bind(form, "ratedPower", "Rated power")} placeholder="10 kW" hint="W, kW, MW; bounds what it may record per hour" />
        </div>
        <TxAction
          label="Authorise meter"
          validate={form.check}
          disabled={!client}
          disabledReason={client ? undefined : "Connect an account first"}
          estimate={() => {
            const i = form.parsed();
            return client!.estimate("authorizeMeter", [i.meter, i.ratedPower]);
          }}
          send={(onStatus) => client!.authorizeMeter(form.parsed(), onStatus)}
        />
      </form>
      <h3>Active meters</h3>
      {meters.error && <p role="alert">Could not read the meters: {meters.error}</p>}
      {meters.data && meters.data.length === 0 && <p className="muted">No active meter.</p>}
      {meters.data && meters.data.length > 0 && (
        <ul className="plain-list" aria-label="Active meters">
          {meters.data.map((m) => (
            <li key={m.meter} className="row wrap">
              <code title={m.meter}>{m.meter}</code>
              <span>{formatPower(m.ratedPower)}</span>
              {client && (
                <TxAction
                  label="Revoke"
                  ariaLabel={`Revoke meter ${m.meter}`}
                  variant="danger"
                  estimate={() => client.estimate("revokeMeter", [m.meter])}
                  send={(onStatus) => client.revokeMeter({ meter: m.meter }, onStatus)}
                />
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
