/** The "unusual" mark of a reading the core's anomaly check flags; its title gives the value against μ ± kσ. */
import { describeAnomaly, type AnomalyFlag } from "../../../src/anomaly.js";

export function AnomalyBadge({ flag }: { flag: AnomalyFlag | undefined }) {
  if (!flag) return null;
  const text = describeAnomaly(flag);
  return (
    <span className="badge badge-warn" title={text} data-testid="anomaly-badge">
      unusual<span className="visually-hidden">: {text}</span>
    </span>
  );
}
