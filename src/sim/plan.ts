/**
 * The simulation's plan: every action the grid intends, drawn from the seed before anything is sent. The plan
 * names actors and records by their place in the plan (producer 2, the purchase of action 17), never by chain
 * ids, so the same seed and sizes always give the same plan, whatever the chain then does with it.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../bill.js";
import { stream, type Prng } from "./prng.js";

export type ActionKind =
  | "openOffer"
  | "authorizeMeter"
  | "recordStorage"
  | "purchase"
  | "recordTransfer"
  | "acknowledgeTransfer"
  | "recordBill"
  | "withdraw";

export const ACTION_KINDS: readonly ActionKind[] = [
  "openOffer",
  "authorizeMeter",
  "recordStorage",
  "purchase",
  "recordTransfer",
  "acknowledgeTransfer",
  "recordBill",
  "withdraw",
];

/** The recordCounts() field each kind of action adds one to (authorisations and withdrawals are not counted). */
export const COUNTED_KINDS = {
  openOffer: "offers",
  recordStorage: "storageReadings",
  purchase: "purchases",
  recordTransfer: "transfers",
  acknowledgeTransfer: "acknowledgements",
  recordBill: "bills",
} as const satisfies Partial<Record<ActionKind, string>>;

export type Role = "producer" | "meter" | "purchaser";
export interface ActorRef {
  role: Role;
  index: number;
}

/** When an action runs: in setup, at a time after the start, after other actions are mined, or at the end. */
export type Timing =
  | { phase: "setup" }
  | { phase: "run"; atMs: number }
  | { phase: "run"; after: number[]; delayMs: number }
  | { phase: "final" };

interface Base {
  id: number;
  actor: ActorRef;
  timing: Timing;
}

export type Action = Base &
  (
    | { kind: "openOffer"; capacity: bigint; available: bigint; rate: bigint; location: string }
    | { kind: "authorizeMeter"; meter: number; ratedPower: bigint }
    | { kind: "recordStorage"; producer: number; available: bigint }
    | { kind: "purchase"; producer: number; quantity: bigint; cost: bigint }
    /**
     * The meter's window starts `gapS` after its previous one (or after the purchase, if later) and lasts
     * `durationS`: long enough for `amount` at the meter's rated power.
     */
    | { kind: "recordTransfer"; purchase: number; amount: bigint; gapS: number; durationS: number; device: string }
    | { kind: "acknowledgeTransfer"; purchase: number; transfer: number }
    | { kind: "recordBill"; purchase: number }
    | { kind: "withdraw" }
  );

export type ActionOf<K extends ActionKind> = Extract<Action, { kind: K }>;

export interface PlanConfig {
  producers: number;
  meters: number;
  purchasers: number;
  /** Seconds of activity: timed actions fall in [0, durationS). */
  durationS: number;
  seed: string;
  readingEveryS: number;
  purchaseEveryS: number;
  /** Wei each purchaser may spend on energy. */
  budgetWei: bigint;
}

export interface Plan {
  config: PlanConfig;
  producers: { index: number; meters: number[] }[];
  meters: { index: number; producer: number; ratedPower: bigint; device: string }[];
  purchasers: { index: number; budget: bigint; planned: bigint }[];
  actions: Action[];
  /** sha256 of the canonical plan: equal plans, equal fingerprints. */
  fingerprint: string;
}

const LOCATIONS = [
  "North substation",
  "Solar farm east",
  "Wind park west",
  "Harbour battery",
  "Hillside microgrid",
  "Riverside feeder",
  "Campus storage",
  "Depot charging hub",
];

/** Offers stay above this share of their capacity in the plan: purchases never meet an empty offer. */
const RESERVE = 0.3;
const MIN_PURCHASE_WH = 500n;

