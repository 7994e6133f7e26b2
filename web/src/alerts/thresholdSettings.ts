/**
 * An account's threshold settings (src/thresholds.ts): a storage level its offers' readings are watched against
 * ("20%" of capacity, or an energy), and a delivery deadline after purchase ("2h"). Kept in localStorage per
 * chain, contract and account, as typed, with the block they were saved at: what happened before that block is
 * listed in the feed but not pushed as a notification.
 */
import { z } from "zod";
import { parseDuration, parseStorageLevel, ThresholdInputError, type ThresholdRules } from "../../../src/thresholds.js";

/** A text setting parsed by the core; empty means "off". Issues carry the core's rule. */
function setting<T>(parse: (text: string) => T) {
  return z
    .string({ error: "must be text" })
    .optional()
    .transform((text, ctx): T | undefined => {
      if (text === undefined || text.trim() === "") return undefined;
      try {
        return parse(text);
      } catch (error) {
        if (!(error instanceof ThresholdInputError)) throw error;
        ctx.addIssue({ code: "custom", message: error.detail, params: { rule: error.rule, value: text } });
        return z.NEVER;
      }
    });
}

/** The settings form's input: both fields optional text. */
export const thresholdSettingsInput = z.strictObject({
  storageBelow: setting(parseStorageLevel),
  deliveryWithin: setting(parseDuration),
});

export type ThresholdSettingsInput = z.output<typeof thresholdSettingsInput>;

/** What is stored: the settings as typed, and the block they were saved at. */
export interface ThresholdSettings {
  storageBelow?: string;
  deliveryWithin?: string;
  since: number;
}

const stored = z.strictObject({
  storageBelow: z.string().optional(),
  deliveryWithin: z.string().optional(),
  since: z.number().int().nonnegative(),
});

export function thresholdsKey(chainId: number, contract: string, account: string): string {
  return `gridledger:thresholds:v1:${chainId}:${contract.toLowerCase()}:${account.toLowerCase()}`;
}

/** The stored settings, or undefined when none (or none that still parse) are stored. */
export function loadThresholds(storage: Storage, key: string): ThresholdSettings | undefined {
  try {
    const raw = storage.getItem(key);
    if (!raw) return undefined;
    const settings = stored.parse(JSON.parse(raw));
    thresholdSettingsInput.parse({ storageBelow: settings.storageBelow, deliveryWithin: settings.deliveryWithin });
    return settings;
  } catch {
    return undefined; // written by another version, or edited by hand: start without settings
  }
}

export function saveThresholds(storage: Storage, key: string, settings: ThresholdSettings | undefined): void {
  try {
    if (settings && (settings.storageBelow || settings.deliveryWithin)) storage.setItem(key, JSON.stringify(settings));
    else storage.removeItem(key);
  } catch {
    // storage full or disabled: the settings last for this page
  }
}

/** The core's rules for stored settings (checked when they were saved and when they were loaded). */
export function thresholdRules(settings: ThresholdSettings | undefined): ThresholdRules {
  if (!settings) return {};
  const parsed = thresholdSettingsInput.parse({ storageBelow: settings.storageBelow, deliveryWithin: settings.deliveryWithin });
  return { storageBelow: parsed.storageBelow, deliveryWithin: parsed.deliveryWithin };
}
