/** The alerts view's settings: desktop notifications and the connected account's threshold alerts. */
import { DesktopNotificationsToggle } from "./DesktopNotificationsToggle.js";
import type { DesktopNotifications } from "./desktopNotifications.js";
import { ThresholdSettingsForm } from "./ThresholdSettingsForm.js";
import type { ThresholdSettings } from "./thresholdSettings.js";

export function AlertSettings(props: {
  notifications: DesktopNotifications;
  account: string | undefined;
  settings: ThresholdSettings | undefined;
  onSave: (settings: ThresholdSettings | undefined) => void;
  block: number;
  /** Why threshold alerts stopped, while they are retrying. */
  error: string | undefined;
}) {
  return (
    <section className="card" aria-labelledby="alert-settings-heading">
      <h2 id="alert-settings-heading">Alert settings</h2>
      <DesktopNotificationsToggle notifications={props.notifications} />
      <h3>Threshold alerts</h3>
      {props.account ? (
        <ThresholdSettingsForm key={props.account} settings={props.settings} block={props.block} onSave={props.onSave} />
      ) : (
        <p className="muted">Connect an account to set its thresholds.</p>
      )}
      {props.error && (
        <p role="alert" className="tx-status failed">
          Threshold alerts paused: {props.error}. Retrying…
        </p>
      )}
    </section>
  );
}
