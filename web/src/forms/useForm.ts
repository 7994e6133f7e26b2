/**
 * Form state with live validation by the core's shared schemas: each field is checked on its own as it is
 * typed (src/schemas.ts `fields`), and the whole input by the action's object schema for the rules that span
 * fields (available ≤ capacity, start before end …). Messages appear once a field was touched, or all of them
 * when the user tries to send.
 */
import { useCallback, useMemo, useState } from "react";
import type { z } from "zod";
import { fields, validate, ValidationError, type ValidationIssue } from "../../../src/schemas.js";

export type FieldKey = keyof typeof fields;

export interface FieldIssue {
  rule: string;
  message: string;
}

/** A form field's value as typed; "" counts as missing. */
const given = (value: string): string | undefined => (value.trim() === "" ? undefined : value);

/** The first issue of one field checked alone, or undefined. */
export function fieldIssue(key: FieldKey, value: string): FieldIssue | undefined {
  const result = fields[key].safeParse(given(value));
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  const params = (issue as { params?: { rule?: unknown } }).params;
  return { rule: typeof params?.rule === "string" ? params.rule : issue.code, message: issue.message };
}

/** Every issue of the whole input, by field name (first issue per field). */
export function formIssues(schema: z.ZodType, input: unknown): Record<string, FieldIssue> {
  try {
    validate(schema, input);
    return {};
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const out: Record<string, FieldIssue> = {};
    for (const issue of error.issues as ValidationIssue[]) out[issue.field] ??= { rule: issue.rule, message: issue.message };
    return out;
  }
}

export interface FormSpec<K extends string> {
  /** The initial text of each field. */
  initial: Record<K, string>;
  /** Which shared field schema checks each field as it is typed; null for none (e.g. a select). */
  checks: Record<K, FieldKey | null>;
  /** Optional fields: empty is fine. */
  optional?: readonly K[];
  /** The object schema of the action and the input it is given (values → input), for cross-field rules. */
  schema: () => z.ZodType;
  toInput: (values: Record<K, string>) => Record<string, unknown>;
  /** Rules the shared schemas cannot know (they need chain data), checked once a field passes its own rules. */
  extra?: (values: Record<K, string>) => Partial<Record<K, FieldIssue>>;
}

export interface Form<K extends string, Out> {
  values: Record<K, string>;
  set(name: K, value: string): void;
  /** Sets a value the user has not typed (a default that arrived later) unless the field was touched. */
  setDefault(name: K, value: string): void;
  touch(name: K): void;
  /** The message shown next to each field (only once touched). */
  issues: Partial<Record<K, FieldIssue>>;
  /** Touches every field; true when the whole input is valid. */
  check(): boolean;
  /** The validated on-chain input; throws ValidationError when invalid. */
  parsed(): Out;
  /** Whether every field is valid now (touched or not). */
  valid: boolean;
  reset(values?: Partial<Record<K, string>>): void;
}

export function useForm<K extends string, Out = Record<string, unknown>>(spec: FormSpec<K>): Form<K, Out> {
  const [values, setValues] = useState(spec.initial);
  const [touched, setTouched] = useState<Partial<Record<K, boolean>>>({});

  const all = useMemo(() => {
    const names = Object.keys(spec.checks) as K[];
    const result: Partial<Record<K, FieldIssue>> = {};
    const whole = formIssues(spec.schema(), spec.toInput(values));
    const extra: Partial<Record<K, FieldIssue>> = spec.extra?.(values) ?? {};
    for (const name of names) {
      const key = spec.checks[name];
      const optional = spec.optional?.includes(name) && given(values[name]) === undefined;
      const own = key && !optional ? fieldIssue(key, values[name]) : undefined;
      const issue = own ?? whole[name] ?? extra[name];
      if (issue) result[name] = issue;
    }
    // Issues of the input as a whole (not one field) are shown on the first field.
    const first = names[0];
    if (!result[first] && whole.input) result[first] = whole.input;
    return result;
  }, [values, spec.extra]);

  const issues = useMemo(() => {
    const shown: Partial<Record<K, FieldIssue>> = {};
    for (const name of Object.keys(all) as K[]) if (touched[name]) shown[name] = all[name];
    return shown;
  }, [all, touched]);

  const set = useCallback((name: K, value: string) => {
    setValues((v) => ({ ...v, [name]: value }));
    setTouched((t) => (t[name] ? t : { ...t, [name]: true }));
  }, []);
  const setDefault = useCallback(
    (name: K, value: string) => {
      if (!touched[name]) setValues((v) => (v[name] === value ? v : { ...v, [name]: value }));
    },
    [touched],
  );
  const touch = useCallback((name: K) => setTouched((t) => (t[name] ? t : { ...t, [name]: true })), []);

  return {
    values,
    set,
    setDefault,
    touch,
    issues,
    valid: Object.keys(all).length === 0,
    check() {
      const every: Partial<Record<K, boolean>> = {};
      for (const name of Object.keys(spec.checks) as K[]) every[name] = true;
      setTouched(every);
      return Object.keys(all).length === 0;
    },
    parsed: () => validate(spec.schema(), spec.toInput(values)) as Out,
    reset(next) {
      setValues({ ...spec.initial, ...next });
      setTouched({});
    },
  };
}

/** The text of an optional field for a schema: undefined when empty. */
export const optionalText = given;

/** The props of a Field bound to one form field. */
export function bind<K extends string>(form: Form<K, unknown>, name: K, label: string) {
  return {
    label,
    name,
    value: form.values[name],
    onChange: (value: string) => form.set(name, value),
    onBlur: () => form.touch(name),
    issue: form.issues[name],
  };
}
