/** The connected account's threshold settings, loaded from and saved to localStorage. */
import { useCallback, useEffect, useState } from "react";
import { loadThresholds, saveThresholds, thresholdsKey, type ThresholdSettings } from "./thresholdSettings.js";

export function useThresholdSettings(
  chainId: number,
  contract: string,
  account: string | undefined,
  storage: Storage = window.localStorage,
): [ThresholdSettings | undefined, (settings: ThresholdSettings | undefined) => void] {
  const key = account ? thresholdsKey(chainId, contract, account) : undefined;
  const [settings, setSettings] = useState<ThresholdSettings | undefined>(() => (key ? loadThresholds(storage, key) : undefined));
  useEffect(() => setSettings(key ? loadThresholds(storage, key) : undefined), [key, storage]);
  const save = useCallback(
    (next: ThresholdSettings | undefined) => {
      if (!key) return;
      saveThresholds(storage, key, next);
      setSettings(next);
    },
    [key, storage],
  );
  return [settings, save];
}