export function generatePlan(config: PlanConfig): Plan {
  if (config.meters < config.producers) throw new Error("every producer needs a meter: meters must be >= producers");
  const setupRng = stream(config.seed, "setup");
  const actions: Action[] = [];
  const add = <A extends Omit<Action, "id">>(action: A): number => {
    const id = actions.length;
    actions.push({ ...action, id } as unknown as Action);
    return id;
  };

  // Producers, their offers, and their meters (meter i belongs to producer i mod P).
  const producers = Array.from({ length: config.producers }, (_, index) => ({ index, meters: [] as number[] }));
  const meters = Array.from({ length: config.meters }, (_, index) => {
    const producer = index % config.producers;
    producers[producer].meters.push(index);
    // 5 to 50 kW, in steps of 500 W.
    const ratedPower = BigInt(setupRng.int(10, 100) * 500);
    return { index, producer, ratedPower, device: `meter-${producer + 1}-${producers[producer].meters.length}` };
  });
  const offers = producers.map((p) => {
    const capacity = BigInt(setupRng.int(200, 2_000)) * 1_000n; // 200 kWh to 2 MWh
    const available = (capacity * 8n) / 10n;
    const rate = BigInt(setupRng.int(100, 300)) * 1_000_000_000n; // 0.0001 to 0.0003 ETH per kWh
    const location = `${LOCATIONS[p.index % LOCATIONS.length]} ${Math.floor(p.index / LOCATIONS.length) + 1}`;
    return { capacity, available, rate, location };
  });
  for (const p of producers) {
    add({ kind: "openOffer", actor: { role: "producer", index: p.index }, timing: { phase: "setup" }, ...offers[p.index] });
  }
  for (const m of meters) {
    add({ kind: "authorizeMeter", actor: { role: "producer", index: m.producer }, timing: { phase: "setup" }, meter: m.index, ratedPower: m.ratedPower });
  }

  // Timed events: each meter's readings on a schedule, each purchaser's purchases as a Poisson process.
  const durationMs = config.durationS * 1000;
  type Timed = { atMs: number; order: number } & ({ type: "reading"; meter: number } | { type: "purchase"; purchaser: number; producer: number; quantity: bigint });
  const timed: Timed[] = [];
  let order = 0;
  for (const m of meters) {
    const rng = stream(config.seed, `meter-${m.index}`);
    const every = config.readingEveryS * 1000;
    for (let at = rng.float(0, every); at < durationMs; at += every * rng.float(0.8, 1.2)) {
      timed.push({ type: "reading", atMs: Math.floor(at), meter: m.index, order: order++ });
    }
  }
  const buyUntil = durationMs * 0.7;
  for (let j = 0; j < config.purchasers; j++) {
    const rng = stream(config.seed, `purchaser-${j}`);
    const mean = config.purchaseEveryS * 1000;
    for (let at = rng.float(0, Math.min(mean, buyUntil)); at < buyUntil; at += rng.exponential(mean)) {
      const producer = rng.int(0, config.producers - 1);
      const quantity = BigInt(rng.int(10, 200)) * 100n; // 1 to 20 kWh
      timed.push({ type: "purchase", atMs: Math.floor(at), purchaser: j, producer, quantity, order: order++ });
    }
  }
  timed.sort((a, b) => a.atMs - b.atMs || a.order - b.order);

  // Walk through time keeping each offer's planned availability and each purchaser's budget.
  const walk = stream(config.seed, "walk");
  const available = offers.map((o) => o.available);
  const spent = Array.from({ length: config.purchasers }, () => 0n);
  const refundDue = Array.from({ length: config.purchasers }, () => false);
  const floorOf = (p: number) => (offers[p].capacity * BigInt(Math.round(RESERVE * 100))) / 100n;
  for (const t of timed) {
    if (t.type === "reading") {
      const p = meters[t.meter].producer;
      // The battery charges or discharges a little between readings; the reading reports where it stands.
      const change = (offers[p].capacity * BigInt(walk.int(-10, 25))) / 1_000n;
      let next = available[p] + change;
      if (next > offers[p].capacity) next = offers[p].capacity;
      if (next < floorOf(p)) next = floorOf(p);
      available[p] = next;
      add({ kind: "recordStorage", actor: { role: "meter", index: t.meter }, timing: { phase: "run", atMs: t.atMs }, producer: p, available: next });
      continue;
    }
    const p = t.producer;
    const rate = offers[p].rate;
    const budgetLeft = config.budgetWei - spent[t.purchaser];
    let quantity = t.quantity;
    if (quantity * rate > budgetLeft) quantity = ((budgetLeft / rate) / 100n) * 100n;
    if (quantity > available[p] - floorOf(p)) quantity = ((available[p] - floorOf(p)) / 100n) * 100n;
    if (quantity < MIN_PURCHASE_WH) continue; // out of budget, or the offer is low: this purchaser buys nothing now
    const cost = quantity * rate;
    spent[t.purchaser] += cost;
    available[p] -= quantity;
    const purchase = add({
      kind: "purchase",
      actor: { role: "purchaser", index: t.purchaser },
      timing: { phase: "run", atMs: t.atMs },
      producer: p,
      quantity,
      cost,
    });

    // Delivery: one to three transfers on the producer's meters; one purchase in ten is delivered short.
    const short = walk.chance(0.1);
    const delivered = short ? (quantity * BigInt(walk.int(80, 95))) / 100n : quantity;
    if (delivered < quantity) refundDue[t.purchaser] = true;
    const parts = split(walk, delivered, walk.pick([1, 1, 1, 1, 1, 1, 2, 2, 2, 3]));
    const acks: number[] = [];
    // A purchase's transfers go one after another: a meter reports once the delivery before it is on chain
    // (two at once would both be estimated as the purchase's first, and the second would run out of gas).
    let previous = purchase;
    for (const amount of parts) {
      const m = walk.pick(producers[p].meters);
      const meter = meters[m];
      // Long enough for the amount at the meter's rated power, plus some slack.
      const durationS = Math.ceil((Number(amount) * 3600) / Number(meter.ratedPower)) + walk.int(0, 600);
      const gapS = walk.int(0, 300);
      const transfer = add({
        kind: "recordTransfer",
        actor: { role: "meter", index: m },
        timing: { phase: "run", after: [previous], delayMs: walk.int(300, 2_500) },
        purchase,
        amount,
        gapS,
        durationS,
        device: meter.device,
      });
      previous = transfer;
      acks.push(
        add({
          kind: "acknowledgeTransfer",
          actor: { role: "purchaser", index: t.purchaser },
          timing: { phase: "run", after: [transfer], delayMs: walk.int(200, 1_500) },
          purchase,
          transfer,
        }),
      );
    }
    add({ kind: "recordBill", actor: { role: "producer", index: p }, timing: { phase: "run", after: acks, delayMs: walk.int(300, 2_000) }, purchase });
  }

  // The end: every producer withdraws its earnings; purchasers delivered short withdraw their refunds.
  for (const p of producers) add({ kind: "withdraw", actor: { role: "producer", index: p.index }, timing: { phase: "final" } });
  for (let j = 0; j < config.purchasers; j++) {
    if (refundDue[j]) add({ kind: "withdraw", actor: { role: "purchaser", index: j }, timing: { phase: "final" } });
  }

  const plan = {
    config,
    producers,
    meters,
    purchasers: spent.map((planned, index) => ({ index, budget: config.budgetWei, planned })),
    actions,
  };
  return { ...plan, fingerprint: createHash("sha256").update(canonicalJson(plan)).digest("hex") };
}

