/**
 * Machine-state probe. Shared GPU machines have episodes in which memory-bound work runs 2–5× slower for
 * seconds (seen on the H100 behind pdbench's own figures: the same pipeline, tight spans, half speed).
 * A case timed during one measures the machine, not the kernel. So, on hardware adapters with timestamp
 * queries, a short device-to-device copy and a short run of f32 FMA chains are timed right before and
 * right after each case's timed spans and compared with the best rates the probe reached in this run. Each attempt starts with a short
 * burst of copies (the GPU's clocks follow its load). When either side falls below PROBE_FLOOR of that
 * best, the case's spans are timed again after a longer burst (same calibrated batch), up to
 * PROBE_ATTEMPTS times; the first attempt with a healthy probe on both sides is kept, else the last one,
 * flagged `degraded`. Every attempt's probe rates are recorded in the result, so nothing is hidden.
 */
import type { GpuContext } from '../gpu/device';
import { busyFor, type SpanTimer } from '../gpu/timer';
import { copySpec, fmaF32Spec, maxCopyBytes } from '../kernels/ceilings';
import type { KernelInstance } from '../kernels/spec';
import type { MachineState } from '../report/schema';
import { summarize } from '../report/stats';
import { Rng } from '../util/rng';

/** A probe below this fraction of its best rate in the run marks the machine degraded. */
export const PROBE_FLOOR = 0.85;
/** Timed attempts per case at most (the first included). */
export const PROBE_ATTEMPTS = 3;
/**
 * Before each timed attempt (and each autotune) the probe heats the GPU with copies in steps of
 * PROBE_STEP_MS of GPU time, reading itself after each step, until both readings are healthy or
 * PROBE_READY_MS have been spent. A re-timing after an idle pause found the H100 still slow (its clock
 * came back under load, in steps that lasted 1–3 s), so the probe keeps the GPU busy instead: the load a
 * real decode loop puts on it.
 */
export const PROBE_STEP_MS = 150;
export const PROBE_READY_MS = 3000;
/** Bytes in each of the probe's source and destination: far above any last-level cache of 2026 GPUs. */
export const PROBE_BYTES = 256 * 1024 * 1024;

/** One probe reading: memory bandwidth (a copy, read + write counted) and arithmetic (f32 FMA chains). */
export interface Reading {
  gbps: number;
  gflops: number;
}

/** What the runner needs of a probe (a fake in unit tests). */
export interface Probe {
  /** Rates now. */
  measure(): Promise<Reading>;
  /** Best rates measured so far in this run (each on its own). */
  best(): Reading;
  /** Keeps the GPU busy with copies for at least `ms` of GPU time (at most 64 spans). */
  heat(ms: number): Promise<void>;
  /** Heats until the readings are healthy or `maxMs` of heat is spent (warmUntilHealthy); true if healthy. */
  ready(maxMs?: number): Promise<boolean>;
  destroy(): void;
}

/** Both readings at least `floor` of their bests. */
export function isHealthy(r: Reading, best: Reading, floor = PROBE_FLOOR): boolean {
  return r.gbps >= floor * best.gbps && r.gflops >= floor * best.gflops;
}

/**
 * Heats in steps of `stepMs` of GPU time, reading the probe after each, until a reading is healthy
 * against the best so far, or `maxMs` of heat has been spent. True when it ended healthy.
 */
export async function warmUntilHealthy(
  probe: Pick<Probe, 'heat' | 'measure' | 'best'>,
  opts: { floor?: number; stepMs?: number; maxMs?: number } = {},
): Promise<boolean> {
  const stepMs = opts.stepMs ?? PROBE_STEP_MS;
  const maxMs = opts.maxMs ?? PROBE_READY_MS;
  for (let spent = stepMs; ; spent += stepMs) {
    await probe.heat(stepMs);
    if (isHealthy(await probe.measure(), probe.best(), opts.floor)) return true;
    if (spent >= maxMs) return false;
  }
}

/** A short kernel timed as a rate: `work` units (bytes or FLOPs) per execution, `batch` executions a span. */
interface Gauge {
  inst: KernelInstance;
  work: number;
  batch: number;
}

class CopyFmaProbe implements Probe {
  private top: Reading = { gbps: 0, gflops: 0 };
  constructor(
    private readonly timer: SpanTimer,
    private readonly copy: Gauge,
    private readonly fma: Gauge,
  ) {}

