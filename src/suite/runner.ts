/**
 * Runs cases: check support, build, verify against float64, calibrate the batch, warm up, time many
 * spans, summarize. Runtime-agnostic: it takes a GpuContext and returns plain data.
 */
import type { GpuContext } from '../gpu/device';
import { PdbError, SkipCase, errorMessage } from '../gpu/errors';
import { assertAlive, guarded } from '../gpu/scope';
import { createTimer, type SpanTimer } from '../gpu/timer';
import type { BenchCase, KernelInstance } from '../kernels/spec';
import { lookupPeaks } from '../peaks/database';
import { deriveCeilings } from '../report/roofline';
import { SCHEMA_ID, type CaseResult, type ResultsDoc, type TimerInfo } from '../report/schema';
import { summarize } from '../report/stats';
import { Rng, seedFor } from '../util/rng';
import { createProbe, timeWithProbe, type Probe } from './probe';
import { compare, pickIndices } from './verify';
import { SUITE_VERSION } from './version';

export interface RunOptions {
  /** Suite seed: every input and verification sample derives from it. */
  seed: number;
  /** Timed spans per case after warm-up. */
  trials: number;
  /** Warm-up spans per case (not recorded). */
  warmup: number;
  /** Shortest span worth timing, ms; raised to 100× the timer's step when the clock is coarse. */
  minSpanMs: number;
  /** Most executions in one span. */
  maxBatch: number;
  /** Force wall-clock timing even when timestamp queries exist. */
  wallClock: boolean;
  /**
   * Machine-state probe around each case's timed spans (src/suite/probe.ts): 'auto' on hardware adapters
   * with timestamp queries, 'off' never, 'on' also on software adapters (tests).
   */
  probe: 'auto' | 'on' | 'off';
  preset: string;
  /** Called before each case and after it with the result. */
  onProgress?: (e: { index: number; total: number; id: string; result?: CaseResult }) => void;
}

export const DEFAULT_RUN: Omit<RunOptions, 'preset'> = { seed: 1, trials: 30, warmup: 3, minSpanMs: 2, maxBatch: 4096, wallClock: false, probe: 'auto' };

function baseResult(c: BenchCase): CaseResult {
  const { spec, shape } = c;
  return {
    id: c.id,
    family: spec.family,
    variant: spec.variant,
    dtype: spec.dtype,
    phase: spec.phase,
    shape: { ...shape },
    flops: spec.flops(shape),
    bytes: spec.bytes(shape),
    status: 'ok',
    time: null,
    gflops: null,
    gbps: null,
    clock: null,
    verification: null,
  };
}

/** Runs the case once on its own (the verification run). */
async function runOnce(ctx: GpuContext, inst: KernelInstance): Promise<void> {
  const enc = ctx.device.createCommandEncoder({ label: 'verify' });
  const pass = enc.beginComputePass({ label: 'verify' });
  inst.encode(pass);
  pass.end();
  ctx.device.queue.submit([enc.finish()]);
  await ctx.device.queue.onSubmittedWorkDone();
}

/** Smallest batch whose span reaches the target, doubling from 1 (spans of 0 mean "below the step"). */
export async function calibrate(timer: SpanTimer, inst: Pick<KernelInstance, 'encode'>, opts: Pick<RunOptions, 'minSpanMs' | 'maxBatch'>): Promise<{ batch: number; perExecMs: number }> {
  let batch = 1;
  for (;;) {
    const spans = await timer.measure((p) => inst.encode(p), batch, 3);
    const step = timer.info().resolution_ns;
    const targetMs = Math.max(opts.minSpanMs, step !== null && timer.info().quantized ? (100 * step) / 1e6 : 0);
    const best = spans.length > 0 ? Math.min(...spans) : 0;
    if (best >= targetMs || batch >= opts.maxBatch) return { batch, perExecMs: best / batch };
    // Jump straight to the estimate when the span is measurable, with 20% margin; else grow 8x.
    const next = best > 0 ? Math.ceil((batch * targetMs * 1.2) / best) : batch * 8;
    batch = Math.min(opts.maxBatch, Math.max(batch * 2, next));
  }
}

/**
 * Runs one case through verify → calibrate → warm-up → trials (re-timed while the probe, if any, shows
 * the machine degraded). Device loss aborts the whole run.
 */