/** Splits `total` into `parts` positive amounts (in whole Wh) that add up to it. */
function split(rng: Prng, total: bigint, parts: number): bigint[] {
  if (parts <= 1 || total < BigInt(parts) * 100n) return [total];
  const weights = Array.from({ length: parts }, () => rng.int(1, 4));
  const sum = weights.reduce((a, b) => a + b, 0);
  const amounts = weights.map((w) => (total * BigInt(w)) / BigInt(sum));
  amounts[amounts.length - 1] += total - amounts.reduce((a, b) => a + b, 0n);
  return amounts;
}

/** How many actions of each kind the plan holds. */
export function countByKind(actions: readonly Action[]): Record<ActionKind, number> {
  const counts = Object.fromEntries(ACTION_KINDS.map((k) => [k, 0])) as Record<ActionKind, number>;
  for (const a of actions) counts[a.kind]++;
  return counts;
}

/** A one-line description of an action, for logs and the report. */
export function describeAction(a: Action): string {
  const who = `${a.actor.role} ${a.actor.index}`;
  switch (a.kind) {
    case "openOffer":
      return `#${a.id} ${who} opens an offer of ${a.available}/${a.capacity} Wh at ${a.rate} wei/Wh`;
    case "authorizeMeter":
      return `#${a.id} ${who} authorises meter ${a.meter} (${a.ratedPower} W)`;
    case "recordStorage":
      return `#${a.id} ${who} reads ${a.available} Wh available in producer ${a.producer}'s offer`;
    case "purchase":
      return `#${a.id} ${who} buys ${a.quantity} Wh from producer ${a.producer}`;
    case "recordTransfer":
      return `#${a.id} ${who} records ${a.amount} Wh for purchase #${a.purchase}`;
    case "acknowledgeTransfer":
      return `#${a.id} ${who} acknowledges transfer #${a.transfer}`;
    case "recordBill":
      return `#${a.id} ${who} bills purchase #${a.purchase}`;
    case "withdraw":
      return `#${a.id} ${who} withdraws`;
  }
}
