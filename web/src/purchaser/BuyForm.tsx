/** Buys energy from an offer, showing the exact cost (client.quote: rate × quantity) before anything is signed. */
import { useEffect, useState } from "react";
import type { Offer } from "../../../src/ledgerClient.js";
import { describeError } from "../../../src/ledgerErrors.js";
import { purchaseInput, type PurchaseInput } from "../../../src/schemas.js";
import { useSession } from "../chain/session.js";
import { Field } from "../forms/Field.js";
import { bind, optionalText, useForm } from "../forms/useForm.js";
import { formatEnergy, formatEth } from "../format.js";
import { TxAction } from "../tx/TxAction.js";

export function BuyForm({ offer, onBought }: { offer: Offer; onBought?: (purchaseId: bigint) => void }) {
  const { client, reader } = useSession();
  const [quote, setQuote] = useState<{ quantity: bigint; cost: bigint } | { error: string }>();
  const [bought, setBought] = useState<string>();
  const form = useForm<"quantity", PurchaseInput>({
    initial: { quantity: "" },
    checks: { quantity: "quantity" },
    schema: () => purchaseInput,
    toInput: (v) => ({ offerId: offer.offerId, quantity: optionalText(v.quantity) }),
  });
  const quantity = form.valid ? form.parsed().quantity : undefined;

  useEffect(() => {
    if (quantity === undefined) return setQuote(undefined);
    let live = true;
    reader.quote(offer.offerId, quantity).then(
      (cost) => live && setQuote({ quantity, cost }),
      (error: unknown) => live && setQuote({ error: describeError(error) }),
    );
    return () => {
      live = false;
    };
  }, [reader, offer.offerId, quantity]);

  const cost = quote && "cost" in quote && quote.quantity === quantity ? quote.cost : undefined;
  const costText = cost !== undefined ? `${formatEth(cost)} (${cost} wei)` : undefined;

  return (
    <form className="form buy-form" onSubmit={(e) => e.preventDefault()} noValidate aria-label={`Buy from offer ${offer.offerId}`}>
      <Field
        {...bind(form, "quantity", `Quantity from offer ${offer.offerId}`)}
        placeholder="5 kWh"
        hint={`Up to ${formatEnergy(offer.available)}`}
      />
      <p className="cost" aria-live="polite" data-testid="exact-cost">
        {costText ? (
          <>
            Exact cost: <strong>{costText}</strong>
          </>
        ) : quote && "error" in quote ? (
          <span role="alert">Cannot price: {quote.error}</span>
        ) : (
          "Enter a quantity to see the exact cost."
        )}
      </p>
      <TxAction
        label="Buy"
        ariaLabel={`Buy from offer ${offer.offerId}`}
        validate={form.check}
        disabled={!client}
        disabledReason={client ? undefined : "Connect an account to buy"}
        summary={costText && <p>You pay exactly {costText}, held in escrow until the bill.</p>}
        estimate={async () => {
          const { offerId, quantity: q } = form.parsed();
          const exact = await client!.quote(offerId, q);
          setQuote({ quantity: q, cost: exact });
          return client!.estimate("purchase", [offerId, q], exact);
        }}
        send={async (onStatus) => {
          const { offerId, quantity: q } = form.parsed();
          // The cost shown is the most the purchase may cost: a changed rate fails before signing.
          const result = await client!.purchase({ offerId, quantity: q, maxCost: cost }, onStatus);
          setBought(`Purchase ${result.id} made.`);
          onBought?.(result.id);
          return result;
        }}
      />
      {bought && <p className="ok-text">{bought}</p>}
    </form>
  );
}
