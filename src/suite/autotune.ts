/**
 * A small per-device autotune: times each candidate configuration briefly on the GPU and returns
 * the fastest. Callers verify the winner like any case (the runner does), so a fast but wrong
 * configuration never reports a speed.
 */
import type { GpuContext } from '../gpu/device';
import { createTimer, type Encode } from '../gpu/timer';

/**
 * GPU time spent running the first candidate before anything is timed, ms (hardware adapters only). GPU
 * clocks follow the load: on the H100 the SM clock sat at 345–1650 MHz after the idle gaps of building a
 * case (fills, compiles), and a candidate timed before the clock rose lost for no fault of its own.
 */
export const TUNE_WARM_MS = 100;

export interface Candidate<C> {
  config: C;
  encode: Encode;
}

export interface TuneResult<C> {
  best: Candidate<C>;
  /** Median ms of one execution per candidate, in candidate order (Infinity when it never timed). */
  timings: number[];
}

/**
 * Times every candidate with `spans` spans of `batch` executions (timestamp queries when the device
 * has them, else the wall clock) and picks the lowest median.
 */
export async function autotune<C>(ctx: GpuContext, candidates: readonly Candidate<C>[], batch = 4, spans = 5): Promise<TuneResult<C>> {
  const first = candidates[0];
  if (!first) throw new Error('autotune needs at least one candidate');
  if (candidates.length === 1) return { best: first, timings: [NaN] };
  const timer = createTimer(ctx.device);
  try {
    if (!ctx.info.software) {
      let warmed = 0;
      for (let i = 0; i < 32 && warmed < TUNE_WARM_MS; i++) warmed += (await timer.measure(first.encode, batch, 4)).reduce((a, b) => a + b, 0);
    }
    const timings: number[] = [];
    for (const c of candidates) {
      await timer.measure(c.encode, 1, 1); // warm-up: first use compiles and pages in
      const ms = (await timer.measure(c.encode, batch, spans)).map((m) => m / batch).sort((a, b) => a - b);
      timings.push(ms.length > 0 ? (ms[Math.floor(ms.length / 2)] ?? Infinity) : Infinity);
    }
    let bestIndex = 0;
    timings.forEach((t, i) => {
      if (t < (timings[bestIndex] ?? Infinity)) bestIndex = i;
    });
    return { best: candidates[bestIndex] ?? first, timings };
  } finally {
    timer.destroy();
  }
}
