/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on every
 * machine, so a simulation's plan can be repeated exactly.
 */

/** A 32-bit seed from a number or any string (FNV-1a for strings that are not whole numbers). */
export function seedOf(seed: string | number): number {
  const text = String(seed).trim();
  if (/^\d+$/.test(text) && Number(text) <= 0xffff_ffff) return Number(text) >>> 0;
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export class Prng {
  #state: number;
  constructor(seed: string | number) {
    this.#state = seedOf(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** A whole number in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A float in [min, max). */
  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  /** A whole bigint in [min, max], both included (spans up to 2^53). */
  big(min: bigint, max: bigint): bigint {
    return min + BigInt(Math.floor(this.next() * Number(max - min + 1n)));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.next() * items.length)];
  }

  /** An exponentially distributed wait with the given mean (a Poisson process's gaps). */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

}

/** A generator with its own stream for one part of a plan, so that draws in one part never shift another. */
export function stream(seed: string | number, label: string): Prng {
  return new Prng(`${seedOf(seed)}:${label}`);
}
