// @vitest-environment jsdom
/**
 * Desktop notifications: the browser's permission is asked only when the user turns them on (never on load) and
 * not again once answered; they show only while the tab is hidden; the off switch holds across reloads; a
 * denied permission is said, with how to re-enable it.
 */
import { screen, waitFor } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { DESKTOP_KEY, DesktopNotifications } from "@web/alerts/desktopNotifications";
import { DesktopNotificationsToggle } from "@web/alerts/DesktopNotificationsToggle";
import { h, renderInSession } from "./harness.js";

/** A stand-in for the browser's Notification API: the permission it holds, the user's answer, what it showed. */
function fakeBrowser(permission: NotificationPermission, answer: NotificationPermission = "granted") {
  const shown: { title: string; options?: NotificationOptions }[] = [];
  const requestPermission = vi.fn(async () => {
    Fake.permission = answer;
    return answer;
  });
  class Fake {
    static permission: NotificationPermission = permission;
    static requestPermission = requestPermission;
    constructor(title: string, options?: NotificationOptions) {
      shown.push({ title, options });
    }
  }
  const page = { visibilityState: "visible" as DocumentVisibilityState };
  const env = { Notification: Fake, document: page, storage: window.localStorage };
  return { env, shown, requestPermission, page };
}

const ALERT = { key: "0xblock:0xtx:0", title: "Energy purchased", text: "Purchase 1: 5 kWh from offer 1" };
const toggle = () => screen.getByRole("switch", { name: "Desktop notifications" }) as HTMLInputElement;
const stateText = () => document.querySelector('[data-testid="desktop-notifications"] p')?.textContent;

describe("desktop notifications", () => {
  beforeEach(() => window.localStorage.clear());

  it("asks the permission once, from the switch only; shows an alert only while the tab is hidden", async () => {
    const user = userEvent.setup();
    const browser = fakeBrowser("default");
    const notifications = new DesktopNotifications(browser.env);
    renderInSession(h(DesktopNotificationsToggle, { notifications }));
    expect(browser.requestPermission).not.toHaveBeenCalled(); // not on load
    expect(toggle().checked).toBe(false);
    expect(notifications.notify(ALERT)).toBe(false);

    await user.click(toggle());
    await waitFor(() => expect(toggle().checked).toBe(true));
    expect(browser.requestPermission).toHaveBeenCalledTimes(1);
    expect(stateText()).toMatch(/^On: /);

    expect(notifications.notify(ALERT)).toBe(false); // the tab is visible: its toasts suffice
    expect(browser.shown).toEqual([]);
    browser.page.visibilityState = "hidden";
    expect(notifications.notify(ALERT)).toBe(true);
    expect(browser.shown).toEqual([{ title: "Energy purchased", options: { body: "Purchase 1: 5 kWh from offer 1", tag: ALERT.key } }]);

    await user.click(toggle()); // off
    expect(toggle().checked).toBe(false);
    expect(stateText()).toMatch(/^Off: /);
    expect(notifications.notify(ALERT)).toBe(false);
    await user.click(toggle()); // on again: the browser has already answered
    await waitFor(() => expect(toggle().checked).toBe(true));
    expect(browser.requestPermission).toHaveBeenCalledTimes(1);
    expect(browser.shown).toHaveLength(1);
  });

  it("keeps the off switch across reloads", async () => {
    const user = userEvent.setup();
    const browser = fakeBrowser("granted");
    browser.page.visibilityState = "hidden";
    const first = renderInSession(h(DesktopNotificationsToggle, { notifications: new DesktopNotifications(browser.env) }));
    expect(toggle().checked).toBe(false); // allowed by the browser, but not turned on here
    await user.click(toggle());
    await waitFor(() => expect(toggle().checked).toBe(true));
    expect(window.localStorage.getItem(DESKTOP_KEY)).toBe("on");
    first.unmount();

    const reloaded = new DesktopNotifications(browser.env);
    const second = renderInSession(h(DesktopNotificationsToggle, { notifications: reloaded }));
    expect(toggle().checked).toBe(true);
    expect(reloaded.notify(ALERT)).toBe(true);
    await user.click(toggle());
    expect(window.localStorage.getItem(DESKTOP_KEY)).toBe("off");
    second.unmount();

    const again = new DesktopNotifications(browser.env);
    renderInSession(h(DesktopNotificationsToggle, { notifications: again }));
    expect(toggle().checked).toBe(false);
    expect(again.notify(ALERT)).toBe(false);
    expect(browser.shown).toHaveLength(1);
    expect(browser.requestPermission).not.toHaveBeenCalled();
  });

  it("says when the browser denies them and how to re-enable them, and does not ask again", async () => {
    const user = userEvent.setup();
    const browser = fakeBrowser("default", "denied");
    browser.page.visibilityState = "hidden";
    const notifications = new DesktopNotifications(browser.env);
    renderInSession(h(DesktopNotificationsToggle, { notifications }));
    await user.click(toggle());
    const blocked = await screen.findByRole("alert");
    expect(blocked.textContent).toMatch(
      /^Blocked: the browser denies notifications to this site\. To re-enable them, allow notifications in the browser's site settings/,
    );
    expect(toggle().checked).toBe(false);
    expect(toggle().disabled).toBe(true);
    expect(notifications.status).toBe("denied");
    expect(notifications.notify(ALERT)).toBe(false);
    expect(await notifications.turnOn()).toBe("denied");
    expect(browser.requestPermission).toHaveBeenCalledTimes(1);
    expect(browser.shown).toEqual([]);
  });

  it("says when the browser has no notifications", () => {
    const notifications = new DesktopNotifications({
      Notification: undefined,
      document: { visibilityState: "hidden" },
      storage: window.localStorage,
    });
    renderInSession(h(DesktopNotificationsToggle, { notifications }));
    expect(toggle().disabled).toBe(true);
    expect(stateText()).toBe("This browser cannot show desktop notifications.");
    expect(notifications.notify(ALERT)).toBe(false);
  });
});
