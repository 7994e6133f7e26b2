/**
 * A producer's latest meter readings (storage readings and transfers) with the core's anomaly flags
 * (src/anomaly.ts: μ ± kσ of each meter's own history), and the check of the k the producer types.
 */
import { createContext, useContext } from "react";
import { z } from "zod";
import { anomaliesOf, anomalyOptions, type AnomalyFlag } from "../../../src/anomaly.js";
import type { EventOf } from "../../../src/events.js";
import type { GridLedgerClient } from "../../../src/ledgerClient.js";

export type ReadingEvent = EventOf<"StorageRecorded"> | EventOf<"EnergyTransferred">;

export interface ProducerReadings {
  /** Newest first. */
  events: ReadingEvent[];
  /** By eventKey: the unusual ones. */
  flags: Map<string, AnomalyFlag>;
}

export async function producerReadings(reader: GridLedgerClient, producer: string, k: number, size = 100): Promise<ProducerReadings> {
  const { events } = await reader.history({ kinds: ["StorageRecorded", "EnergyTransferred"], producer }, { size });
  const readings = events.filter((e): e is ReadingEvent => e.kind === "StorageRecorded" || e.kind === "EnergyTransferred");
  return { events: readings, flags: await anomaliesOf(reader, readings, { k }) };
}

/** k as typed: a number above 0, by the core's rule (anomalyOptions). */
export const anomalyKInput = z.strictObject({
  k: z.string({ error: "is required" }).transform((text, ctx): number => {
    const trimmed = text.trim();
    if (!/^\d+(\.\d+)?$/.test(trimmed)) {
      ctx.addIssue({
        code: "custom",
        message: `must be a decimal number such as 1.5 (got "${text}")`,
        params: { rule: "number", value: text },
      });
      return z.NEVER;
    }
    const k = Number(trimmed);
    try {
      return anomalyOptions({ k }).k;
    } catch {
      ctx.addIssue({ code: "custom", message: `must be above 0 (got "${text}")`, params: { rule: "positive", value: text } });
      return z.NEVER;
    }
  }),
});

/** The flags of the readings the producer dashboard shows, for the transfer rows of its purchases. */
export const AnomalyFlagsContext = createContext<ReadonlyMap<string, AnomalyFlag>>(new Map());

export const useAnomalyFlags = () => useContext(AnomalyFlagsContext);
