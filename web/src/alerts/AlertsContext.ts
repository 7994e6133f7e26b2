/** The connected account's alerts, for views that show some of them (a producer's incoming purchases). */
import { createContext, useContext } from "react";
import type { StoredAlert } from "./alertFeed.js";

export const AlertsContext = createContext<readonly StoredAlert[]>([]);

export const useAlertItems = () => useContext(AlertsContext);
