/**
 * Attention, the seed's central contrast between the two phases:
 *   prefill — N new tokens attend causally to each other: naive (S = QKᵀ materialized as
 *             [heads, N, N], row softmax, P·V: three dispatches, S traffic counted) versus tiled
 *             (FlashAttention-2 style: one kernel, online softmax, N×N never materialized);
 *   decode  — one new token per head attends to L cached tokens: naive (one workgroup per head)
 *             versus split-K (FlashDecoding: L split across workgroups, then a reduce kernel),
 *             over a contiguous or a paged KV cache.
 * Grouped-query attention throughout (heads a multiple of kv_heads). f16 data is stored packed in
 * u32 words (see attention-data.ts for why), so every variant runs on SwiftShader.
 */
import dtypeF32Wgsl from '../../shaders/attention/dtype-f32.wgsl?raw';
import dtypeF16Wgsl from '../../shaders/attention/dtype-f16.wgsl?raw';
import tiledWgsl from '../../shaders/attention/prefill-tiled.wgsl?raw';
import qregWgsl from '../../shaders/attention/prefill-qreg.wgsl?raw';
import naiveScoresWgsl from '../../shaders/attention/naive-scores.wgsl?raw';
import naiveSoftmaxWgsl from '../../shaders/attention/naive-softmax.wgsl?raw';
import naivePvWgsl from '../../shaders/attention/naive-pv.wgsl?raw';
import decodeSplitWgsl from '../../shaders/attention/decode-split.wgsl?raw';
import decodeSplitDeepWgsl from '../../shaders/attention/decode-split-deep.wgsl?raw';
import decodeSplitOutWgsl from '../../shaders/attention/decode-split-out.wgsl?raw';
import decodeSplitFusedWgsl from '../../shaders/attention/decode-split-fused.wgsl?raw';
import decodeIoWgsl from '../../shaders/attention/decode-io.wgsl?raw';
import prefillIoWgsl from '../../shaders/attention/prefill-io.wgsl?raw';
import decodeReduceWgsl from '../../shaders/attention/decode-reduce.wgsl?raw';
import decodeNaiveWgsl from '../../shaders/attention/decode-naive.wgsl?raw';
import { emptyBuffer, uniformBuffer, uploadBuffer } from '../gpu/buffers';
import { type GpuContext, maxBindingBytes, maxWorkgroupsPerDim } from '../gpu/device';
import { SkipCase } from '../gpu/errors';
import { bindBuffers, getPipeline } from '../gpu/pipeline';
import { autotune, type Candidate } from '../suite/autotune';
import type { Rng } from '../util/rng';
import { CONTEXT_LENGTHS, LLAMA3_8B, PROMPT_LENGTHS } from '../suite/shapes';
import { attendGroup, causalEntries, decodeChunk, decodeFlops, headsPerWorkgroup, naiveHeadGroups, prefillFlops } from './attention-reference';
import { destroyOnError, drawTensor, elementSize, fillTensor, floatBits, readElements, tensorValue, type AttnDtype, type FilledTensor } from './attention-data';
import { PAGE_SIZE, pageTable, pagesFor, scatterToPages } from './kv-layout';
import { makeCase, type BenchCase, type KernelInstance, type KernelSpec, type Shape, type Tolerance } from './spec';
import type { Preset } from '../suite/presets';

const PRELUDE: Record<AttnDtype, string> = { f32: dtypeF32Wgsl, f16: dtypeF16Wgsl };

/** WGSL of an attention kernel for a storage dtype: the dtype prelude (element types of the bindings
 * and their unpack/pack functions, which no WGSL override can choose), then shared pieces (`pieces`),
 * then the kernel body; the body's `enable` directives move to the top, where WGSL requires them. */
