/**
 * Records energy delivered for a purchase: by the producer (choosing one of its meters) or by a meter itself.
 * The window starts by default where it may (after the purchase and the meter's last window) and ends now.
 */
import { useEffect, useId, useState } from "react";
import { transferInput, type TransferInput } from "../../../src/schemas.js";
import { useSession } from "../chain/session.js";
import { Field } from "../forms/Field.js";
import { bind, fieldIssue, optionalText, useForm, type FieldIssue } from "../forms/useForm.js";
import { formatEnergy, formatTime, isoSeconds, nowSeconds, shortHex } from "../format.js";
import { TxAction } from "../tx/TxAction.js";
import { fields } from "../../../src/schemas.js";

type Name = "meter" | "amount" | "start" | "end" | "device";

/** The later of the clock and the chain's latest block time: what "now" means for a window end. */
export async function chainNow(reader: { provider: { getBlock(tag: "latest"): Promise<{ timestamp: number } | null> } }): Promise<bigint> {
  const latest = await reader.provider.getBlock("latest");
  const clock = nowSeconds();
  return latest && BigInt(latest.timestamp) > clock ? BigInt(latest.timestamp) : clock;
}

export function TransferForm(props: {
  purchaseId: bigint;
  /** Meters to choose from (a producer's active meters); a meter account passes only itself. */
  meters: readonly string[];
  /** When the purchase was made: no window starts before it. */
  purchasedAt: bigint;
  /** What is left to deliver, Wh: shown as a hint. */
  remaining?: bigint;
}) {
  const { client, reader } = useSession();
  const selectId = useId();
  const [recorded, setRecorded] = useState<string>();
  const [now, setNow] = useState(nowSeconds);
  const form = useForm<Name, TransferInput>({
    initial: {
      meter: props.meters[0] ?? "",
      amount: "",
      start: isoSeconds(props.purchasedAt),
      end: isoSeconds(nowSeconds()),
      device: "inverter-1",
    },
    checks: { meter: "address", amount: "amount", start: "time", end: "time", device: "device" },
    schema: () => transferInput(now > nowSeconds() ? now : nowSeconds()),
    toInput: (v) => ({
      purchaseId: props.purchaseId,
      meter: optionalText(v.meter),
      amount: optionalText(v.amount),
      start: optionalText(v.start),
      end: optionalText(v.end),
      device: v.device === "" ? undefined : v.device,
    }),
    extra: (v): Partial<Record<Name, FieldIssue>> => {
      if (fieldIssue("time", v.start)) return {};
      const start = fields.time.parse(v.start.trim()) as bigint;
      return start < props.purchasedAt
        ? { start: { rule: "after_purchase", message: `must not be before the purchase (${formatTime(props.purchasedAt)})` } }
        : {};
    },
  });
  const fixedMeter = props.meters.length === 1;
  const meter = form.values.meter || props.meters[0];
  const { setDefault } = form;

  // Defaults that need the chain: the meter, the window start after the meter's last window, the end at chain time.
  useEffect(() => {
    if (!meter) return;
    let live = true;
    setDefault("meter", meter);
    Promise.all([reader.meterOf(meter), chainNow(reader)]).then(
      ([m, t]) => {
        if (!live) return;
        setNow(t);
        setDefault("start", isoSeconds(m.lastEnd > props.purchasedAt ? m.lastEnd : props.purchasedAt));
        setDefault("end", isoSeconds(t));
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [meter, reader, props.purchasedAt, setDefault]);

  return (
    <form
      className="form transfer-form"
      onSubmit={(e) => e.preventDefault()}
      noValidate
      aria-label={`Record a transfer for purchase ${props.purchaseId}`}
    >
      <div className="grid-2">
        {fixedMeter ? (
          <p className="field">
            <span className="label">Meter</span> <code title={props.meters[0]}>{shortHex(props.meters[0])}</code>
          </p>
        ) : (
          <div className={`field${form.issues.meter ? " field-invalid" : ""}`}>
            <label htmlFor={selectId}>Meter</label>
            <select id={selectId} value={form.values.meter} onChange={(e) => form.set("meter", e.target.value)}>
              {props.meters.length === 0 && <option value="">No active meter: authorise one first</option>}
              {props.meters.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
            {form.issues.meter && (
              <p className="field-error" data-field="meter" data-rule={form.issues.meter.rule}>
                Meter {form.issues.meter.message}
              </p>
            )}
          </div>
        )}
        <Field
          {...bind(form, "amount", `Amount delivered for purchase ${props.purchaseId}`)}
          placeholder="4 kWh"
          hint={props.remaining !== undefined ? `${formatEnergy(props.remaining)} left to deliver` : undefined}
        />
        <Field {...bind(form, "start", "Window start")} hint="ISO 8601 with a timezone, or unix seconds; not before the purchase" />
        <Field {...bind(form, "end", "Window end")} hint="Not in the future" />
        <Field {...bind(form, "device", "Device")} placeholder="inverter-1" />
      </div>
      <TxAction
        label="Record transfer"
        ariaLabel={`Record transfer for purchase ${props.purchaseId}`}
        validate={form.check}
        disabled={!client}
        estimate={() => {
          const i = form.parsed();
          return client!.estimate("recordTransfer", [i.purchaseId, i.meter, i.amount, i.start, i.end, i.device]);
        }}
        send={async (onStatus) => {
          const result = await client!.recordTransfer(form.parsed(), onStatus);
          setRecorded(`Transfer ${result.id} recorded.`);
          return result;
        }}
      />
      {recorded && <p className="ok-text">{recorded}</p>}
    </form>
  );
}
