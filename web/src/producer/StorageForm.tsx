/** Records an offer's available storage (by its producer or one of its meters). */
import { storageInput, type StorageInput } from "../../../src/schemas.js";
import { useSession } from "../chain/session.js";
import { Field } from "../forms/Field.js";
import { bind, optionalText, useForm } from "../forms/useForm.js";
import { TxAction } from "../tx/TxAction.js";

export function StorageForm({ offerId }: { offerId: bigint }) {
  const { client } = useSession();
  const form = useForm<"available", StorageInput>({
    initial: { available: "" },
    checks: { available: "available" },
    schema: () => storageInput,
    toInput: (v) => ({ offerId, available: optionalText(v.available) }),
  });
  return (
    <form className="form inline-form" onSubmit={(e) => e.preventDefault()} noValidate aria-label={`Record storage of offer ${offerId}`}>
      <Field {...bind(form, "available", `Available storage of offer ${offerId}`)} placeholder="75 kWh" />
      <TxAction
        label="Record storage"
        ariaLabel={`Record storage of offer ${offerId}`}
        variant="secondary"
        validate={form.check}
        disabled={!client}
        estimate={() => client!.estimate("recordStorage", [offerId, form.parsed().available])}
        send={(onStatus) => client!.recordStorage(form.parsed(), onStatus)}
      />
    </form>
  );
}