export function buildAttentionWgsl(body: string, dtype: AttnDtype, pieces: readonly string[] = []): string {
  const lines = body.split('\n');
  // Directives (enable, diagnostic) must precede every declaration.
  const directive = (l: string): boolean => /^(enable\s|diagnostic\s*\()/.test(l);
  const enables = lines.filter(directive);
  const rest = lines.filter((l) => !directive(l));
  return [...enables, PRELUDE[dtype], ...pieces, ...rest].join('\n');
}

/** WGSL of a tiled prefill kernel (qreg or staged): the dtype prelude, then the parameters and
 * bindings they share (prefill-io.wgsl), then the body. */
export function buildPrefillWgsl(body: string, dtype: AttnDtype): string {
  return buildAttentionWgsl(body, dtype, [prefillIoWgsl]);
}

/** WGSL of a decode kernel (naive, or a split-K body: base, deep, fused): the dtype prelude, then
 * the parameters, input bindings and row addressing they share (decode-io.wgsl), then the body. */
export function buildDecodeWgsl(body: string, dtype: AttnDtype): string {
  return buildAttentionWgsl(body, dtype, [decodeIoWgsl]);
}

/** A base or deep split-K decode kernel: buildDecodeWgsl plus their shared end (put_partials). */
export function buildSplitWgsl(body: string, dtype: AttnDtype): string {
  return buildAttentionWgsl(body, dtype, [decodeIoWgsl, decodeSplitOutWgsl]);
}

/** The three split-K kernel forms (autotuned per shape). */
function splitForms(dtype: AttnDtype): { base: string; deep: string; fused: string } {
  return { base: buildSplitWgsl(decodeSplitWgsl, dtype), deep: buildSplitWgsl(decodeSplitDeepWgsl, dtype), fused: buildDecodeWgsl(decodeSplitFusedWgsl, dtype) };
}

/** Head dimensions the kernels are specialized for (register tiles are sized for d <= 128). */
export const HEAD_DIMS = [32, 64, 128] as const;

/** A causal prefill: N prompt tokens, H query heads over KV heads of dimension d. */
export interface PrefillShape extends Shape {
  /** Query heads. */
  h: number;
  /** KV heads (h is a multiple). */
  kv: number;
  /** Head dimension. */
  d: number;
  /** Prompt tokens. */
  n: number;
}

/** One decode step: one query token per head over L cached tokens. */
export interface DecodeShape extends Shape {
  h: number;
  kv: number;
  d: number;
  /** Cached tokens attended to. */
  l: number;
}

/** A decode shape over a paged cache: `page` tokens per page. */
export interface PagedDecodeShape extends DecodeShape {
  page: number;
}

/** log2(e)/√d: the kernels work in base 2 and use exp2. */
function scoreScale(d: number): number {
  return Math.LOG2E / Math.sqrt(d);
}

function checkHeads(s: { h: number; kv: number; d: number }): void {
  if (!(HEAD_DIMS as readonly number[]).includes(s.d)) throw new SkipCase(`head_dim ${s.d} is not one of the specialized sizes ${HEAD_DIMS.join(', ')}`);
  if (s.kv < 1 || s.h % s.kv !== 0) throw new SkipCase(`heads ${s.h} is not a multiple of kv_heads ${s.kv}`);
}

/**
 * Tolerance of an attention output, |got − ref| ≤ abs + rel·|ref|. Outputs are convex combinations
 * of V rows (|v| < 1), so absolute error is bounded by the score error times |v| plus the f32
 * accumulation error over L keys, ~√L·2⁻²⁴·0.5 ≈ 5e-6 at L = 32768 (random-walk growth), with
 * exp2's 3+2|x| ulp: abs 2e-5 covers it. f16 adds the rounding of the output to f16, 2⁻¹¹ relative
 * at worst for round-to-nearest with headroom: rel 1e-3. A dropped or extra key at the test sizes
 * (L ≤ 300) moves an output by ~0.5/L > 1e-3, far outside.
 */
export function attentionTolerance(dtype: AttnDtype): Tolerance {
  return dtype === 'f32' ? { abs: 2e-5, rel: 1e-4 } : { abs: 2e-5, rel: 1e-3 };
}

interface AttnTensors {
  q: FilledTensor;
  k: FilledTensor;
  v: FilledTensor;
}

/** Seeds of Q (scaled by 4 so scores spread over ~±1.3 and the softmax is far from uniform), K, V. */
function drawAttnTensors(dtype: AttnDtype, rng: Rng): AttnTensors {
  return { q: drawTensor(dtype, rng, 4), k: drawTensor(dtype, rng), v: drawTensor(dtype, rng) };
}

/** float64 reference of prefill output element i of O [N, heads, d]; rows computed once and kept. */
export function prefillReference(s: PrefillShape, t: AttnTensors): (i: number) => number {
  const { d, n, h } = s;
  const group = s.h / s.kv;
  const kvRows = new Map<string, Float64Array>();
  const rows = new Map<number, Float64Array>();
  const cacheOf = (which: 'k' | 'v', kvh: number): Float64Array => {
    const key = `${which}${kvh}`;
    let a = kvRows.get(key);
    if (!a) {
      a = new Float64Array(n * d);
      const tensor = t[which];
      for (let e = 0; e < n * d; e++) a[e] = tensorValue(tensor, kvh * n * d + e);
      kvRows.set(key, a);
    }
    return a;
  };
  return (i) => {
    const row = Math.floor(i / d);
    let out = rows.get(row);
    if (!out) {
      const tok = Math.floor(row / h);
      const kvh = Math.floor((row % h) / group);
      const q = Float64Array.from({ length: d }, (_, c) => tensorValue(t.q, row * d + c));
      const K = cacheOf('k', kvh);
      const V = cacheOf('v', kvh);
      out = attendGroup([q], tok + 1, d, (j) => K.subarray(j * d, j * d + d), (j) => V.subarray(j * d, j * d + d))[0] ?? new Float64Array(d);
      rows.set(row, out);
    }
    return out[i % d] ?? NaN;
  };
}

/** float64 reference of decode output element i of O [heads, d], over the logical cache [kv, L, d]. */
export function decodeReference(s: DecodeShape, t: AttnTensors): (i: number) => number {
  const { d, l } = s;
  const group = s.h / s.kv;
  const outs = new Map<number, Float64Array[]>();
  return (i) => {
    const head = Math.floor(i / d);
    const kvh = Math.floor(head / group);
    let o = outs.get(kvh);
    if (!o) {
      const qs = Array.from({ length: group }, (_, g) => Float64Array.from({ length: d }, (_, c) => tensorValue(t.q, ((kvh * group + g) * d) + c)));
      const row = new Float64Array(d);
      const rowOf = (tensor: FilledTensor) => (j: number) => {
        const base = (kvh * l + j) * d;
        for (let c = 0; c < d; c++) row[c] = tensorValue(tensor, base + c);
        return row;
      };
      o = attendGroup(qs, l, d, rowOf(t.k), rowOf(t.v));
      outs.set(kvh, o);
    }
    return o[head - kvh * group]?.[i % d] ?? NaN;
  };
}

// ---------------------------------------------------------------------------------------------
// Prefill

interface PrefillBuffers {
  q: GPUBuffer;
  k: GPUBuffer;
  v: GPUBuffer;
  o: GPUBuffer;
  t: AttnTensors;
}

async function prefillBuffers(ctx: GpuContext, s: PrefillShape, dtype: AttnDtype, rng: Rng): Promise<PrefillBuffers> {
  const es = elementSize(dtype);
  const t = drawAttnTensors(dtype, rng);
  const qCount = s.n * s.h * s.d;
  const kvCount = s.kv * s.n * s.d;
  const q = emptyBuffer(ctx.device, qCount * es, 'attn-q');
  const k = emptyBuffer(ctx.device, kvCount * es, 'attn-k');
  const v = emptyBuffer(ctx.device, kvCount * es, 'attn-v');
  const o = emptyBuffer(ctx.device, qCount * es, 'attn-o');
  await fillTensor(ctx, q, qCount, t.q);
  await fillTensor(ctx, k, kvCount, t.k);
  await fillTensor(ctx, v, kvCount, t.v);
  return { q, k, v, o, t };
}

function prefillBytes(s: PrefillShape, dtype: AttnDtype): number {
  return elementSize(dtype) * (2 * s.n * s.h * s.d + 2 * s.kv * s.n * s.d);
}

/** Workgroup memory of the tiled prefill kernel for `br` rows per workgroup (see prefill-tiled.wgsl). */
export function tiledSharedBytes(d: number, br: number): number {
  // Q tile and P block with rows padded by one vec4, the 4 KB K/V stage, the row partials.
  return br * (d / 4 + 1) * 16 + 256 * 16 + br * 9 * 16 + br * 8 * 4;
}

/** A tiled prefill configuration: the kernel (`qreg`: Q and O in registers, 4 invocations per row,
 * K/V blocks in workgroup memory; `staged`: Q tile in workgroup memory), invocations, rows per invocation. */
export interface TiledConfig {
  kernel: 'qreg' | 'staged';
  wg: number;
  rpt: number;
  /** qreg: the next K/V block is loaded into registers while the current one is computed. */
  prefetch?: boolean;
  /** qreg: lanes per query row, 4 (default) or 8 (needs subgroups of at least 8). */
  tx?: 4 | 8;
  /** qreg: rescale threshold of the lazy row maximum (log2 units; default QREG_TAU, 0 = plain online softmax). */
  tau?: number;
  /** qreg: keys per softmax step (default 8). */
  kb?: 4 | 8 | 16;
  /** qreg: reduce-scatter the partial scores over the row's lanes, softmax on 1/TX of them, all-gather
   * the probabilities (instead of every lane summing and exponentiating every score). */
  rs?: boolean;
  /** qreg with rs: software pipelining, a step's P·V done during the next step (V blocks double-buffered). */
  pipe?: boolean;
  /** qreg with rs: row maxima exchanged only in steps where a subgroup vote finds a lane whose scores moved one. */
  vote?: boolean;
  /** qreg: partial scores as scalar FMA chains instead of d += dot(q, k). */
  dotfma?: boolean;
  /** qreg: keys per K/V block in workgroup memory, 32 (default) or 16 (half the workgroup memory). */
  bc?: 16 | 32;
  /** qreg: workgroups numbered heads fastest, so every head's heaviest (longest causal) tile starts
   * before any lighter one; by default tiles run fastest within a head (heaviest first per head). */
  headsFirst?: boolean;
}

/** Rescale threshold of the qreg kernel's lazy row maximum. */
export const QREG_TAU = 8;

/** Tiled prefill configurations, best first by expectation: Q in registers leaves workgroup memory to
 * whole 32-key K/V blocks (2 barriers per block instead of 16); 2 rows per invocation halve the
 * workgroup-memory reads per FMA; 256 invocations halve the K/V loads per row. Register prefetch
 * costs 2·32·d/4 / wg quads per invocation; on the H100 (N = 4096, f32) one call timed the prefetch
 * form at 23.1 ms (128 invocations) and 10.3 ms (256), the next at 6.87 and 6.41 ms with the
 * prefetch-free forms at 6.63 and 6.49 ms (bench/notes/attention.md), so both forms are timed. The
 * staged kernel: 64 rows per workgroup amortize each stage. */
export const TILED_CONFIGS: readonly TiledConfig[] = [
  // 8 lanes per row with 4 rows each: every K/V vec4 read from workgroup memory feeds 4 rows (16
  // FMAs) instead of 2, at the same registers; subgroups of 8 or more only. Session 2's fastest form
  // (all-reduced scores; 6.23 ms f32, 6.16 f16 at N = 4096); dropped after measurement: its prefetch
  // forms (34.2 ms at 256 invocations, 11.8 at 128), 128 invocations (7.50, 7.52), 8 lanes x 2 rows
  // (6.83, 7.19 with prefetch). Session 3 (bench/notes/attention.md, calls 7-9): the reduce-scatter
  // softmax (rs), the voted exchange of the row maxima (vote) and scores as scalar FMA chains (dotfma)
  // took it to 5.21 ms f32 and 5.09 f16 (first below); the next two within 1-3% in both dtypes.
  // Dropped after measurement, N = 4096 f32 / f16 ms: the all-reduce forms (6.23 / 6.17, with dotfma
  // 5.99 / 5.87); rs alone 5.50 / 5.37, with vote 5.35 / 5.26, pipelined 5.53 / 5.49 and with vote
  // 5.48 / 5.44; 16 keys per step 5.84 / 5.53 (5.69 / 5.64 with pipe, vote, dotfma); 4 keys 6.05
  // (f32); 8 lanes x 2 rows 6.85 (f32); the probabilities gathered through workgroup memory
  // 5.65-6.61 (f32); rs with 4 lanes x 2 rows 6.53 / 6.51.
  { kernel: 'qreg', wg: 256, rpt: 4, tx: 8, rs: true, vote: true, dotfma: true },
  { kernel: 'qreg', wg: 256, rpt: 4, tx: 8, rs: true, dotfma: true },
  { kernel: 'qreg', wg: 256, rpt: 4, tx: 8, rs: true, pipe: true, vote: true, dotfma: true },
  // 4 lanes x 2 rows (subgroups of 4 suffice): the fastest such form on the H100 (6.10 / 5.99 ms,
  // against 6.44 / 6.35 for the best below).
  { kernel: 'qreg', wg: 256, rpt: 2, rs: true, pipe: true, vote: true, dotfma: true },
  // Session 3 (helper falit): occupancy and bounded indices. On this stack two workgroups share an SM
  // only while their workgroup memory fits 48 KiB together (bench/notes/gemm.md, session 3, tc); the
  // forms above hold 32 KiB (48 with pipe) and ~170 registers x 256 invocations: one workgroup (8 warps)
  // per SM. 16-key blocks with 128 invocations: 16 KiB (24 KiB with pipe), up to 3 (2) workgroups per
  // SM by both limits, 64 rows each. On the H100 (N = 4096 f32, before dotfma, falit calls 1-2) they
  // tied the 32-key forms (5.02-5.05 vs 5.08-5.09 ms with bounded indices; 5.33-5.38 vs 5.36-5.48
  // before). Dropped after those calls (ms, call 2): 16-key rs alone 5.64, rs pipe 5.42, 16 keys per
  // step 5.17, all-reduce 7.03, 2 rows per lane group 6.11, 256 invocations 5.78.
  { kernel: 'qreg', wg: 128, rpt: 4, tx: 8, bc: 16, rs: true, pipe: true, vote: true, dotfma: true },
  { kernel: 'qreg', wg: 128, rpt: 4, tx: 8, bc: 16, rs: true, vote: true, dotfma: true },
  // The same two with the grid numbered heads fastest (lead, session 3): the default order runs a
  // head's tiles heaviest first, but head after head, so the last wave still holds the heaviest tiles
  // of the last heads; heads fastest starts every head's heaviest tile first and ends on the lightest.
  { kernel: 'qreg', wg: 128, rpt: 4, tx: 8, bc: 16, rs: true, pipe: true, vote: true, dotfma: true, headsFirst: true },
  { kernel: 'qreg', wg: 128, rpt: 4, tx: 8, bc: 16, rs: true, vote: true, dotfma: true, headsFirst: true },
  { kernel: 'qreg', wg: 256, rpt: 2, prefetch: true },
  { kernel: 'qreg', wg: 256, rpt: 2, prefetch: false },
  { kernel: 'qreg', wg: 128, rpt: 2, prefetch: true },
  { kernel: 'qreg', wg: 128, rpt: 2, prefetch: false },
  { kernel: 'qreg', wg: 256, rpt: 1, prefetch: false },
  { kernel: 'staged', wg: 128, rpt: 4 },
  { kernel: 'staged', wg: 256, rpt: 2 },
  { kernel: 'staged', wg: 128, rpt: 2 },
  { kernel: 'staged', wg: 256, rpt: 1 },
];

/** Query rows per workgroup of a tiled configuration (qreg: 4 or 8 invocations per row; staged: 8 column groups). */
export function tiledRows(c: TiledConfig): number {
  return (c.wg / (c.kernel === 'qreg' ? (c.tx ?? 4) : 8)) * c.rpt;
}

/** Workgroup memory of the qreg kernel: a K block and V block of `bc` (32 or 16) keys in f32 (prefill-qreg.wgsl). */
export function qregSharedBytes(d: number, c?: TiledConfig): number {
  // pipe: a second V block.
  return (c?.pipe === true ? 3 : 2) * (c?.bc ?? 32) * d * 4;
}

function tiledSpec(dtype: AttnDtype): KernelSpec<PrefillShape> {
  const code = buildPrefillWgsl(tiledWgsl, dtype);
  return {
    family: 'attention',
    variant: 'prefill-tiled',
    dtype,
    phase: 'prefill',
    description: `causal GQA prefill attention, FlashAttention-2 style: Q in registers (or a Q tile in workgroup memory), K/V streamed in 32-key blocks, online softmax (${dtype})`,
    wgsl: [buildPrefillWgsl(qregWgsl, dtype), code],
    requires: [],
    check(ctx, s) {
      checkHeads(s);
      if (tiledConfigsFor(ctx, s.d).length === 0) throw new SkipCase(`no tiled configuration fits this device's workgroup memory at d=${s.d} (the smallest needs ${Math.min(tiledSharedBytes(s.d, 32), qregSharedBytes(s.d))} B)`);
      if (Math.ceil(s.n / 32) > maxWorkgroupsPerDim(ctx.limits) || s.h > maxWorkgroupsPerDim(ctx.limits)) throw new SkipCase('the grid exceeds maxComputeWorkgroupsPerDimension');
    },
    flops: (s) => prefillFlops(s.h, s.n, s.d),
    bytes: (s) => prefillBytes(s, dtype),
    tolerance: () => attentionTolerance(dtype),
    async build(ctx, s, rng): Promise<KernelInstance> {
      // Every configuration whose workgroup memory fits is timed and the fastest kept; software
      // adapters take the first that fits (CI is slow, and the kernel is the same code).
      const fitting = tiledConfigsFor(ctx, s.d);
      return tiledInstance(ctx, s, dtype, rng, ctx.info.software ? fitting.slice(0, 1) : fitting);
    },
  };
}

/** The tiled configurations whose workgroup memory and size fit this device at head dimension d
 * (qreg ones only with `subgroups`: a row's lanes sum their partial scores with shuffles; 8 lanes per
 * row only where the adapter's smallest subgroup has 8 or more, and d / 4 is a multiple of 8). */
export function tiledConfigsFor(ctx: GpuContext, d: number): TiledConfig[] {
  const limit = ctx.limits.maxComputeWorkgroupStorageSize ?? 16384;
  const invocations = ctx.limits.maxComputeInvocationsPerWorkgroup ?? 256;
  const subgroups = ctx.device.features.has('subgroups');
  const minSubgroup = ctx.info.subgroup_min_size ?? 0;
  return TILED_CONFIGS.filter((c) => {
    if (c.wg > invocations) return false;
    if (c.kernel === 'qreg' && (c.tx ?? 4) > 4 && (minSubgroup < (c.tx ?? 4) || (d / 4) % (c.tx ?? 4) !== 0)) return false;
    // The reduce-scatter leaves each lane whole scores of one row: rows × keys per step divisible by the lanes.
    if (c.kernel === 'qreg' && c.rs === true && (c.rpt * (c.kb ?? 8)) % (c.tx ?? 4) !== 0) return false;
    if (c.kernel === 'qreg' && (c.pipe === true || c.vote === true) && c.rs !== true) return false;
    // Whole steps per block, and the block's quads spread evenly over the invocations (2 bc d/4 / wg <= 16).
    if (c.kernel === 'qreg' && ((c.bc ?? 32) % (c.kb ?? 8) !== 0 || (2 * (c.bc ?? 32) * (d / 4)) % c.wg !== 0 || (2 * (c.bc ?? 32) * (d / 4)) / c.wg > 16)) return false;
    if (c.kernel === 'qreg') return subgroups && qregSharedBytes(d, c) <= limit;
    return tiledSharedBytes(d, tiledRows(c)) <= limit;
  });
}

/** Pipeline constants of a qreg configuration at head dimension d (prefill-qreg.wgsl's overrides). */
export function qregConstants(c: TiledConfig, d: number): Record<string, number> {
  return {
    HEAD_DIM: d,
    RPT: c.rpt,
    WG: c.wg,
    PREFETCH: c.prefetch === true ? 1 : 0,
    TX: c.tx ?? 4,
    TAU: c.tau ?? QREG_TAU,
    KB: c.kb ?? 8,
    PIPE: c.pipe === true ? 1 : 0,
    VOTE: c.vote === true ? 1 : 0,
    DOTFMA: c.dotfma === true ? 1 : 0,
    RS: c.rs === true ? 1 : 0,
    BC: c.bc ?? 32,
    HEADS_FIRST: c.headsFirst === true ? 1 : 0,
  };
}

/** A tiled prefill instance, autotuned among `configs` (the first when there is one). */
export async function tiledInstance(ctx: GpuContext, s: PrefillShape, dtype: AttnDtype, rng: Rng, configs: readonly TiledConfig[]): Promise<KernelInstance> {
  const code = { staged: buildPrefillWgsl(tiledWgsl, dtype), qreg: buildPrefillWgsl(qregWgsl, dtype) };
  const { device } = ctx;
  const b = await prefillBuffers(ctx, s, dtype, rng);
  const params = uniformBuffer(device, new Uint32Array([s.n, s.h, s.h / s.kv, floatBits(scoreScale(s.d))]), 'attn-tiled-params');
  const owned = [b.q, b.k, b.v, b.o, params];
  const candidates: Candidate<{ kernel: string; rows_per_workgroup: number; workgroup: number; keys_per_block: number; prefetch?: number; lanes_per_row?: number; keys_per_step?: number; dot_fma?: number; softmax?: string; order?: string }>[] = [];
  const { best, timings } = await destroyOnError(owned, async () => {
    for (const c of configs) {
      const br = tiledRows(c);
      const constants = c.kernel === 'qreg' ? qregConstants(c, s.d) : { HEAD_DIM: s.d, RPT: c.rpt, WG: c.wg };
      const pipeline = await getPipeline(device, { label: `attn-prefill-${c.kernel}-${dtype}`, code: code[c.kernel], entryPoint: 'main', constants });
      const bind = bindBuffers(device, pipeline, 'attn-tiled', [b.q, b.k, b.v, b.o, params]);
      const tiles = Math.ceil(s.n / br);
      candidates.push({
        config: {
          kernel: c.kernel,
          rows_per_workgroup: br,
          workgroup: c.wg,
          keys_per_block: c.kernel === 'qreg' ? (c.bc ?? 32) : 32,
          ...(c.kernel === 'qreg' ? { prefetch: c.prefetch === true ? 1 : 0, lanes_per_row: c.tx ?? 4, keys_per_step: c.kb ?? 8, dot_fma: c.dotfma === true ? 1 : 0, softmax: c.rs === true ? `rs${c.pipe === true ? '-pipe' : ''}${c.vote === true ? '-vote' : ''}` : 'plain', order: c.headsFirst === true ? 'heads-first' : 'tiles-first' } : {}),
        },
        encode(pass) {
          pass.setPipeline(pipeline);
          pass.setBindGroup(0, bind);
          if (c.kernel === 'qreg' && c.headsFirst === true) pass.dispatchWorkgroups(s.h, tiles);
          else pass.dispatchWorkgroups(tiles, s.h);
        },
      });
    }
    return autotune(ctx, candidates, 2, 3);
  });
  const reference = prefillReference(s, b.t);
  return {
    outputCount: s.n * s.h * s.d,
    config: { ...best.config, ...(candidates.length > 1 ? { tuned_ms: timings.map((x) => x.toPrecision(3)).join('/') } : {}) },
    encode: best.encode,
    readOutputs: (indices) => readElements(device, b.o, dtype, indices),
    reference,
    destroy() {
      for (const x of owned) x.destroy();
    },
  };
}

function naivePrefillSpec(dtype: AttnDtype): KernelSpec<PrefillShape> {
  const scores = buildAttentionWgsl(naiveScoresWgsl, dtype);
  const pv = buildAttentionWgsl(naivePvWgsl, dtype);
  return {
    family: 'attention',
    variant: 'prefill-naive',
    dtype,
    phase: 'prefill',
    description: `causal GQA prefill attention, naive: S = QKᵀ materialized [heads, N, N] in f32, row softmax, P·V — three dispatches, S traffic counted (${dtype})`,
    wgsl: [scores, naiveSoftmaxWgsl, pv],
    requires: [],
    check(ctx, s) {
      checkHeads(s);
      const limit = maxBindingBytes(ctx.limits);
      if (naiveHeadGroups(s.h, s.n, limit) === null) {
        throw new SkipCase(`one head's ${s.n}×${s.n} f32 score matrix is ${((s.n * s.n * 4) / 2 ** 30).toFixed(2)} GiB, over this device's storage binding limit of ${(limit / 2 ** 30).toFixed(2)} GiB`);
      }
      if (s.n > maxWorkgroupsPerDim(ctx.limits)) throw new SkipCase(`N = ${s.n} rows exceed maxComputeWorkgroupsPerDimension for the softmax grid`);
    },
    flops: (s) => prefillFlops(s.h, s.n, s.d),
    // S is written (scores), read and written (softmax), read (P·V): 4 passes over the causal triangle.
    bytes: (s) => prefillBytes(s, dtype) + 16 * causalEntries(s.h, s.n),
    tolerance: () => attentionTolerance(dtype),
    async build(ctx, s, rng): Promise<KernelInstance> {
      const { device } = ctx;
      const hg = naiveHeadGroups(s.h, s.n, maxBindingBytes(ctx.limits));
      if (hg === null) throw new SkipCase('score matrix over the binding limit');
      const b = await prefillBuffers(ctx, s, dtype, rng);
      const owned: GPUBuffer[] = [b.q, b.k, b.v, b.o];
      return destroyOnError(owned, async () => {
        const constants = { HEAD_DIM: s.d };
        const pScores = await getPipeline(device, { label: `attn-naive-scores-${dtype}`, code: scores, entryPoint: 'main', constants });
        const pSoftmax = await getPipeline(device, { label: 'attn-naive-softmax', code: naiveSoftmaxWgsl, entryPoint: 'main' });
        const pPv = await getPipeline(device, { label: `attn-naive-pv-${dtype}`, code: pv, entryPoint: 'main', constants });
        const sBuf = emptyBuffer(device, hg.perGroup * s.n * s.n * 4, 'attn-naive-s');
        owned.push(sBuf);
        const steps: { heads: number; bScores: GPUBindGroup; bSoftmax: GPUBindGroup; bPv: GPUBindGroup }[] = [];
        for (let head0 = 0; head0 < s.h; head0 += hg.perGroup) {
          const params = uniformBuffer(device, new Uint32Array([s.n, s.h, s.h / s.kv, floatBits(scoreScale(s.d)), head0]), 'attn-naive-params');
          owned.push(params);
          steps.push({
            heads: Math.min(hg.perGroup, s.h - head0),
            bScores: bindBuffers(device, pScores, 'attn-naive-scores', [b.q, b.k, sBuf, params]),
            bSoftmax: bindBuffers(device, pSoftmax, 'attn-naive-softmax', [sBuf, params]),
            bPv: bindBuffers(device, pPv, 'attn-naive-pv', [sBuf, b.v, b.o, params]),
          });
        }
        const t16 = Math.ceil(s.n / 16);
        const reference = prefillReference(s, b.t);
        return {
          outputCount: s.n * s.h * s.d,
          config: { head_groups: hg.groups, heads_per_group: hg.perGroup, s_bytes: hg.perGroup * s.n * s.n * 4 },
          encode(pass) {
            // Heads in groups whose S fits one binding; each group runs the three steps on the shared S.
            for (const st of steps) {
              pass.setPipeline(pScores);
              pass.setBindGroup(0, st.bScores);
              pass.dispatchWorkgroups(t16, t16, st.heads);
              pass.setPipeline(pSoftmax);
              pass.setBindGroup(0, st.bSoftmax);
              pass.dispatchWorkgroups(s.n, st.heads);
              pass.setPipeline(pPv);
              pass.setBindGroup(0, st.bPv);
              pass.dispatchWorkgroups(Math.ceil((s.n * s.d) / 4 / 64), st.heads);
            }
          },
          readOutputs: (indices) => readElements(device, b.o, dtype, indices),
          reference,
          destroy() {
            for (const x of owned) x.destroy();
          },
        };
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Decode

/** The KV cache of a decode case: contiguous [kv, L, d], or a page pool holding the same logical data. */
export interface DecodeCache {
  k: GPUBuffer;
  v: GPUBuffer;
  /** Page table (a 4-byte placeholder for the contiguous layout). */
  table: GPUBuffer;
  /** Tokens per page, 0 for contiguous. */
  page: number;
  destroy(): void;
}

/**
 * Builds the cache for logical data `k`/`v` ([kv, L, d] by element index). Paged: the data is filled
 * contiguously and copied page by page into a randomly permuted pool, so paged and contiguous cases
 * with the same seeds hold the same logical cache.
 */
export async function buildDecodeCache(ctx: GpuContext, s: DecodeShape, page: number, t: AttnTensors, rng: Rng): Promise<DecodeCache> {
  const { device } = ctx;
  const es = elementSize(t.k.dtype);
  const count = s.kv * s.l * s.d;
  const k = emptyBuffer(device, count * es, 'kv-k');
  const v = emptyBuffer(device, count * es, 'kv-v');
  await fillTensor(ctx, k, count, t.k);
  await fillTensor(ctx, v, count, t.v);
  if (page === 0) {
    const table = uploadBuffer(device, new Uint32Array([0]), 'kv-table-unused');
    return { k, v, table, page, destroy: () => [k, v, table].forEach((b) => b.destroy()) };
  }
  const pages = pagesFor(s.l, page);
  const tableData = pageTable(pages, rng);
  const poolBytes = pages * s.kv * page * s.d * es;
  const kp = emptyBuffer(device, poolBytes, 'kv-k-pages');
  const vp = emptyBuffer(device, poolBytes, 'kv-v-pages');
  const enc = device.createCommandEncoder({ label: 'kv-scatter' });
  const layout = { kvHeads: s.kv, tokens: s.l, rowBytes: s.d * es, page, table: tableData };
  scatterToPages(enc, k, kp, layout);
  scatterToPages(enc, v, vp, layout);
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  k.destroy();
  v.destroy();
  const table = uploadBuffer(device, tableData, 'kv-table');
  return { k: kp, v: vp, table, page, destroy: () => [kp, vp, table].forEach((b) => b.destroy()) };
}

function decodeBytes(s: DecodeShape, dtype: AttnDtype): number {
  // K and V read once, q read and o written once.
  return elementSize(dtype) * (2 * s.kv * s.l * s.d + 2 * s.h * s.d);
}

/** Split-K chunk sizes tried on GPUs (keys per workgroup; multiples of the 64 keys a score step covers). */
export const SPLIT_CHUNKS = [64, 128, 256] as const;

/** Chunk sizes of the deep-load kernel (512 too: 4 keys per lane make 128-key score steps). */
export const DEEP_CHUNKS = [64, 128, 256, 512] as const;

/** Keys per lane in flight in the deep kernel's score phase (each q read serves them all). */
export const SPLIT_KEYS_PER_LANE = [2, 4] as const;

/** Chunk sizes of the fused kernel (each of its 32 key slots takes CHUNK / 32 keys). */
export const FUSED_CHUNKS = [256, 512] as const;

/** Most query heads per workgroup of the fused kernel (its output quarters live in registers). */
export const FUSED_MAX_HEADS = 4;

/** Rescale threshold (log2 units) of the fused kernel's lazy maximum; 0 is the plain online softmax. */
export const FUSED_TAU = 8;

/** A split-K configuration: the kernel (`base`: decode-split.wgsl, 2 keys and 8 V rows per lane;
 * `deep`: decode-split-deep.wgsl; `fused`: decode-split-fused.wgsl), keys per workgroup, keys per lane
 * in the score phase (fused: keys per slot and step, K and V together), V rows per lane in flight
 * (two-phase kernels; 0 for fused). Fused only: query heads per workgroup (`gh`, else the largest
 * divisor of the GQA ratio up to 8) and the lazy-maximum threshold (`tau`, else FUSED_TAU). */
export interface SplitConfig {
  kernel: 'base' | 'deep' | 'fused';
  chunk: number;
  ku: number;
  vu: number;
  gh?: number;
  tau?: number;
  /** Fused only: the next step's K/V rows are loaded before the current step is computed. */
  prefetch?: boolean;
}

/** Query heads per workgroup of the fused kernel for a GQA ratio: its largest divisor up to FUSED_MAX_HEADS, and half of that when even. */
export function fusedHeads(group: number): number[] {
  const gh = headsPerWorkgroup(group, FUSED_MAX_HEADS);
  return gh % 2 === 0 ? [gh, gh / 2] : [gh];
}

/** Workgroup memory of the fused kernel: q of its heads, the 32 slots' output quarters of one head, sums and maxima. */
export function fusedSharedBytes(d: number, gh: number): number {
  return (gh * d + 32 * d) * 4 + 32 * 4 + gh * 32 * 4;
}

/** Split-K candidates: the base kernel at the heuristic chunk first (software adapters take only
 * it), then the base kernel's other chunks, then the deep kernel at every (chunk, keys per lane)
 * pairing whose score step (32 keys per lane slot) fits the chunk, with 8 V rows in flight per lane,
 * and 16 with 4 keys per lane, then the fused kernel at each chunk, 1 or 2 keys per slot and step
 * (1 for f32: its rows are twice the registers), 1 with the next step prefetched, and 2 head counts (`fusedHeads`) where its workgroup
 * memory fits. On the H100 the base kernel won at short contexts and the deep one at long ones with
 * GQA before the fused one existed (see bench/notes/attention.md). */
export function splitCandidates(first: number, software: boolean, fused?: { group: number; dtype: AttnDtype; d: number; sharedLimit: number }): SplitConfig[] {
  const base: SplitConfig[] = [first, ...SPLIT_CHUNKS.filter((c) => c !== first)].map((chunk) => ({ kernel: 'base', chunk, ku: 2, vu: 8 }));
  if (software) return base.slice(0, 1);
  const deep = DEEP_CHUNKS.flatMap((chunk) =>
    SPLIT_KEYS_PER_LANE.filter((ku) => ku * 32 <= chunk).flatMap((ku): SplitConfig[] =>
      ku === 4 ? [{ kernel: 'deep', chunk, ku, vu: 8 }, { kernel: 'deep', chunk, ku, vu: 16 }] : [{ kernel: 'deep', chunk, ku, vu: 8 }],
    ),
  );
  if (!fused) return [...base, ...deep];
  const steps: { ku: number; prefetch: boolean }[] = fused.dtype === 'f16' ? [{ ku: 1, prefetch: false }, { ku: 2, prefetch: false }, { ku: 1, prefetch: true }] : [{ ku: 1, prefetch: false }, { ku: 1, prefetch: true }];
  const heads = fusedHeads(fused.group).filter((gh) => fusedSharedBytes(fused.d, gh) <= fused.sharedLimit);
  const fusedList = FUSED_CHUNKS.flatMap((chunk) => steps.flatMap(({ ku, prefetch }) => heads.map((gh): SplitConfig => ({ kernel: 'fused', chunk, ku, vu: 0, gh, prefetch }))));
  return [...base, ...deep, ...fusedList];
}

function decodeParams(device: GPUDevice, s: DecodeShape, page: number, splits: number): GPUBuffer {
  return uniformBuffer(device, new Uint32Array([s.l, s.l, s.h, s.h / s.kv, page, s.kv, splits, floatBits(scoreScale(s.d))]), 'attn-decode-params');
}

/** Which decode kernel, cache layout and storage dtype. */
export interface DecodeSpecOptions {
  variant: 'split' | 'naive';
  paged: boolean;
  dtype: AttnDtype;
}

function decodeSpec<S extends DecodeShape>(o: DecodeSpecOptions): KernelSpec<S> {
  const { dtype, paged } = o;
  const split = o.variant === 'split';
  const reduce = buildAttentionWgsl(decodeReduceWgsl, dtype);
  const layout = paged ? 'a paged cache (page table)' : 'a contiguous cache';
  return {
    family: 'attention',
    variant: `decode-${o.variant}${paged ? '-paged' : ''}`,
    dtype,
    phase: 'decode',
    description: split
      ? `decode attention, split-K (FlashDecoding): L split across workgroups with partial max/sum, then a reduce kernel, over ${layout} (${dtype})`
      : `decode attention, naive: one workgroup per query head over the whole context, over ${layout} (${dtype})`,
    wgsl: split ? [...Object.values(splitForms(dtype)), reduce] : [buildDecodeWgsl(decodeNaiveWgsl, dtype)],
    // Split-K sums the 4 lanes of a key with subgroup shuffles.
    requires: split ? ['subgroups'] : [],
    check(ctx, s) {
      checkHeads(s);
      const page = paged ? (s as unknown as PagedDecodeShape).page : 0;
      if (paged && !(page > 0)) throw new SkipCase('a paged case needs a page size > 0');
      const es = elementSize(dtype);
      const bytes = s.kv * (paged ? pagesFor(s.l, page) * page : s.l) * s.d * es;
      const limit = maxBindingBytes(ctx.limits);
      if (bytes > limit) throw new SkipCase(`the K cache of ${bytes} B exceeds this device's storage binding limit of ${limit} B`);
      if (s.h > maxWorkgroupsPerDim(ctx.limits) || Math.ceil(s.l / 64) > maxWorkgroupsPerDim(ctx.limits)) throw new SkipCase('the grid exceeds maxComputeWorkgroupsPerDimension');
    },
    flops: (s) => decodeFlops(s.h, s.l, s.d),
    bytes: (s) => decodeBytes(s, dtype),
    tolerance: () => attentionTolerance(dtype),
    build: (ctx, s, rng) => decodeInstance(ctx, s, o, rng),
  };
}

/**
 * A decode instance (naive or split-K, contiguous or paged); split-K is autotuned among `candidates`
 * (by default the heuristic chunk alone on software adapters, every (chunk, keys per lane) pairing on GPUs).
 */
export async function decodeInstance<S extends DecodeShape>(ctx: GpuContext, s: S, o: DecodeSpecOptions, rng: Rng, candidates?: readonly SplitConfig[]): Promise<KernelInstance> {
  const { dtype, paged } = o;
  const split = o.variant === 'split';
  const forms = splitForms(dtype);
  const reduce = buildAttentionWgsl(decodeReduceWgsl, dtype);
  const { device } = ctx;
  const es = elementSize(dtype);
  const t = drawAttnTensors(dtype, rng);
  const q = emptyBuffer(device, s.h * s.d * es, 'attn-dec-q');
  const out = emptyBuffer(device, s.h * s.d * es, 'attn-dec-o');
  const owned: { destroy(): void }[] = [q, out];
  return destroyOnError(owned, async (): Promise<KernelInstance> => {
    await fillTensor(ctx, q, s.h * s.d, t.q);
    const cache = await buildDecodeCache(ctx, s, paged ? (s as unknown as PagedDecodeShape).page : 0, t, rng);
    owned.push(cache);
    const reference = decodeReference(s, t);
    const base = {
      outputCount: s.h * s.d,
      readOutputs: (indices: readonly number[]) => readElements(device, out, dtype, indices),
      reference,
      destroy() {
        owned.forEach((b) => b.destroy());
      },
    };
    if (!split) {
      const pipeline = await getPipeline(device, { label: `attn-decode-naive-${dtype}`, code: buildDecodeWgsl(decodeNaiveWgsl, dtype), entryPoint: 'main', constants: { HEAD_DIM: s.d } });
      const scores = emptyBuffer(device, s.h * s.l * 4, 'attn-dec-scores');
      const params = decodeParams(device, s, cache.page, 1);
      owned.push(scores, params);
      const bind = bindBuffers(device, pipeline, 'attn-decode-naive', [q, cache.k, cache.v, cache.table, scores, out, params]);
      return {
        ...base,
        config: { workgroups: s.h, workgroup: 128 },
        encode(pass) {
          pass.setPipeline(pipeline);
          pass.setBindGroup(0, bind);
          pass.dispatchWorkgroups(s.h);
        },
      };
    }
    const group = s.h / s.kv;
    const gh = headsPerWorkgroup(group);
    const rows = s.kv * (group / gh);
    // The heuristic chunk first; on GPUs the other sizes are timed too and the fastest kept.
    const first = decodeChunk(s.l, rows);
    const pReduce = await getPipeline(device, { label: `attn-decode-reduce-${dtype}`, code: reduce, entryPoint: 'main', constants: { HEAD_DIM: s.d } });
    const tuned: Candidate<{ kernel: string; chunk: number; splits: number; keys_per_lane: number; v_rows_per_lane: number; heads_per_workgroup: number; workgroups: number; prefetch?: number }>[] = [];
    const sharedLimit = ctx.limits.maxComputeWorkgroupStorageSize ?? 16384;
    for (const { kernel, chunk, ku, vu, gh: ghFused, tau, prefetch } of candidates ?? splitCandidates(first, ctx.info.software, { group, dtype, d: s.d, sharedLimit })) {
      const splits = Math.ceil(s.l / chunk);
      const fused = kernel === 'fused';
      // The fused kernel takes its head count from the configuration; its workgroups of one chunk are
      // adjacent (x = split · parts + part, y = KV head).
      const heads = fused ? (ghFused ?? headsPerWorkgroup(group, FUSED_MAX_HEADS)) : gh;
      const parts = group / heads;
      const constants = { HEAD_DIM: s.d, GH: heads, CHUNK: chunk, ...(kernel === 'deep' ? { KU: ku, VU: vu } : fused ? { KU: ku, TAU: tau ?? FUSED_TAU, PREFETCH: prefetch === true ? 1 : 0 } : {}) };
      const pSplit = await getPipeline(device, { label: `attn-decode-split-${kernel}-${dtype}`, code: forms[kernel], entryPoint: 'main', constants });
      const oPart = emptyBuffer(device, splits * s.h * s.d * 4, 'attn-dec-opart');
      const mlPart = emptyBuffer(device, splits * s.h * 8, 'attn-dec-ml');
      const params = decodeParams(device, s, cache.page, splits);
      const rParams = uniformBuffer(device, new Uint32Array([s.h, splits]), 'attn-reduce-params');
      owned.push(oPart, mlPart, params, rParams);
      const bSplit = bindBuffers(device, pSplit, 'attn-decode-split', [q, cache.k, cache.v, cache.table, oPart, mlPart, params]);
      const bReduce = bindBuffers(device, pReduce, 'attn-decode-reduce', [oPart, mlPart, out, rParams]);
      const grid: [number, number] = fused ? [splits * parts, s.kv] : [splits, rows];
      tuned.push({
        config: { kernel, chunk, splits, keys_per_lane: ku, v_rows_per_lane: vu, heads_per_workgroup: heads, workgroups: grid[0] * grid[1], ...(fused ? { prefetch: prefetch === true ? 1 : 0 } : {}) },
        encode(pass) {
          pass.setPipeline(pSplit);
          pass.setBindGroup(0, bSplit);
          pass.dispatchWorkgroups(grid[0], grid[1]);
          pass.setPipeline(pReduce);
          pass.setBindGroup(0, bReduce);
          pass.dispatchWorkgroups(s.h);
        },
      });
    }
    const { best, timings } = await autotune(ctx, tuned, 8, 5);
    return {
      ...base,
      config: { ...best.config, ...(tuned.length > 1 ? { tuned_ms: timings.map((x) => x.toPrecision(3)).join('/') } : {}) },
      encode: best.encode,
    };
  });
}

/** Prefill attention, tiled (FlashAttention-2 style), f32 / f16 storage. */
export const prefillTiledF32Spec = tiledSpec('f32');
export const prefillTiledF16Spec = tiledSpec('f16');
/** Prefill attention, naive (S materialized), f32 / f16 storage. */
export const prefillNaiveF32Spec = naivePrefillSpec('f32');
export const prefillNaiveF16Spec = naivePrefillSpec('f16');
/** Decode attention over a contiguous cache: split-K and naive, f32 / f16. */
export const decodeSplitF32Spec = decodeSpec<DecodeShape>({ variant: 'split', paged: false, dtype: 'f32' });
export const decodeSplitF16Spec = decodeSpec<DecodeShape>({ variant: 'split', paged: false, dtype: 'f16' });
export const decodeNaiveF32Spec = decodeSpec<DecodeShape>({ variant: 'naive', paged: false, dtype: 'f32' });
export const decodeNaiveF16Spec = decodeSpec<DecodeShape>({ variant: 'naive', paged: false, dtype: 'f16' });
/** Decode attention over a paged cache: split-K and naive, f32 / f16. */
export const decodeSplitPagedF32Spec = decodeSpec<PagedDecodeShape>({ variant: 'split', paged: true, dtype: 'f32' });
export const decodeSplitPagedF16Spec = decodeSpec<PagedDecodeShape>({ variant: 'split', paged: true, dtype: 'f16' });
export const decodeNaivePagedF32Spec = decodeSpec<PagedDecodeShape>({ variant: 'naive', paged: true, dtype: 'f32' });
export const decodeNaivePagedF16Spec = decodeSpec<PagedDecodeShape>({ variant: 'naive', paged: true, dtype: 'f16' });

/** Every attention spec, for the registry. */
export const ATTENTION_SPECS = [
  prefillNaiveF32Spec,
  prefillNaiveF16Spec,
  prefillTiledF32Spec,
  prefillTiledF16Spec,
  decodeNaiveF32Spec,
  decodeNaiveF16Spec,
  decodeSplitF32Spec,
  decodeSplitF16Spec,
  decodeNaivePagedF32Spec,
  decodeNaivePagedF16Spec,
  decodeSplitPagedF32Spec,
  decodeSplitPagedF16Spec,
] as const;


const M = LLAMA3_8B;
const llama = (n: number): PrefillShape => ({ h: M.heads, kv: M.kvHeads, d: M.headDim, n });
const llamaDecode = (l: number): DecodeShape => ({ h: M.heads, kv: M.kvHeads, d: M.headDim, l });
// Multi-head (no GQA) twin of the Llama shape: PyTorch's SDPA decode reference uses H = 32, d = 128, no GQA.
const mhaDecode = (l: number): DecodeShape => ({ h: M.heads, kv: M.heads, d: M.headDim, l });
const paged = (s: DecodeShape): PagedDecodeShape => ({ ...s, page: PAGE_SIZE });

/** Attention cases of a preset. */
export function attentionCases(preset: Preset): BenchCase[] {
  if (preset === 'test') {
    // Odd N and L (not multiples of any tile, chunk or page), GQA ratios 1, 4 and 8, d = 64 and 128.
    const p1: PrefillShape = { h: 4, kv: 1, d: 64, n: 37 };
    const p2: PrefillShape = { h: 2, kv: 2, d: 128, n: 19 };
    const d1: DecodeShape = { h: 8, kv: 1, d: 64, l: 300 };
    const d2: DecodeShape = { h: 4, kv: 4, d: 128, l: 77 };
    const d3: PagedDecodeShape = { h: 8, kv: 2, d: 128, l: 300, page: PAGE_SIZE };
    return [
      makeCase(prefillNaiveF32Spec, p1),
      makeCase(prefillTiledF32Spec, p1),
      makeCase(prefillNaiveF16Spec, p2),
      makeCase(prefillTiledF16Spec, p2),
      makeCase(decodeNaiveF32Spec, d1),
      makeCase(decodeSplitF32Spec, d1),
      makeCase(decodeNaiveF16Spec, d2),
      makeCase(decodeSplitF16Spec, d2),
      makeCase(decodeNaivePagedF16Spec, d3),
      makeCase(decodeSplitPagedF16Spec, d3),
    ];
  }
  if (preset === 'quick') {
    return [
      makeCase(prefillNaiveF32Spec, llama(1024)),
      makeCase(prefillTiledF32Spec, llama(1024)),
      makeCase(prefillTiledF16Spec, llama(1024)),
      makeCase(decodeNaiveF16Spec, llamaDecode(4096)),
      makeCase(decodeSplitF16Spec, llamaDecode(4096)),
      makeCase(decodeSplitPagedF16Spec, paged(llamaDecode(4096))),
    ];
  }
  const cases: BenchCase[] = [];
  // Prefill: the prompt sweep for both kernels in both dtypes; naive as long as S fits the device.
  for (const n of PROMPT_LENGTHS) {
    cases.push(makeCase(prefillNaiveF32Spec, llama(n)), makeCase(prefillTiledF32Spec, llama(n)));
    cases.push(makeCase(prefillNaiveF16Spec, llama(n)), makeCase(prefillTiledF16Spec, llama(n)));
  }
  cases.push(makeCase(prefillTiledF32Spec, { h: M.heads, kv: M.kvHeads, d: 64, n: 4096 }), makeCase(prefillTiledF16Spec, { h: M.heads, kv: M.kvHeads, d: 64, n: 4096 }));
  // Decode: the context sweep (f16 cache, Llama GQA), naive vs split-K.
  for (const l of CONTEXT_LENGTHS) cases.push(makeCase(decodeNaiveF16Spec, llamaDecode(l)), makeCase(decodeSplitF16Spec, llamaDecode(l)));
  const longest = CONTEXT_LENGTHS[CONTEXT_LENGTHS.length - 1] ?? 32768;
  for (const l of [8192, longest]) {
    cases.push(makeCase(decodeNaiveF16Spec, mhaDecode(l)), makeCase(decodeSplitF16Spec, mhaDecode(l)));
    cases.push(makeCase(decodeNaivePagedF16Spec, paged(llamaDecode(l))), makeCase(decodeSplitPagedF16Spec, paged(llamaDecode(l))));
    cases.push(makeCase(decodeSplitF32Spec, llamaDecode(l)), makeCase(decodeSplitPagedF32Spec, paged(llamaDecode(l))));
  }
  cases.push(makeCase(decodeNaiveF32Spec, llamaDecode(longest)));
  return cases;
}
