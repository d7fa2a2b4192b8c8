// A seeded pseudo-random source, so a random timeline (a benchmark's, the crash suite's) is the same in every run of a seed.

/** Uniform numbers in [0, 1) from a 32-bit seed (mulberry32: small, fast, good enough for timelines). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Exponential with this mean: the gaps between events of a Poisson process. */
export function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

/** Log-uniform in [min, max]: as many draws between 2 and 4 as between 60 and 120. */
export function logUniform(random: () => number, min: number, max: number): number {
  return min * (max / min) ** random();
}
