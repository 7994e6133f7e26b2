/**
 * Reads chain data for a view: runs `load` on mount, when `deps` change, and whenever a new block arrives;
 * keeps the last data while re-reading so that views do not flicker; drops answers that arrive out of order.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { describeError } from "../../../src/ledgerErrors.js";
import { useSession } from "./session.js";

export interface ChainData<T> {
  data: T | undefined;
  /** Why the last read failed (a readable reason); undefined when it succeeded. */
  error: string | undefined;
  loading: boolean;
  reload(): void;
}

export function useChainData<T>(load: () => Promise<T>, deps: readonly unknown[], options: { followBlocks?: boolean } = {}): ChainData<T> {
  const { version } = useSession();
  const [state, setState] = useState<{ data: T | undefined; error: string | undefined; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [nonce, setNonce] = useState(0);
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const follow = options.followBlocks ?? true;

  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => {
        if (mine === seq.current) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (mine === seq.current) setState((s) => ({ data: s.data, error: describeError(error), loading: false }));
      },
    );
  }, [...deps, nonce, follow ? version : 0]);

  useEffect(() => () => void ++seq.current, []);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { ...state, reload };
}
