import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** Dispute window: a purchaser may dispute a transfer up to 24 h after its end. */
export const DEFAULT_DISPUTE_WINDOW = 24n * 3600n;
/** Resolution window: the operator has 72 h after the dispute window; then the dispute counts as upheld. */
export const DEFAULT_RESOLUTION_WINDOW = 72n * 3600n;
/** Billing timeout: 7 days after a purchase (or its last transfer) its purchaser may close it unbilled. */
export const DEFAULT_BILLING_TIMEOUT = 7n * 24n * 3600n;

/**
 * Deploys GridLedger. Parameters (all optional): `operator` (default: the deploying account),
 * `disputeWindow`, `resolutionWindow`, `billingTimeout` in seconds.
 */
export default buildModule("GridLedger", (m) => {
  const operator = m.getParameter("operator", m.getAccount(0));
  const disputeWindow = m.getParameter("disputeWindow", DEFAULT_DISPUTE_WINDOW);
  const resolutionWindow = m.getParameter("resolutionWindow", DEFAULT_RESOLUTION_WINDOW);
  const billingTimeout = m.getParameter("billingTimeout", DEFAULT_BILLING_TIMEOUT);
  const ledger = m.contract("GridLedger", [operator, disputeWindow, resolutionWindow, billingTimeout]);
  return { ledger };
});
