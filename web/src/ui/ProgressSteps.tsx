/**
 * Ordered progress: each step is done, current, to do, or failed. Used for a bill (building → uploading →
 * signing → mining → confirmed) and for a purchase's life (purchased → … → settled).
 */
export interface Step {
  key: string;
  label: string;
}

export type StepState = "done" | "current" | "todo" | "failed";

/** The state of each step when `current` is reached; `complete` marks the current step done too. */
export function stepStates(
  steps: readonly Step[],
  current: string | undefined,
  options: { failed?: boolean; complete?: boolean } = {},
): StepState[] {
  const at = current === undefined ? -1 : steps.findIndex((s) => s.key === current);
  return steps.map((_, i) => {
    if (i < at) return "done";
    if (i === at) return options.failed ? "failed" : options.complete ? "done" : "current";
    return "todo";
  });
}

const MARK: Record<StepState, string> = { done: "✓", current: "●", todo: "○", failed: "✕" };
const SPOKEN: Record<StepState, string> = { done: "done", current: "in progress", todo: "to do", failed: "failed" };

export function ProgressSteps(props: {
  /** Accessible name of the list, e.g. "Bill progress for purchase 3". */
  label: string;
  steps: readonly Step[];
  current: string | undefined;
  failed?: boolean;
  /** The current step is finished (the last step reached). */
  complete?: boolean;
}) {
  const states = stepStates(props.steps, props.current, { failed: props.failed, complete: props.complete });
  return (
    <ol className="steps" aria-label={props.label}>
      {props.steps.map((step, i) => (
        <li
          key={step.key}
          className={`step step-${states[i]}`}
          data-step={step.key}
          data-state={states[i]}
          aria-current={props.current === step.key ? "step" : undefined}
        >
          <span className="step-mark" aria-hidden="true">
            {MARK[states[i]]}
          </span>
          <span className="step-label">{step.label}</span>
          <span className="visually-hidden"> ({SPOKEN[states[i]]})</span>
        </li>
      ))}
    </ol>
  );
}
