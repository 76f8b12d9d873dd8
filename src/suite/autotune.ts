/**
 * A small per-device autotune: times each candidate configuration briefly on the GPU and returns
 * the fastest. Callers verify the winner like any case (the runner does), so a fast but wrong
 * configuration never reports a speed.
 */
import type { GpuContext } from '../gpu/device';
import { busyFor, createTimer, type Encode, type SpanTimer } from '../gpu/timer';

/**
 * GPU time spent running the first candidate before anything is timed, ms (hardware adapters without
 * the runner's probe, which warms until its readings are healthy instead: ctx.warmUp). GPU
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

/** Median ms of one execution over `spans` spans of `batch` executions (Infinity when nothing timed). */
async function timeOne<C>(timer: SpanTimer, c: Candidate<C>, batch: number, spans: number): Promise<number> {
  const ms = (await timer.measure(c.encode, batch, spans)).map((m) => m / batch).sort((a, b) => a - b);
  return ms.length > 0 ? (ms[Math.floor(ms.length / 2)] ?? Infinity) : Infinity;
}

/**
 * Times every candidate with `spans` spans of `batch` executions (timestamp queries when the device
 * has them, else the wall clock) and picks the lowest median. On hardware adapters the GPU is warmed
 * first and the candidates are timed twice, forward then in reverse order, each keeping its faster
 * median: a clock step during one pass (they last 1–3 s on the H100) then cannot rank candidates by when
 * they ran rather than by how fast they are.
 */
export async function autotune<C>(ctx: GpuContext, candidates: readonly Candidate<C>[], batch = 4, spans = 5): Promise<TuneResult<C>> {
  const first = candidates[0];
  if (!first) throw new Error('autotune needs at least one candidate');
  if (candidates.length === 1) return { best: first, timings: [NaN] };
  const hardware = !ctx.info.software;
  // The runner's probe brings the clocks up until its readings are healthy; without one, a fixed warm-up.
  const warmMs = hardware && ctx.warmUp === undefined ? TUNE_WARM_MS : 0;
  if (hardware) await ctx.warmUp?.();
  const timer = createTimer(ctx.device);
  try {
    return await rankCandidates(timer, candidates, batch, spans, hardware, warmMs);
  } finally {
    timer.destroy();
  }
}

/**
 * The body of autotune() on a given timer (exported for tests with a fake clock): `warmMs` of GPU time
 * running the first candidate, then one pass over the candidates, and on hardware a second in reverse.
 */
export async function rankCandidates<C>(timer: SpanTimer, candidates: readonly Candidate<C>[], batch: number, spans: number, hardware: boolean, warmMs: number): Promise<TuneResult<C>> {
  const first = candidates[0];
  if (!first) throw new Error('autotune needs at least one candidate');
  await busyFor(timer, first.encode, batch, warmMs, 4, 32);
  const timings: number[] = [];
  for (const c of candidates) {
    await timer.measure(c.encode, 1, 1); // warm-up: first use compiles and pages in
    timings.push(await timeOne(timer, c, batch, spans));
  }
  if (hardware) {
    for (let i = candidates.length - 1; i >= 0; i--) {
      const c = candidates[i];
      if (c) timings[i] = Math.min(timings[i] ?? Infinity, await timeOne(timer, c, batch, spans));
    }
  }
  let bestIndex = 0;
  timings.forEach((t, i) => {
    if (t < (timings[bestIndex] ?? Infinity)) bestIndex = i;
  });
  return { best: candidates[bestIndex] ?? first, timings };
}
