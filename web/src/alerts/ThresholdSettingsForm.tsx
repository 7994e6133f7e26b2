/**
 * Threshold settings of the connected account: the storage level its offers are watched against (a producer) and
 * the delivery deadline of its purchases (a purchaser). Checked as typed by the core's parsers (src/thresholds.ts);
 * an empty field turns that watch off.
 */
import { Field } from "../forms/Field.js";
import { bind, optionalText, useForm } from "../forms/useForm.js";
import { thresholdSettingsInput, type ThresholdSettings, type ThresholdSettingsInput } from "./thresholdSettings.js";

type Fields = "storageBelow" | "deliveryWithin";

export function ThresholdSettingsForm({
  settings,
  block,
  onSave,
}: {
  settings: ThresholdSettings | undefined;
  /** The latest block: saved settings apply from it on. */
  block: number;
  onSave: (settings: ThresholdSettings | undefined) => void;
}) {
  const form = useForm<Fields, ThresholdSettingsInput>({
    initial: { storageBelow: settings?.storageBelow ?? "", deliveryWithin: settings?.deliveryWithin ?? "" },
    checks: { storageBelow: null, deliveryWithin: null },
    schema: () => thresholdSettingsInput,
    toInput: (v) => ({ storageBelow: optionalText(v.storageBelow), deliveryWithin: optionalText(v.deliveryWithin) }),
  });

  function save() {
    if (!form.check()) return;
    const storageBelow = optionalText(form.values.storageBelow)?.trim();
    const deliveryWithin = optionalText(form.values.deliveryWithin)?.trim();
    onSave(storageBelow || deliveryWithin ? { storageBelow, deliveryWithin, since: block } : undefined);
  }

  return (
    <form className="form" onSubmit={(e) => (e.preventDefault(), save())} noValidate aria-label="Threshold alerts">
      <Field
        {...bind(form, "storageBelow", "Storage below")}
        placeholder="20%"
        hint="Tell me when a reading of one of my offers falls below this share of its capacity (or an energy, e.g. 10 kWh), and when it is back."
      />
      <Field
        {...bind(form, "deliveryWithin", "Delivery within")}
        placeholder="2h"
        hint="Tell me when a purchase of mine is still short this long after it was bought (e.g. 90m, 2h, 1d)."
      />
      <div className="row">
        <button type="submit" className="btn btn-primary">
          Save thresholds
        </button>
      </div>
      <p className="small" data-testid="threshold-state">
        {settings
          ? `Watching: ${[
              settings.storageBelow && `storage below ${settings.storageBelow}`,
              settings.deliveryWithin && `delivery within ${settings.deliveryWithin}`,
            ]
              .filter(Boolean)
              .join(" · ")} (from block ${settings.since}).`
          : "No threshold set."}
      </p>
    </form>
  );
}
