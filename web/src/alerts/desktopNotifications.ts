/**
 * Desktop notifications for alerts: raised only while the tab is hidden (a visible tab shows its toasts). The
 * browser's permission is asked only when the user turns them on (a click), never on page load, and not again
 * once the browser has an answer. The user's on/off choice is kept in localStorage.
 */

/** The parts of the browser's Notification API used here; tests pass a stand-in. */
export interface NotificationApi {
  readonly permission: NotificationPermission;
  requestPermission(): Promise<NotificationPermission>;
  new (title: string, options?: NotificationOptions): unknown;
}

export interface NotificationEnv {
  /** undefined where the browser has no Notification API. */
  Notification: NotificationApi | undefined;
  document: Pick<Document, "visibilityState">;
  storage: Storage;
}

/**
 * - unsupported: the browser cannot show them;
 * - denied: the browser blocks them for this site (only its site settings can change that);
 * - on: turned on and allowed;
 * - off: turned off, or not allowed yet.
 */
export type DesktopStatus = "unsupported" | "denied" | "on" | "off";

export const DESKTOP_KEY = "gridledger:desktop-notifications:v1";

export function browserNotificationEnv(): NotificationEnv {
  return {
    Notification: typeof Notification === "undefined" ? undefined : Notification,
    document,
    storage: window.localStorage,
  };
}

export class DesktopNotifications {
  readonly #env: NotificationEnv;

  constructor(env: NotificationEnv) {
    this.#env = env;
  }

  get status(): DesktopStatus {
    const api = this.#env.Notification;
    if (!api) return "unsupported";
    if (api.permission === "denied") return "denied";
    return api.permission === "granted" && this.#chosen() ? "on" : "off";
  }

  /** Turns them on; asks the browser's permission if it has none yet. Call from a user gesture. */
  async turnOn(): Promise<DesktopStatus> {
    const api = this.#env.Notification;
    if (!api) return "unsupported";
    const permission = api.permission === "default" ? await api.requestPermission() : api.permission;
    if (permission === "granted") this.#choose(true);
    return this.status;
  }

  turnOff(): DesktopStatus {
    this.#choose(false);
    return this.status;
  }

  /** Raises a notification for an alert when they are on and the tab is hidden; says whether it did. */
  notify(alert: { key: string; title: string; text: string }): boolean {
    const api = this.#env.Notification;
    if (this.status !== "on" || !api || this.#env.document.visibilityState !== "hidden") return false;
    // The tag makes the browser replace, not repeat, a notification for the same alert.
    new api(alert.title, { body: alert.text, tag: alert.key });
    return true;
  }

  #chosen(): boolean {
    try {
      return this.#env.storage.getItem(DESKTOP_KEY) === "on";
    } catch {
      return false;
    }
  }

  #choose(on: boolean): void {
    try {
      this.#env.storage.setItem(DESKTOP_KEY, on ? "on" : "off");
    } catch {
      // storage disabled: the choice lasts for this page only
    }
  }
}
