/**
 * The results document: one versioned JSON object from which every table, chart, CSV and share link
 * is derived. It is validated at runtime whenever it is read back (files, share links).
 */
import * as v from 'valibot';
import { PdbError } from '../gpu/errors';

export const SCHEMA_ID = 'pdbench/results@1';

const finite = v.pipe(v.number(), v.finite());
const nonNeg = v.pipe(v.number(), v.finite(), v.minValue(0));
const count = v.pipe(v.number(), v.integer(), v.minValue(0));

export const PhaseSchema = v.picklist(['prefill', 'decode', 'ceiling']);
export const ClockSchema = v.picklist(['timestamp', 'wall']);
export const StatusSchema = v.picklist(['ok', 'failed', 'skipped', 'error']);

export const VerificationSchema = v.object({
  passed: v.boolean(),
  max_abs_err: nonNeg,
  max_rel_err: nonNeg,
  tolerance: v.object({ abs: nonNeg, rel: nonNeg }),
  /** Number of output elements compared with the float64 reference. */
  checked: count,
  /** Number of output elements in total (checked < total means a seeded random sample). */
  total: count,
});

export const TimeSchema = v.object({
  median_ms: nonNeg,
  p10_ms: nonNeg,
  p90_ms: nonNeg,
  samples: count,
  /** Dispatch sequences per timed span (calibrated so a span is far above the timer's resolution). */
  batch: count,
});

/**
 * The machine-state probe around a case's timed spans (src/suite/probe.ts): a short copy and a short run
 * of FMA chains timed before and after each attempt, against the best probe rates of the run. Absent where no probe ran (software
 * adapters, the wall clock, --no-probe).
 */
export const MachineStateSchema = v.object({
  /** Best copy rate of the probe in the run when the case ended, GB/s. */
  probe_best_gbps: nonNeg,
  /** Best FMA rate of the probe in the run when the case ended, GFLOP/s. */
  probe_best_gflops: nonNeg,
  /** [before, after] copy rates of every timed attempt, GB/s; the spans kept are the last attempt's. */
  probe_gbps: v.pipe(v.array(v.tuple([nonNeg, nonNeg])), v.minLength(1)),
  /** [before, after] FMA rates of every timed attempt, GFLOP/s (one pair per attempt, as probe_gbps). */
  probe_gflops: v.pipe(v.array(v.tuple([nonNeg, nonNeg])), v.minLength(1)),
  /** True when even the kept attempt had a probe below the floor: the figure reflects a slowed machine. */
  degraded: v.boolean(),
});

export const ResultSchema = v.object({
  id: v.pipe(v.string(), v.minLength(1)),
  family: v.string(),
  variant: v.string(),
  dtype: v.string(),
  phase: PhaseSchema,
  shape: v.record(v.string(), finite),
  flops: nonNeg,
  bytes: nonNeg,
  status: StatusSchema,
  /** Why a case was skipped, failed or errored; absent when ok. */
  reason: v.optional(v.string()),
  time: v.nullable(TimeSchema),
  gflops: v.nullable(nonNeg),
  gbps: v.nullable(nonNeg),
  clock: v.nullable(ClockSchema),
  /** Specialization chosen for this case (tile sizes, autotune winner, ...). */
  config: v.optional(v.record(v.string(), v.union([v.string(), finite]))),
  verification: v.nullable(VerificationSchema),
  machine: v.optional(MachineStateSchema),
});

export const DeviceInfoSchema = v.object({
  vendor: v.string(),
  architecture: v.string(),
  device: v.string(),
  description: v.string(),
  subgroup_min_size: v.nullable(count),
  subgroup_max_size: v.nullable(count),
  is_fallback: v.boolean(),
  /** A software rasterizer (SwiftShader, WARP, llvmpipe): its figures are never rated against peaks. */
  software: v.boolean(),
});

export const RuntimeSchema = v.object({
  kind: v.picklist(['browser', 'node']),
  user_agent: v.optional(v.string()),
  node_version: v.optional(v.string()),
  dawn_version: v.optional(v.string()),
  dawn_flags: v.optional(v.array(v.string())),
});

export const TimerSchema = v.object({
  kind: ClockSchema,
  /** Smallest step the timer was seen to take (GCD of observed spans), ns; null when unknown. */
  resolution_ns: v.nullable(nonNeg),
  /** True when timestamps are coarsened (Chrome: 100 µs without developer features). */
  quantized: v.boolean(),
});

export const PeaksSchema = v.object({
  /** Where the theoretical figures come from: a cited datasheet or 'user'. */
  source: v.string(),
  name: v.string(),
  f32_gflops: v.nullable(nonNeg),
  f16_gflops: v.nullable(nonNeg),
  /** Dense f16-input, f32-accumulate matrix-unit (tensor core) rate: the roof of subgroup-matrix kernels. */
  f16_matrix_gflops: v.nullable(nonNeg),
  bandwidth_gbps: v.nullable(nonNeg),
});

export const CeilingsSchema = v.object({
  copy_gbps: v.nullable(nonNeg),
  fma_f32_gflops: v.nullable(nonNeg),
  fma_f16_gflops: v.nullable(nonNeg),
});

export const ContextSchema = v.object({
  suite_version: v.string(),
  date: v.string(),
  seed: count,
  preset: v.string(),
  runtime: RuntimeSchema,
  device: DeviceInfoSchema,
  features: v.array(v.string()),
  limits: v.record(v.string(), nonNeg),
  timer: TimerSchema,
  peaks: v.nullable(PeaksSchema),
});

export const ResultsDocSchema = v.object({
  schema: v.literal(SCHEMA_ID),
  context: ContextSchema,
  ceilings: CeilingsSchema,
  results: v.array(ResultSchema),
});

export type Phase = v.InferOutput<typeof PhaseSchema>;
export type Clock = v.InferOutput<typeof ClockSchema>;
export type Verification = v.InferOutput<typeof VerificationSchema>;
export type CaseResult = v.InferOutput<typeof ResultSchema>;
export type MachineState = v.InferOutput<typeof MachineStateSchema>;
export type DeviceInfo = v.InferOutput<typeof DeviceInfoSchema>;
export type RuntimeInfo = v.InferOutput<typeof RuntimeSchema>;
export type TimerInfo = v.InferOutput<typeof TimerSchema>;
export type Peaks = v.InferOutput<typeof PeaksSchema>;
export type Ceilings = v.InferOutput<typeof CeilingsSchema>;
export type RunContext = v.InferOutput<typeof ContextSchema>;
export type ResultsDoc = v.InferOutput<typeof ResultsDocSchema>;

/** Validates untrusted data as a results document; throws a PdbError naming the first bad field. */
export function parseResultsDoc(data: unknown, origin = 'results document'): ResultsDoc {
  if (typeof data === 'object' && data !== null && 'schema' in data && data.schema !== SCHEMA_ID) {
    throw new PdbError(
      'bad-results',
      `The ${origin} has schema ${JSON.stringify(data.schema)}, but this pdbench reads ${SCHEMA_ID}: open it with the pdbench version that wrote it.`,
    );
  }
  const parsed = v.safeParse(ResultsDocSchema, data);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = issue?.path?.map((p) => String(p.key)).join('.') ?? '(root)';
    throw new PdbError('bad-results', `The ${origin} is not a valid ${SCHEMA_ID} document: at ${path}: ${issue?.message ?? 'invalid'}.`);
  }
  return parsed.output;
}
