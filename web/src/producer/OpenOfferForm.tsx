/** Opens an offer: capacity, available storage, location and rate in human units, checked as typed. */
import { useState } from "react";
import { openOfferInput, type OpenOfferInput } from "../../../src/schemas.js";
import { useSession } from "../chain/session.js";
import { Field } from "../forms/Field.js";
import { bind, optionalText, useForm } from "../forms/useForm.js";
import { formatEnergy, formatEth, formatRate } from "../format.js";
import { TxAction } from "../tx/TxAction.js";

type Name = "capacity" | "available" | "rate" | "location";

export function OpenOfferForm() {
  const { client } = useSession();
  const [opened, setOpened] = useState<string>();
  const form = useForm<Name, OpenOfferInput>({
    initial: { capacity: "", available: "", rate: "", location: "" },
    checks: { capacity: "capacity", available: "available", rate: "rate", location: "location" },
    schema: () => openOfferInput,
    toInput: (v) => ({
      capacity: optionalText(v.capacity),
      available: optionalText(v.available),
      rate: optionalText(v.rate),
      location: v.location === "" ? undefined : v.location,
    }),
  });
  const input = form.valid ? form.parsed() : undefined;

  return (
    <form className="card form" aria-labelledby="open-offer-heading" onSubmit={(e) => e.preventDefault()} noValidate>
      <h2 id="open-offer-heading">Open an offer</h2>
      <div className="grid-2">
        <Field {...bind(form, "capacity", "Capacity")} placeholder="100 kWh" hint="Wh, kWh, MWh …" />
        <Field {...bind(form, "available", "Available storage")} placeholder="80 kWh" hint="At most the capacity" />
        <Field {...bind(form, "rate", "Rate")} placeholder="0.0002 ETH/kWh" hint="wei, gwei or ETH per Wh, kWh, MWh" />
        <Field {...bind(form, "location", "Location")} placeholder="North substation" hint="Up to 31 bytes" />
      </div>
      <p className="preview" aria-live="polite" data-testid="offer-preview">
        {input
          ? `${formatEnergy(input.available)} of ${formatEnergy(input.capacity)} at ${formatRate(input.rate)}: selling all of it earns ${formatEth(input.available * input.rate)}.`
          : "Fill in the offer to see what it earns."}
      </p>
      <TxAction
        label="Open offer"
        validate={form.check}
        disabled={!client}
        disabledReason={client ? undefined : "Connect an account to open an offer"}
        summary={
          input && (
            <p>
              Opens an offer of {formatEnergy(input.available)} at {formatRate(input.rate)} in {input.location}.
            </p>
          )
        }
        estimate={() => {
          const i = form.parsed();
          return client!.estimate("openOffer", [i.capacity, i.available, i.rate, i.location]);
        }}
        send={async (onStatus) => {
          const result = await client!.openOffer(form.parsed(), onStatus);
          setOpened(`Offer ${result.id} opened.`);
          return result;
        }}
      />
      {opened && <p className="ok-text">{opened}</p>}
    </form>
  );
}
