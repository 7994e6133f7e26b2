/** The "Desktop notifications" switch of the alerts view, with what its state means and, when blocked, how to undo that. */
import { useId, useState } from "react";
import type { DesktopNotifications, DesktopStatus } from "./desktopNotifications.js";

const EXPLAINED: Record<DesktopStatus, string> = {
  on: "On: each new alert also raises a desktop notification while this tab is in the background.",
  off: "Off: alerts show in this page only.",
  denied:
    "Blocked: the browser denies notifications to this site. To re-enable them, allow notifications in the browser's site settings (the icon left of the address), reload, and turn this on.",
  unsupported: "This browser cannot show desktop notifications.",
};

export function DesktopNotificationsToggle({ notifications }: { notifications: DesktopNotifications }) {
  const [status, setStatus] = useState<DesktopStatus>(() => notifications.status);
  const [asking, setAsking] = useState(false);
  const id = useId();

  async function toggle(on: boolean) {
    if (!on) return setStatus(notifications.turnOff());
    setAsking(true);
    try {
      setStatus(await notifications.turnOn());
    } finally {
      setAsking(false);
    }
  }

  return (
    <div className="switch-field" data-testid="desktop-notifications" data-status={status}>
      <label htmlFor={id} className="switch">
        <input
          id={id}
          type="checkbox"
          role="switch"
          checked={status === "on"}
          disabled={asking || status === "unsupported" || status === "denied"}
          aria-describedby={`${id}-state`}
          onChange={(e) => void toggle(e.target.checked)}
        />
        Desktop notifications
      </label>
      <p
        id={`${id}-state`}
        className={`small${status === "denied" ? " field-error" : ""}`}
        role={status === "denied" ? "alert" : undefined}
      >
        {asking ? "Waiting for the browser's permission…" : EXPLAINED[status]}
      </p>
    </div>
  );
}