export async function runCase(ctx: GpuContext, timer: SpanTimer, c: BenchCase, opts: RunOptions, probe: Probe | null = null): Promise<CaseResult> {
  const result = baseResult(c);
  const { spec, shape } = c;
  const missing = spec.requires.filter((f) => !ctx.features.has(f));
  if (missing.length > 0) {
    return { ...result, status: 'skipped', reason: `needs the WebGPU feature${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which this device lacks` };
  }
  let inst: KernelInstance | null = null;
  try {
    spec.check?.(ctx, shape);
    const rng = new Rng(seedFor(opts.seed, c.id));
    inst = await guarded(ctx, `building ${c.id}`, () => spec.build(ctx, shape, rng));
    const built = inst;
    if (built.config) result.config = { ...built.config };
    // Verify.
    const verification = await guarded(ctx, `verifying ${c.id}`, async () => {
      await runOnce(ctx, built);
      const indices = pickIndices(built.outputCount, rng);
      const got = await built.readOutputs(indices);
      return compare(got, indices, (i) => built.reference(i), spec.tolerance(shape), built.outputCount);
    });
    result.verification = verification;
    if (!verification.passed) {
      return {
        ...result,
        status: 'failed',
        reason: `output differs from the float64 reference: max abs error ${verification.max_abs_err.toExponential(2)}, max rel error ${verification.max_rel_err.toExponential(2)} (tolerance abs ${verification.tolerance.abs}, rel ${verification.tolerance.rel})`,
      };
    }
    // Time.
    const spans = await guarded(ctx, `timing ${c.id}`, async () => {
      const { batch } = await calibrate(timer, built, opts);
      if (opts.warmup > 0) await timer.measure((p) => built.encode(p), batch, opts.warmup);
      const timed = await timeWithProbe(() => timer.measure((p) => built.encode(p), batch, opts.trials), probe);
      return { batch, ...timed };
    });
    if (spans.machine) result.machine = spans.machine;
    if (spans.ms.length === 0) {
      return { ...result, status: 'error', reason: 'every timed span was empty (the timer returned no positive duration); rerun with --wall-clock' };
    }
    const perExec = spans.ms.map((m) => m / spans.batch);
    const s = summarize(perExec);
    result.time = { median_ms: s.median, p10_ms: s.p10, p90_ms: s.p90, samples: s.n, batch: spans.batch };
    result.clock = timer.kind;
    result.gflops = result.flops > 0 ? result.flops / (s.median * 1e6) : null;
    result.gbps = result.bytes > 0 ? result.bytes / (s.median * 1e6) : null;
    return result;
  } catch (e) {
    if (e instanceof SkipCase) return { ...result, status: 'skipped', reason: e.message };
    if (e instanceof PdbError && e.code === 'device-lost') throw e;
    return { ...result, status: 'error', reason: errorMessage(e) };
  } finally {
    inst?.destroy();
  }
}

/** Runs the given cases in order and assembles the results document. */
export async function runSuite(ctx: GpuContext, cases: readonly BenchCase[], opts: RunOptions): Promise<ResultsDoc> {
  const timer = createTimer(ctx.device, opts.wallClock);
  const results: CaseResult[] = [];
  let timerInfo: TimerInfo;
  let probe: Probe | null = null;
  try {
    if (opts.probe !== 'off' && cases.length > 0) probe = await guarded(ctx, 'building the machine-state probe', () => createProbe(ctx, timer, opts.probe === 'on'));
    const p = probe;
    // Autotunes inside a case's build warm up through the probe too (clocks fall while inputs are filled).
    if (p !== null) {
      ctx.warmUp = async () => {
        await p.ready();
      };
    }
    for (const [index, c] of cases.entries()) {
      assertAlive(ctx);
      opts.onProgress?.({ index, total: cases.length, id: c.id });
      const r = await runCase(ctx, timer, c, opts, probe);
      results.push(r);
      opts.onProgress?.({ index, total: cases.length, id: c.id, result: r });
    }
    timerInfo = timer.info();
  } finally {
    delete ctx.warmUp;
    probe?.destroy();
    timer.destroy();
  }
  return {
    schema: SCHEMA_ID,
    context: {
      suite_version: SUITE_VERSION,
      date: new Date().toISOString(),
      seed: opts.seed,
      preset: opts.preset,
      runtime: ctx.runtime,
      device: ctx.info,
      features: [...ctx.features].sort(),
      limits: { ...ctx.limits },
      timer: timerInfo,
      peaks: lookupPeaks(ctx.info),
    },
    ceilings: deriveCeilings(results),
    results,
  };
}