  private async rate(g: Gauge): Promise<number> {
    const spans = await this.timer.measure((p) => g.inst.encode(p), g.batch, 3);
    return spans.length === 0 ? 0 : (g.work * g.batch) / (summarize(spans).median * 1e6);
  }

  async measure(): Promise<Reading> {
    const r = { gbps: await this.rate(this.copy), gflops: await this.rate(this.fma) };
    this.top = { gbps: Math.max(this.top.gbps, r.gbps), gflops: Math.max(this.top.gflops, r.gflops) };
    return r;
  }

  best(): Reading {
    return { ...this.top };
  }

  heat(ms: number): Promise<void> {
    return busyFor(this.timer, (p) => this.copy.inst.encode(p), this.copy.batch, ms, 8, 8);
  }

  ready(maxMs?: number): Promise<boolean> {
    return warmUntilHealthy(this, maxMs === undefined ? {} : { maxMs });
  }

  destroy(): void {
    this.copy.inst.destroy();
    this.fma.inst.destroy();
  }
}

/**
 * A copy + FMA probe for this device, or null where probing means nothing: software adapters and the
 * wall clock (whose per-span overhead would swamp a probe this short). `force` builds one anyway (tests).
 * The copy sees memory-bound slowdowns, the FMA chains the SM clock (on the H100 the clock fell to
 * 345–1650 MHz between bursts of work, and stayed at an intermediate step for seconds under load).
 */
export async function createProbe(ctx: GpuContext, timer: SpanTimer, force = false): Promise<Probe | null> {
  if (!force && (ctx.info.software || timer.kind !== 'timestamp')) return null;
  const soft = ctx.info.software;
  const bytes = Math.min(soft ? 4 * 1024 * 1024 : PROBE_BYTES, maxCopyBytes(ctx.limits));
  const rng = new Rng(0x9e3779b9);
  const copy = await copySpec.build(ctx, { bytes }, rng);
  // 2^20 invocations × 256 steps = 8.6 GFLOP: about 0.15 ms on an H100, enough to fill any GPU.
  const fmaShape = { threads: soft ? 16384 : 1 << 20, steps: soft ? 16 : 256 };
  let fma: KernelInstance;
  try {
    fma = await fmaF32Spec.build(ctx, fmaShape, rng);
  } catch (e) {
    copy.destroy();
    throw e;
  }
  // Spans of about 1 ms on a fast GPU (4 copies of 256 MiB at 2 TB/s); one execution on software.
  const batch = soft ? 1 : 4;
  const probe = new CopyFmaProbe(timer, { inst: copy, work: 2 * bytes, batch }, { inst: fma, work: fmaF32Spec.flops(fmaShape), batch });
  // Two warm-up readings: clocks ramp when the GPU leaves idle.
  await probe.measure();
  await probe.measure();
  return probe;
}

/** One timed attempt's probe readings. */
interface Attempt {
  before: Reading;
  after: Reading;
}

function healthy(a: Attempt, best: Reading, floor: number): boolean {
  return isHealthy(a.before, best, floor) && isHealthy(a.after, best, floor);
}

/**
 * Times a case's spans with the probe around them, re-timing while the probe shows the machine degraded.
 * Without a probe: one attempt, no machine record.
 */
export async function timeWithProbe(
  measure: () => Promise<number[]>,
  probe: Probe | null,
  opts: { attempts?: number; floor?: number } = {},
): Promise<{ ms: number[]; machine?: MachineState }> {
  if (probe === null) return { ms: await measure() };
  const attempts = opts.attempts ?? PROBE_ATTEMPTS;
  const floor = opts.floor ?? PROBE_FLOOR;
  const seen: Attempt[] = [];
  let ms: number[] = [];
  for (let i = 0; i < attempts; i++) {
    await probe.ready();
    const before = await probe.measure();
    ms = await measure();
    const after = await probe.measure();
    const a = { before, after };
    seen.push(a);
    // Judged against the best rates seen so far, this attempt's readings included.
    if (healthy(a, probe.best(), floor)) break;
  }
  const best = probe.best();
  const last = seen[seen.length - 1];
  return {
    ms,
    machine: {
      probe_best_gbps: best.gbps,
      probe_best_gflops: best.gflops,
      probe_gbps: seen.map((a) => [a.before.gbps, a.after.gbps]),
      probe_gflops: seen.map((a) => [a.before.gflops, a.after.gflops]),
      degraded: last === undefined || !healthy(last, best, floor),
    },
  };
}
