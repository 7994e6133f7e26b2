/** The producer's charts: available storage per offer over time, energy sold and revenue per day. */
import type { GridLedgerClient } from "../../../src/ledgerClient.js";
import { useSession } from "../chain/session.js";
import { useChainData } from "../chain/useChainData.js";
import { formatEnergy, formatEth } from "../format.js";
import { BarChart, StepChart } from "../ui/Charts.js";
import { availabilitySeries, dailySales } from "./chartData.js";

const blockTimes = new Map<string, number>();

/** Timestamps of blocks, read once each. */
async function timesOf(reader: GridLedgerClient, blocks: readonly number[]): Promise<(block: number) => number> {
  const key = (b: number) => `${reader.chainId}:${b}`;
  const missing = [...new Set(blocks)].filter((b) => !blockTimes.has(key(b)));
  for (let i = 0; i < missing.length; i += 20) {
    const chunk = missing.slice(i, i + 20);
    const got = await Promise.all(chunk.map((b) => reader.provider.getBlock(b)));
    got.forEach((block, j) => blockTimes.set(key(chunk[j]), block?.timestamp ?? 0));
  }
  return (b) => blockTimes.get(key(b)) ?? 0;
}

export function ProducerCharts({ producer }: { producer: string }) {
  const { reader } = useSession();
  const data = useChainData(async () => {
    const { events } = await reader.history(
      { kinds: ["OfferOpened", "StorageRecorded", "OfferClosed", "EnergyPurchased", "BillRecorded", "PurchaseClosed"], producer },
      { size: 500 },
    );
    const time = await timesOf(
      reader,
      events.map((e) => e.blockNumber),
    );
    return { availability: availabilitySeries(events, time), sales: dailySales(events, time) };
  }, [producer, reader]);
  return (
    <section className="card" aria-labelledby="charts-heading">
      <h2 id="charts-heading">Charts</h2>
      {data.error && <p role="alert">Could not read the history: {data.error}</p>}
      {data.data && (
        <div className="charts">
          <StepChart
            title="Available storage per offer"
            series={data.data.availability}
            seriesLabel={(id) => `Offer ${id}`}
            format={formatEnergy}
          />
          <BarChart
            title="Energy sold per day"
            bars={data.data.sales.map((d) => ({ label: d.day, value: d.energy }))}
            format={formatEnergy}
          />
          <BarChart
            title="Revenue per day"
            color="#15803d"
            bars={data.data.sales.map((d) => ({ label: d.day, value: d.revenue }))}
            format={formatEth}
          />
        </div>
      )}
    </section>
  );
}
