/**
 * A labelled text field with its validation message right below it, tied together for assistive technology
 * (aria-invalid, aria-describedby). The message carries the rule it broke in `data-rule`.
 */
import { useId, type ReactNode } from "react";
import type { FieldIssue } from "./useForm.js";

export function Field(props: {
  label: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  onBlur?: () => void;
  issue?: FieldIssue;
  hint?: ReactNode;
  placeholder?: string;
  inputMode?: "text" | "decimal" | "numeric";
  autoComplete?: string;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [props.issue ? errorId : undefined, props.hint ? hintId : undefined].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${props.issue ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type="text"
        value={props.value}
        placeholder={props.placeholder}
        inputMode={props.inputMode}
        autoComplete={props.autoComplete ?? "off"}
        spellCheck={false}
        aria-invalid={props.issue ? true : undefined}
        aria-describedby={describedBy}
        onChange={(e) => props.onChange(e.target.value)}
        onBlur={props.onBlur}
      />
      {props.hint && (
        <p id={hintId} className="hint">
          {props.hint}
        </p>
      )}
      {props.issue && (
        <p id={errorId} className="field-error" data-field={props.name} data-rule={props.issue.rule}>
          {props.label} {props.issue.message}
        </p>
      )}
    </div>
  );
}
