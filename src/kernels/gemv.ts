/**
 * Decode GEMV family: Y[b, n] = Σ_k W[n, k] · X[b, k] for a weight W [N, K] stored row-major (the
 * framework linear layout of the GEMM family) and B activation rows X [B, K], B = 1 (decode of one
 * sequence) up to 64 (batched decode, a skinny GEMM whose intensity rises with B).
 *
 * Weight formats, dequantized inside the kernel (shaders/gemv/formats.wgsl states the bit layout):
 *   f32  — 4 B per weight.
 *   f16  — 2 B per weight, two per u32 (element 2i low half); unpacked with unpack2x16float, so it
 *          runs everywhere; the subgroup-native variant widens through the f16 type (shader-f16).
 *   int8 — 1 B per weight, two's complement, 4 per u32 (element 4i in byte 0); one f32 scale per row:
 *          w = s[n] · q.
 *   int4 — blocks of 32 weights = 16 B (one vec4<u32>); in word i of a block, byte j holds element
 *          8i+j in its low nibble and 8i+4+j in its high nibble; w = d · (nibble − 8), zero point 8,
 *          one f16 scale d per block in a separate array [N, K/32] (two per u32, even block low).
 * Rows are stored in whole 16-byte units, so K is padded up to a multiple of 4 / 8 / 16 / 32 weights
 * (f32 / f16 / int8 / int4); the padding holds random weights and X rows are zero there, so it adds
 * exactly 0. Every real shape is a multiple of 32 and has no padding; bytes count the padded storage,
 * which is what the format must read (for int4, a partial block still has its 16 bytes and scale).
 * X and Y are f32 (activations of a decode step are small next to W: 4 K B of 2 N K B for f16).
 *
 * Variants:
 *   naive           — one invocation per row (uncoalesced: neighbours read different rows).
 *   row             — one workgroup per row, tree reduction in workgroup memory (no subgroups needed).
 *   subgroup        — ROWS rows per subgroup, vec4 loads, subgroupAdd; any subgroup size (autotuned ROWS).
 *   splitk          — the subgroup kernel over K chunks into partials, plus a reduce pass: more
 *                     parallelism for few-row, long-K shapes.
 *   subgroup-native — the subgroup kernel with f16 weights widened through the f16 type (shader-f16).
 *   rowset          — one workgroup per ROWS rows, all its lanes over K; int8/int4 lanes take pieces of
 *                     1, 2 or 4 u32 words (rowsetPiece; autotuned), so a subgroup's X loads can be
 *                     contiguous, where the subgroup kernel's 16-byte int4 units put them at a 128-byte
 *                     lane stride.
 *   rowset-q8x      — int8 and int4 only, and a different numeric contract: X quantized to int8 in blocks
 *                     of 32 (one f32 scale each) inside the timed execution, block dot products as exact
 *                     integer sums of dot4I8Packed (DP4A), llama.cpp's mmvq scheme. Its reference
 *                     quantizes X exactly as the kernel does (quantizeXBlock); every other variant keeps
 *                     exact f32 activations.
 *
 * Bandwidth honesty: one execution reads N·K weights (+ scales) that must come from DRAM, but a 64 MiB
 * matrix read back-to-back partly stays in the H100's 50 MB L2. An instance therefore holds enough
 * identical copies of W to stream at least ROTATE_BYTES between two reads of the same copy, and each
 * execution uses the next copy; the bytes counted stay those of one execution.
 */
import naiveWgsl from '../../shaders/gemv/naive.wgsl?raw';
import rowWgsl from '../../shaders/gemv/row.wgsl?raw';
import subgroupWgsl from '../../shaders/gemv/subgroup.wgsl?raw';
import rowsetWgsl from '../../shaders/gemv/rowset.wgsl?raw';
import q8xWgsl from '../../shaders/gemv/q8x.wgsl?raw';
import piecesWgsl from '../../shaders/gemv/pieces.wgsl?raw';
import accumulateWgsl from '../../shaders/gemv/accumulate.wgsl?raw';
import formatsWgsl from '../../shaders/gemv/formats.wgsl?raw';
import f16PackedWgsl from '../../shaders/gemv/f16-packed.wgsl?raw';
import f16NativeWgsl from '../../shaders/gemv/f16-native.wgsl?raw';
import { emptyBuffer, readWords, uniformBuffer, uploadBuffer } from '../gpu/buffers';
import { type GpuContext, maxBindingBytes, maxWorkgroupsPerDim } from '../gpu/device';
import { SkipCase } from '../gpu/errors';
import { fillBuffer, type FillMode } from '../gpu/fill';
import { dispatch2d, getPipeline } from '../gpu/pipeline';
import { autotune, type Candidate } from '../suite/autotune';
import { DECODE_BATCHES, LLAMA3_8B, linearLayers } from '../suite/shapes';
import { fillF16, fillF32, fillU32, hashSeed } from '../util/hash';
import type { Rng } from '../util/rng';
import { makeCase, type BenchCase, type KernelInstance, type KernelSpec, type Shape, type Tolerance } from './spec';
import type { Preset } from '../suite/presets';

export const GEMV_FORMATS = ['f32', 'f16', 'int8', 'int4'] as const;
export type GemvFormat = (typeof GEMV_FORMATS)[number];

export const GEMV_VARIANTS = ['naive', 'row', 'subgroup', 'splitk', 'subgroup-native', 'rowset', 'rowset-q8x'] as const;
export type GemvVariant = (typeof GEMV_VARIANTS)[number];

/** N rows (outputs), K columns (reduction length), B batch columns. */
export interface GemvShape extends Shape {
  n: number;
  k: number;
  b: number;
}

/** FORMAT override of formats.wgsl: weights per unit = 4 << code. */
const FORMAT_CODE: Record<GemvFormat, number> = { f32: 0, f16: 1, int8: 2, int4: 3 };

/** int8 row scales are f32 in [-2^-7, 2^-7), so |s·q| ≤ 1 like the other formats (a power of two keeps the fill exact). */
export const INT8_SCALE = 2 ** -7;
/** int4 block scales are f16 in [-2^-3, 2^-3), so |d·(q−8)| ≤ 1. */
export const INT4_SCALE = 2 ** -3;

/** Bytes streamed between two reads of the same weight copy: 5× the H100's 50 MB L2. */
export const ROTATE_BYTES = 256 * 1024 * 1024;
/** Most copies of W an instance holds (the smallest full-preset matrix, int4 4096², is 9.4 MB). */
export const MAX_COPIES = 32;
/** Subgroups split-K aims for: about one full wave of warps on a 132-SM H100 (64 warps per SM). */
export const SPLITK_TARGET_SUBGROUPS = 8192;

/** Identical copies of W an instance rotates through so that each execution reads W cold from DRAM. */
export function weightCopies(weightBytes: number): number {
  return Math.max(1, Math.min(MAX_COPIES, Math.ceil(ROTATE_BYTES / weightBytes)));
}

/** Weights in one 16-byte unit: 4 (f32), 8 (f16), 16 (int8), 32 (int4, one block). */
export function elementsPerUnit(format: GemvFormat): number {
  return 4 << FORMAT_CODE[format];
}

/** Storage of a weight matrix in one format. */
export interface GemvLayout {
  /** 16-byte units per row. */
  units: number;
  /** Padded row length in weights (units × elementsPerUnit): also the row stride of X. */
  ldw: number;
  /** u32 words of packed weights. */
  weightWords: number;
  /** u32 words of scales (0 for f32 and f16). */
  scaleWords: number;
  /** Bytes of weights plus scales that one execution must read (scales at 4 B (int8) or 2 B (int4) each). */
  weightBytes: number;
}

export function gemvLayout(format: GemvFormat, n: number, k: number): GemvLayout {
  const units = Math.ceil(k / elementsPerUnit(format));
  const weightWords = n * units * 4;
  let scaleWords = 0;
  let scaleBytes = 0;
  if (format === 'int8') {
    scaleWords = n;
    scaleBytes = 4 * n;
  } else if (format === 'int4') {
    scaleWords = Math.ceil((n * units) / 2);
    scaleBytes = 2 * n * units;
  }
  return { units, ldw: units * elementsPerUnit(format), weightWords, scaleWords, weightBytes: 4 * weightWords + scaleBytes };
}

/** Compulsory traffic: packed weights + scales + X read once, Y written once. */
export function gemvBytes(format: GemvFormat, s: GemvShape): number {
  const l = gemvLayout(format, s.n, s.k);
  return l.weightBytes + 4 * s.b * l.ldw + 4 * s.b * s.n;
}

export function gemvFlops(s: GemvShape): number {
  return 2 * s.n * s.k * s.b;
}

/**
 * Every weight has |w| ≤ 1 and every x |x| < 1, and the GPU adds K f32 products (exact dequantized
 * weights times x, each rounded once) in some order. The probabilistic bound on such a sum (Higham &
 * Mary 2019) is a small multiple of √K·u·Σ|w·x| with u = 2^-24; Σ|w·x| ≤ K, so abs = 2u·K^1.5 (0.09 at
 * K = 8192 where |y| is ~30, 0.0006 at K = 203 where one missing product would be ~0.25).
 */
export function gemvTolerance(s: GemvShape): Tolerance {
  return { abs: 2 * 2 ** -24 * s.k ** 1.5, rel: 1e-5 };
}

/** Seeds and layout that name every weight, so the reference reads W without W on the host. */
export interface GemvWeights {
  format: GemvFormat;
  n: number;
  k: number;
  units: number;
  /** hashSeed of the weight fill (f32 / f16 pairs / raw u32 by format). */
  seedW: number;
  /** hashSeed of the scale fill (f32 for int8, f16 pairs for int4). */
  seedS: number;
}

/**
 * An integer-format weight as stored: integer q (the int8 byte, or the int4 nibble − 8) and its scale
 * (the int8 row scale or the int4 block scale), so W[row, col] = q · scale (col < padded K).
 */
export function weightParts(wt: GemvWeights & { format: 'int8' | 'int4' }, row: number, col: number): { q: number; scale: number } {
  const ldw = wt.units * elementsPerUnit(wt.format);
  if (wt.format === 'int8') {
    const e = row * ldw + col;
    const byte = (fillU32(wt.seedW, Math.floor(e / 4)) >>> (8 * (e % 4))) & 0xff;
    return { q: byte >= 128 ? byte - 256 : byte, scale: fillF32(wt.seedS, row, INT8_SCALE) };
  }
  const unit = row * wt.units + Math.floor(col / 32);
  const e = col % 32;
  const word = fillU32(wt.seedW, unit * 4 + (e >> 3));
  const t = e & 7;
  const nibble = (word >>> (8 * (t & 3) + 4 * (t >> 2))) & 0xf;
  return { q: nibble - 8, scale: fillF16(wt.seedS, unit, INT4_SCALE) };
}

function isIntWeights(wt: GemvWeights): wt is GemvWeights & { format: 'int8' | 'int4' } {
  return wt.format === 'int8' || wt.format === 'int4';
}

/** Dequantized weight W[row, col] exactly as formats.wgsl decodes it (col < K). */
export function weightAt(wt: GemvWeights, row: number, col: number): number {
  const ldw = wt.units * elementsPerUnit(wt.format);
  if (isIntWeights(wt)) {
    const { q, scale } = weightParts(wt, row, col);
    return q * scale;
  }
  return wt.format === 'f32' ? fillF32(wt.seedW, row * ldw + col) : fillF16(wt.seedW, row * ldw + col);
}

/** float64 Y[b, row] from the same weights and X (X rows of stride ldw). */
export function gemvReference(wt: GemvWeights, x: Float32Array, row: number, b: number): number {
  const ldw = wt.units * elementsPerUnit(wt.format);
  let sum = 0;
  for (let k = 0; k < wt.k; k++) sum += weightAt(wt, row, k) * (x[b * ldw + k] ?? NaN);
  return sum;
}

/** X quantization block of rowset-q8x: 32 activations, one scale. */
export const Q8X_BLOCK = 32;
/** f32(1/127): the block scale is d = f32(amax · C127), one correctly rounded multiply. */
export const C127 = Math.fround(1 / 127);

const f32View = new DataView(new ArrayBuffer(4));
function f32Bits(v: number): number {
  f32View.setFloat32(0, v, true);
  return f32View.getUint32(0, true);
}
function bitsF32(bits: number): number {
  f32View.setUint32(0, bits >>> 0, true);
  return f32View.getFloat32(0, true);
}

/**
 * 127 / amax rounded toward zero to f32, by the integer restoring division of inv_scale in
 * shaders/gemv/q8x.wgsl (same steps, so the same bits); 0 when amax < 2^-119 (exponent field < 8).
 */
export function invScale127(amax: number): number {
  const bits = f32Bits(amax);
  const e = bits >>> 23;
  if (e < 8) return 0;
  const ma = (bits & 0x7fffff) | 0x800000;
  let r = 127 * 2 ** 17;
  let q = r >= ma ? 1 : 0;
  if (q === 1) r -= ma;
  for (let i = 0; i < 24; i++) {
    r *= 2;
    const ge = r >= ma;
    if (ge) r -= ma;
    q = 2 * q + (ge ? 1 : 0);
  }
  let j = 41;
  if (q >= 2 ** 24) {
    q = Math.floor(q / 2);
    j = 40;
  }
  return bitsF32((((300 - e - j) << 23) | (q & 0x7fffff)) >>> 0);
}

/** WGSL round(): nearest integer, halfway cases to the even one. */
export function roundHalfEven(t: number): number {
  const f = Math.floor(t);
  const diff = t - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * One X block as rowset-q8x quantizes it (quant_block in shaders/gemv/q8x.wgsl): s = invScale127(amax),
 * q = round-half-even(f32(x · s)) in [−127, 127], d = f32(amax · C127), S = Σ q over the elements
 * 8t..8t+3 (the X vec4s 0, 2, 4, 6 of a block of 32, which meet int4 low nibbles: the int4 kernel's
 * zero-point term).
 */
export function quantizeXBlock(v: ArrayLike<number>): { q: Int8Array; d: number; sum: number } {
  let amax = 0;
  for (let i = 0; i < v.length; i++) amax = Math.max(amax, Math.abs(v[i] ?? 0));
  const s = invScale127(amax);
  const q = new Int8Array(v.length);
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    const qi = roundHalfEven(Math.fround((v[i] ?? 0) * s));
    q[i] = qi;
    if ((i & 4) === 0) sum += qi;
  }
  return { q, d: Math.fround(amax * C127), sum };
}

/** X [B, ldw] quantized per block of 32 (zero past ldw): q [B, blocks·32], d and S [B, blocks]. */
export interface QuantizedX {
  blocks: number;
  q: Int8Array;
  d: Float64Array;
  sum: Float64Array;
}

export function quantizeX(x: Float32Array, ldw: number, batch: number): QuantizedX {
  const blocks = Math.ceil(ldw / Q8X_BLOCK);
  const out: QuantizedX = { blocks, q: new Int8Array(batch * blocks * Q8X_BLOCK), d: new Float64Array(batch * blocks), sum: new Float64Array(batch * blocks) };
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < blocks; j++) {
      const v = new Float32Array(Q8X_BLOCK);
      for (let i = 0; i < Q8X_BLOCK && j * Q8X_BLOCK + i < ldw; i++) v[i] = x[b * ldw + j * Q8X_BLOCK + i] ?? 0;
      const qb = quantizeXBlock(v);
      out.q.set(qb.q, (b * blocks + j) * Q8X_BLOCK);
      out.d[b * blocks + j] = qb.d;
      out.sum[b * blocks + j] = qb.sum;
    }
  }
  return out;
}

/**
 * float64 Y[b, row] of rowset-q8x: Σ over X blocks j of d_j · (exact integer Σ_k qw·qx), times the
 * int8 row scale or each int4 block's scale. Columns past K have qx = 0 (X is zero there).
 */
export function gemvQ8xReference(wt: GemvWeights & { format: 'int8' | 'int4' }, xq: QuantizedX, row: number, b: number): number {
  let sum = 0;
  let rowScale = 1;
  for (let j = 0; j < xq.blocks; j++) {
    let isum = 0;
    let blockScale = 1;
    for (let i = 0; i < Q8X_BLOCK; i++) {
      const col = j * Q8X_BLOCK + i;
      const qx = xq.q[(b * xq.blocks + j) * Q8X_BLOCK + i] ?? 0;
      if (col >= wt.k) break;
      const { q, scale } = weightParts(wt, row, col);
      isum += q * qx;
      if (wt.format === 'int8') rowScale = scale;
      else blockScale = scale;
    }
    sum += blockScale * (xq.d[b * xq.blocks + j] ?? NaN) * isum;
  }
  return rowScale * sum;
}

/**
 * rowset-q8x sums n = ⌈K/32⌉ block terms in f32 (each an exact integer times one or two rounded
 * scale products, at most 3 roundings) after exact integer block sums; with |w| ≤ 1 and
 * |d·q| ≤ amax < 1 the terms' magnitudes add up to at most K, so abs = 4u·√n·K (the probabilistic
 * bound of gemvTolerance over n terms instead of K, 2× for the scale products) and rel = 2^-20 for the
 * final row-scale multiply. 0.031 at K = 8192, 1.3e-4 at K = 203, where one quantized activation off
 * by one would move y by d·|w| ≈ 1e-3.
 */
export function gemvQ8xTolerance(s: GemvShape): Tolerance {
  const n = Math.ceil(s.k / Q8X_BLOCK);
  return { abs: 4 * 2 ** -24 * Math.sqrt(n) * s.k, rel: 2 ** -20 };
}

/**
 * WGSL of one GEMV kernel: the kernel text, then the shared bindings and unit work
 * (accumulate.wgsl), the weight formats and one f16 decode. WGSL has no include; module-scope
 * declarations may follow their use, so the kernel's own directives stay first. `native` adds
 * `enable f16;` and widens halves through the f16 type.
 */
export function buildGemvWgsl(kernel: string, f16: 'packed' | 'native'): string {
  return [f16 === 'native' ? 'enable f16;' : '', kernel, accumulateWgsl, formatsWgsl, f16 === 'native' ? f16NativeWgsl : f16PackedWgsl].join('\n');
}

/** Specialization of one instance (also recorded in the result). */
export interface GemvConfig {
  /** Invocations per workgroup. */
  wg: number;
  /** Rows per subgroup (subgroup kernels: 1, 2 or 4; 1 elsewhere). */
  rows: number;
  /** Batch columns per pass over the weights: 1, 4 or 8. */
  bt: number;
  /** Pieces each lane loads before using any (rowset: 1, 2 or 4; 1 elsewhere). */
  unroll: number;
  /** u32 words per lane piece (rowset int8/int4: 1, 2 or 4; 4 = a whole unit, as everywhere else). */
  pw: number;
  /**
   * rowset-q8x: 1 = X quantized by every workgroup into workgroup memory; 0 = by a quantize_x dispatch
   * first (eight invocations per block of 32, one X vec4 each).
   */
  xq?: number;
  /** rowset-q8x: row sets per workgroup (the grid is ⌈sets / spw⌉ workgroups, each looping over its sets). */
  spw?: number;
}

/** u32 words of a rowset lane piece: `pw` (1, 2 or 4) for int8/int4, a whole unit (4) for f32 and f16. */
export function rowsetWords(format: GemvFormat, pw: number): number {
  return format === 'int8' || format === 'int4' ? pw : 4;
}

/**
 * The run of one weight row that rowset lane-piece `pc` reads (mirror of load_piece/add_piece in
 * shaders/gemv/rowset.wgsl): 16-byte unit `unit`, u32 words [word, word + words) of that unit, and
 * X vec4s [xVec, xVec + xVecs) of the row's X. Consecutive pieces are consecutive words, so
 * consecutive lanes read consecutive words; smaller pieces put their X closer together.
 */
export function rowsetPiece(format: GemvFormat, pc: number, pw: number): { unit: number; word: number; words: number; xVec: number; xVecs: number } {
  const words = rowsetWords(format, pw);
  const perUnit = 4 / words;
  const xVecs = elementsPerUnit(format) / 4 / perUnit;
  return { unit: Math.floor(pc / perUnit), word: (pc % perUnit) * words, words, xVec: pc * xVecs, xVecs };
}

/** Pieces in one weight row of `units` 16-byte units (the rowset kernel's K loop). */
export function rowsetPieces(format: GemvFormat, units: number, pw: number): number {
  return (units * 4) / rowsetWords(format, pw);
}

/**
 * Batch columns per pass over the weights: 1, 4 or 8 (accumulate.wgsl keeps them as one scalar or
 * one or two vec4 per row; B = 2 or 3 computes padding columns that are never stored). B > 8 takes
 * ceil(B / 8) passes, the later ones mostly reading W from L2.
 */
export function batchTile(b: number): 1 | 4 | 8 {
  return b === 1 ? 1 : b <= 4 ? 4 : 8;
}

/** Split count for split-K: enough subgroups for one wave, each lane still looping over ≥ 4 units; at least 2. */
export function splitCount(sets: number, units: number, sgHint: number): { splits: number; chunk: number } {
  const most = Math.max(2, Math.floor(units / (4 * sgHint)));
  const want = Math.min(most, Math.max(2, Math.ceil(SPLITK_TARGET_SUBGROUPS / sets)));
  const chunk = Math.ceil(units / Math.min(want, units));
  return { splits: Math.ceil(units / chunk), chunk };
}

/** Configurations tried per variant (autotuned where more than one; the runner verifies the winner). */
export function gemvConfigs(variant: GemvVariant, format: GemvFormat, s: GemvShape, units: number): GemvConfig[] {
  const bt = batchTile(s.b);
  switch (variant) {
    case 'naive':
      return [{ wg: 64, rows: 1, bt, unroll: 1, pw: 4 }];
    case 'row':
      // Fewer invocations than units per row leaves none idle on short int4 rows (128 units at K = 4096).
      return [{ wg: units >= 512 ? 256 : units >= 128 ? 128 : 64, rows: 1, bt, unroll: 1, pw: 4 }];
    case 'subgroup':
    case 'subgroup-native':
      // More rows per subgroup = more loads in flight per lane but fewer subgroups, and each X load
      // serves more rows: int4 reads 8 vec4 of X (128 B) per 16 B of weights, so at ROWS = 1 the L1
      // traffic of X, not DRAM, may bound it. Workgroups of 128 or 256 (4 or 8 subgroups of 32)
      // change how many row sets an SM holds.
      return [128, 256].flatMap((wg) => [1, 2, 4].map((rows) => ({ wg, rows, bt, unroll: 1, pw: 4 })));
    case 'splitk':
      return [1, 2].map((rows) => ({ wg: 256, rows, bt, unroll: 1, pw: 4 }));
    case 'rowset': {
      // Rows per set trade X reuse (each X vec4 serves ROWS rows) against workgroups (N / ROWS; at
      // 4096 rows and ROWS = 4 that is 1024, about one wave). UNROLL × ROWS loads are in flight per
      // lane. For int8/int4 the piece size PW trades X contiguity (1 word) against instructions per
      // weight (4 words: one load and one int4 scale per 32 weights): all three are tried, with
      // (ROWS, UNROLL) pairs that keep ≥ 16 B in flight per lane; ROWS = 1 lost to 2 and 4 in every int
      // case on the H100 (run 3). f32 and f16 pieces are whole units.
      // A candidate needs UNROLL pieces for every lane of a workgroup of 128 or 256 (else its unrolled
      // loop never runs, or lanes idle). Rows too short for any (K below 512 weights for f32 and int8,
      // 1024 for f16 and int4; no model layer) get one configuration: workgroups of 64, 2 rows, the
      // smallest piece.
      // One row set per workgroup: 4 sets per workgroup (the kernel supports any, loading a set's first
      // pieces before the previous set's reduction) never beat it on the H100 outside the noise
      // (bench/notes/gemv.md, 2nd q8x call), so it is not offered.
      const int = format === 'int8' || format === 'int4';
      const shapes: (readonly [number, number, number])[] = int
        ? [[1, 2, 2], [1, 2, 4], [1, 4, 1], [1, 4, 2], [1, 4, 4], [2, 2, 2], [2, 4, 1], [2, 4, 2], [4, 2, 1], [4, 4, 1], [4, 4, 2]]
        : [1, 2, 4].flatMap((rows) => [1, 2, 4].map((unroll) => [4, rows, unroll] as const));
      // Workgroups of 64 as well: the H100 holds 32 workgroups per SM, so 4096 row sets of 64 lanes
      // (f32 4096² at ROWS = 1) are one wave, where 128 lanes take two and leave a tail.
      const all = [64, 128, 256].flatMap((wg) => shapes.map(([pw, rows, unroll]) => ({ wg, rows, bt, unroll, pw })));
      const fitting = all.filter((c) => rowsetPieces(format, units, c.pw) >= c.unroll * c.wg);
      return fitting.length > 0 ? fitting : [{ wg: 64, rows: 2, bt, unroll: 1, pw: int ? 1 : 4 }];
    }
    case 'rowset-q8x': {
      // With DP4A an int4 word (8 weights) costs 2 integer ops and 2 dot products, so the per-lane
      // work is small and more bytes per lane pay: pieces of 2 or 4 words (int8 needs PW ≥ 2: a piece
      // meets whole X vec2s), ROWS 2 or 4 (each X load serves ROWS rows), 64-128 B in flight per lane.
      // Rows of fewer than 512 two-word pieces (int4 K < 8192, int8 K < 4096) also get workgroups of
      // 64: int4 K = 4096 is only 128 pieces of 4 words.
      // X quantized by every workgroup (xq = 1) repeats the quantization, and X's L2 reads, once per
      // workgroup; a separate dispatch (xq = 0) costs a dependent dispatch instead. Row sets per workgroup (the kernel loads the next set's first
      // pieces before reducing the current one): 1, 4 or 16 with the separate pass; 4 when fused (the
      // separate pass won 37 of 38 cases on the H100 and fused with 1 or 16 sets never won:
      // bench/notes/gemv.md).
      const shapes: (readonly [number, number, number])[] = [[2, 4, 2], [4, 2, 2], [4, 4, 1], [4, 4, 2]];
      const modes: (readonly [number, number])[] = [[1, 4], [0, 1], [0, 4], [0, 16]];
      const wgs = rowsetPieces(format, units, 2) < 512 ? [64, 128, 256] : [128, 256];
      // Batch tiles of 1, 4 or 8 columns per pass over W with the separate pass (every column's X is
      // quantized before main starts); fused holds one column in workgroup memory, so B > 1 loops.
      const qbt = (xq: number): number => (xq === 1 ? 1 : bt);
      const all = wgs.flatMap((wg) => shapes.flatMap(([pw, rows, unroll]) => modes.map(([xq, spw]) => ({ wg, rows, bt: qbt(xq), unroll, pw, xq, spw }))));
      const fitting = all.filter((c) => rowsetPieces(format, units, c.pw) >= c.unroll * c.wg);
      return fitting.length > 0 ? fitting : [1, 0].map((xq) => ({ wg: 64, rows: 2, bt: qbt(xq), unroll: 1, pw: 2, xq, spw: 1 }));
    }
  }
}

/** Workgroup memory of a rowset-q8x configuration: the reduction slots, plus X (K bytes + 8 B per block of 32) when quantized in the workgroup. */
export function q8xSharedBytes(cfg: Pick<GemvConfig, 'wg' | 'xq'>, xBlocks: number): number {
  return 32 * cfg.wg + (cfg.xq === 1 ? 40 * xBlocks : 0);
}

function bindGroup(device: GPUDevice, pipeline: GPUComputePipeline, label: string, entries: readonly (readonly [number, GPUBuffer])[]): GPUBindGroup {
  return device.createBindGroup({ label, layout: pipeline.getBindGroupLayout(0), entries: entries.map(([binding, buffer]) => ({ binding, resource: { buffer } })) });
}

const KERNEL: Record<GemvVariant, string> = {
  naive: naiveWgsl,
  row: rowWgsl,
  subgroup: subgroupWgsl,
  splitk: subgroupWgsl,
  'subgroup-native': subgroupWgsl,
  rowset: `${rowsetWgsl}\n${piecesWgsl}`,
  'rowset-q8x': `${q8xWgsl}\n${piecesWgsl}`,
};

const DESCRIPTION: Record<GemvVariant, string> = {
  naive: 'one invocation per row (uncoalesced baseline)',
  row: 'one workgroup per row, vec4 loads, tree reduction in workgroup memory',
  subgroup: 'ROWS rows per subgroup, vec4 loads, subgroupAdd (autotuned ROWS)',
  splitk: 'subgroup kernel over K chunks into partials + a reduce pass (few-row, long-K shapes)',
  'subgroup-native': 'subgroup kernel, f16 weights widened through the shader-f16 type',
  rowset: 'workgroup per ROWS rows, lanes over pieces of 1-4 consecutive words (int8/int4; X loads near-contiguous), subgroup + workgroup reduction (autotuned)',
  'rowset-q8x': 'rowset with X quantized to int8 (blocks of 32, f32 scale) in the timed execution and dot4I8Packed (DP4A) block sums: int8-activation contract (autotuned)',
};

/** The spec of one variant in one weight format; `pinned` fixes parts of the configuration (tests use it to check every autotune candidate). */
export function gemvSpec(variant: GemvVariant, format: GemvFormat, pinned?: Partial<GemvConfig>): KernelSpec<GemvShape> {
  const native = variant === 'subgroup-native';
  if (native && format !== 'f16') throw new Error(`gemv variant ${variant} exists for f16 weights only, not ${format}`);
  const q8x = variant === 'rowset-q8x';
  if (q8x && format !== 'int8' && format !== 'int4') throw new Error(`gemv variant ${variant} exists for int8 and int4 weights only, not ${format}`);
  const subgroups = variant === 'subgroup' || variant === 'splitk' || variant === 'rowset' || q8x || native;
  const code = buildGemvWgsl(KERNEL[variant], native ? 'native' : 'packed');
  const requires = [...(subgroups ? ['subgroups'] : []), ...(native ? ['shader-f16'] : [])];
  return {
    family: 'gemv',
    variant,
    dtype: format,
    phase: 'decode',
    description: `Y = W·X, ${format} weights [N, K]${q8x ? ' as integers' : ' dequantized in-kernel'}: ${DESCRIPTION[variant]}`,
    wgsl: [code],
    requires,
    check(ctx, s) {
      if (![s.n, s.k, s.b].every((v) => Number.isInteger(v) && v >= 1)) throw new SkipCase(`gemv shape n=${s.n}, k=${s.k}, b=${s.b} needs positive integers`);
      const l = gemvLayout(format, s.n, s.k);
      const maxBind = maxBindingBytes(ctx.limits);
      // Split-K partials are largest with 2 rows per subgroup (fewer row sets, more splits).
      const splits = variant === 'splitk' ? splitCount(Math.ceil(s.n / 2), l.units, ctx.info.subgroup_max_size ?? 32).splits : 1;
      const biggest = Math.max(4 * l.weightWords, 4 * s.b * l.ldw, 4 * splits * s.b * s.n);
      if (biggest > maxBind) throw new SkipCase(`gemv ${format} n=${s.n}, k=${s.k}, b=${s.b} needs a ${biggest} B buffer, over this device's limit of ${maxBind} B`);
    },
    flops: gemvFlops,
    bytes: (s) => gemvBytes(format, s),
    tolerance: q8x ? gemvQ8xTolerance : gemvTolerance,
    build: (ctx, s, rng) => buildGemv(ctx, variant, format, code, s, rng, pinned),
  };
}

async function buildGemv(ctx: GpuContext, variant: GemvVariant, format: GemvFormat, code: string, s: GemvShape, rng: Rng, pinned?: Partial<GemvConfig>): Promise<KernelInstance> {
  const { device } = ctx;
  const l = gemvLayout(format, s.n, s.k);
  const maxDim = maxWorkgroupsPerDim(ctx.limits);
  const maxWg = Math.min(ctx.limits.maxComputeInvocationsPerWorkgroup ?? 256, ctx.limits.maxComputeWorkgroupSizeX ?? 256);
  const sgHint = ctx.info.subgroup_max_size ?? 32;
  const wt: GemvWeights = { format, n: s.n, k: s.k, units: l.units, seedW: hashSeed(rng.int(0x7fffffff)), seedS: hashSeed(rng.int(0x7fffffff)) };
  const owned: GPUBuffer[] = [];
  const own = (b: GPUBuffer): GPUBuffer => (owned.push(b), b);
  try {
    // W (and scales), generated on the GPU: the host never holds the matrix. All copies hold the same data.
    const copies = weightCopies(l.weightBytes);
    const wMode: FillMode = format === 'f32' ? 'f32' : format === 'f16' ? 'f16x2' : 'u32';
    const weights: { w: GPUBuffer; sc: GPUBuffer }[] = [];
    for (let c = 0; c < copies; c++) {
      const w = own(emptyBuffer(device, 4 * l.weightWords, `gemv-w${c}`));
      await fillBuffer(ctx, w, l.weightWords, wMode, wt.seedW);
      // f32 and f16 read no scales; the binding still exists in the module, so it gets a small buffer.
      const sc = own(emptyBuffer(device, 4 * Math.max(4, l.scaleWords), `gemv-scales${c}`));
      if (format === 'int8') await fillBuffer(ctx, sc, l.scaleWords, 'f32', wt.seedS, INT8_SCALE);
      if (format === 'int4') await fillBuffer(ctx, sc, l.scaleWords, 'f16x2', wt.seedS, INT4_SCALE);
      weights.push({ w, sc });
    }
    // X [B, ldw], zero past K (the padding contract above); small, so made on the host.
    const x = new Float32Array(s.b * l.ldw);
    for (let b = 0; b < s.b; b++) x.set(rng.f32(s.k), b * l.ldw);
    const xBuf = own(uploadBuffer(device, x, 'gemv-x'));
    const y = own(emptyBuffer(device, 4 * s.b * s.n, 'gemv-y'));
    // rowset-q8x: quantized X (vec2<u32> per 8 activations) and (d, S) per block, for the separate
    // quantize_x dispatch; the fused configurations bind them without using them.
    const q8x = variant === 'rowset-q8x';
    const xBlocks = Math.ceil(l.ldw / Q8X_BLOCK);
    const gxq = q8x ? own(emptyBuffer(device, 8 * 4 * xBlocks * s.b, 'gemv-xq')) : null;
    const gxb = q8x ? own(emptyBuffer(device, 8 * xBlocks * s.b, 'gemv-xblocks')) : null;
    const maxShared = ctx.limits.maxComputeWorkgroupStorageSize ?? 16384;

    // Pinning can make candidates equal: keep one of each.
    // rowset-q8x fused (xq = 1) holds one column of X in workgroup memory: batch tile 1 whatever is pinned.
    const q8xTile = (c: GemvConfig): GemvConfig => (q8x ? { ...c, bt: c.xq === 1 ? 1 : (pinned?.bt ?? batchTile(s.b)) } : c);
    const configs = [...new Map(gemvConfigs(variant, format, s, l.units).map((c) => q8xTile({ ...c, ...pinned })).map((c) => [JSON.stringify(c), c] as const)).values()].filter(
      (c) => c.wg <= maxWg && (!q8x || q8xSharedBytes(c, xBlocks) <= maxShared),
    );
    if (configs.length === 0) throw new SkipCase(`gemv ${variant} needs workgroups of 64-256 invocations (this device allows ${maxWg}) and, for rowset-q8x, workgroup memory for its reduction (this device has ${maxShared} B)`);
    const candidates: Candidate<Record<string, string | number>>[] = [];
    for (const cfg of configs) {
      const fused = cfg.xq === 1;
      const constants: Record<string, number> = {
        WG: cfg.wg,
        ROWS: cfg.rows,
        BT: cfg.bt,
        FORMAT: FORMAT_CODE[format],
        ...(variant === 'rowset' || q8x ? { UNROLL: cfg.unroll, PW: cfg.pw } : {}),
        ...(q8x ? { XQ: fused ? 1 : 0, QV: fused ? 4 * xBlocks : 1, QB: fused ? xBlocks : 1 } : {}),
      };
      const pipeline = await getPipeline(device, { label: `gemv-${variant}-${format}`, code, entryPoint: 'main', constants });
      const sets = Math.ceil(s.n / cfg.rows);
      let grid: [number, number];
      let splits = 1;
      let chunk = l.units;
      let reduce: { pipeline: GPUComputePipeline; grid: [number, number]; bind: GPUBindGroup } | null = null;
      let out = y;
      if (variant === 'naive') grid = dispatch2d(Math.ceil(s.n / cfg.wg), maxDim);
      else if (variant === 'row') grid = dispatch2d(s.n, maxDim);
      else if (variant === 'rowset' || q8x) grid = dispatch2d(Math.ceil(sets / (cfg.spw ?? 1)), maxDim);
      else {
        if (variant === 'splitk') ({ splits, chunk } = splitCount(sets, l.units, sgHint));
        grid = dispatch2d(Math.ceil((sets * splits) / Math.max(1, Math.floor(cfg.wg / sgHint))), maxDim);
      }
      const reduceGrid = dispatch2d(Math.ceil((s.n * s.b) / cfg.wg), maxDim);
      const groupsX = variant === 'naive' || variant === 'row' || variant === 'rowset' || q8x ? grid[0] : reduceGrid[0];
      // The row-set kernels loop over sets with the grid's size as stride (p.stride).
      const params = own(uniformBuffer(device, new Uint32Array([s.n, l.units, s.b, groupsX, splits, chunk, sets, grid[0] * grid[1]]), `gemv-params`));
      if (variant === 'splitk') {
        out = own(emptyBuffer(device, 4 * splits * s.b * s.n, 'gemv-partials'));
        const rp = await getPipeline(device, { label: `gemv-splitk-reduce`, code, entryPoint: 'reduce', constants });
        reduce = { pipeline: rp, grid: reduceGrid, bind: bindGroup(device, rp, 'gemv-reduce', [[3, y], [4, params], [5, out]]) };
      }
      let quantize: { pipeline: GPUComputePipeline; groups: number; bind: GPUBindGroup } | null = null;
      const extra: (readonly [number, GPUBuffer])[] = [];
      if (q8x && gxq && gxb) {
        const qparams = own(uniformBuffer(device, new Uint32Array([xBlocks, 4 * xBlocks, 0, 0]), 'gemv-q8x-params'));
        extra.push([5, gxq], [6, gxb], [7, qparams]);
        if (!fused) {
          // quantize_x reads only FORMAT (and uniforms): one pipeline per format, whatever the main kernel's configuration.
          const qp = await getPipeline(device, { label: 'gemv-q8x-quantize', code, entryPoint: 'quantize_x', constants: { FORMAT: FORMAT_CODE[format] } });
          // Eight invocations per X block.
          const groups = Math.ceil((8 * s.b * xBlocks) / 64);
          if (groups > maxDim) throw new SkipCase(`gemv ${variant}: ${groups} quantization workgroups exceed this device's ${maxDim} per dimension`);
          quantize = { pipeline: qp, groups, bind: bindGroup(device, qp, 'gemv-q8x-quantize', [[2, xBuf], [4, params], [5, gxq], [6, gxb], [7, qparams]]) };
        }
      }
      const binds = weights.map((wc, c) =>
        bindGroup(device, pipeline, `gemv-${variant}-${c}`, [
          [0, wc.w],
          [1, wc.sc],
          [2, xBuf],
          [3, out],
          [4, params],
          ...extra,
        ]),
      );
      let next = 0;
      const red = reduce;
      const quant = quantize;
      candidates.push({
        config: {
          workgroup: cfg.wg,
          ...(KERNEL[variant] === subgroupWgsl ? { rows_per_subgroup: cfg.rows } : {}),
          ...(variant === 'rowset' || q8x ? { rows_per_workgroup: cfg.rows, unroll: cfg.unroll, piece_words: rowsetWords(format, cfg.pw) } : {}),
          ...(q8x ? { x_quant: fused ? 'fused' : 'pass' } : {}),
          ...(variant === 'rowset' || q8x ? { sets_per_workgroup: cfg.spw ?? 1, workgroups: grid[0] * grid[1] } : {}),
          batch_tile: cfg.bt,
          ...(variant === 'splitk' ? { splits, chunk_units: chunk } : {}),
          weight_copies: copies,
          ...(format === 'f16' ? { f16: variant === 'subgroup-native' ? 'native' : 'packed' } : {}),
        },
        encode(pass) {
          // Each execution reads the next copy of W, cold in L2 (see the module comment).
          const bind = binds[next] ?? binds[0];
          next = (next + 1) % binds.length;
          if (quant) {
            pass.setPipeline(quant.pipeline);
            pass.setBindGroup(0, quant.bind);
            pass.dispatchWorkgroups(quant.groups);
          }
          pass.setPipeline(pipeline);
          if (bind) pass.setBindGroup(0, bind);
          pass.dispatchWorkgroups(grid[0], grid[1]);
          if (red) {
            pass.setPipeline(red.pipeline);
            pass.setBindGroup(0, red.bind);
            pass.dispatchWorkgroups(red.grid[0], red.grid[1]);
          }
        },
      });
    }
    const { best, timings } = await autotune(ctx, candidates);
    const xq = q8x && isIntWeights(wt) ? quantizeX(x, l.ldw, s.b) : null;
    const tuned = candidates.length > 1 ? { tuned_ms: timings.map((t) => (Number.isFinite(t) ? t.toPrecision(3) : 'none')).join('/') } : {};
    return {
      outputCount: s.b * s.n,
      config: { ...best.config, ...tuned },
      encode: best.encode,
      async readOutputs(indices) {
        return new Float32Array((await readWords(device, y, indices)).buffer);
      },
      reference: (i) => (xq && isIntWeights(wt) ? gemvQ8xReference(wt, xq, i % s.n, Math.floor(i / s.n)) : gemvReference(wt, x, i % s.n, Math.floor(i / s.n))),
      destroy() {
        for (const b of owned) b.destroy();
      },
    };
  } catch (e) {
    for (const b of owned) b.destroy();
    throw e;
  }
}

/** Every GEMV spec: the five cooperative-or-not variants in every format, native-f16 subgroup, and int8-activation rowset-q8x for int8 and int4. */
export const GEMV_SPECS: readonly KernelSpec<GemvShape>[] = [
  ...(['naive', 'row', 'subgroup', 'splitk', 'rowset'] as const).flatMap((v) => GEMV_FORMATS.map((f) => gemvSpec(v, f))),
  gemvSpec('subgroup-native', 'f16'),
  gemvSpec('rowset-q8x', 'int8'),
  gemvSpec('rowset-q8x', 'int4'),
];

function spec(variant: GemvVariant, format: GemvFormat): KernelSpec<GemvShape> {
  const found = GEMV_SPECS.find((s) => s.variant === variant && s.dtype === format);
  if (!found) throw new Error(`internal: no gemv spec ${variant}/${format}`);
  return found;
}

/** Square shapes of the GEMV goals (4096² f32 is 64 MiB, 16384² f32 is 1 GiB). */
export const GEMV_SQUARES = [4096, 8192, 16384] as const;

/**
 * Cases per preset:
 *   test  — odd N and K (K not a multiple of any unit, so every format pads), B = 1, 3 and 11 (a
 *           partial second batch tile), a long-K split-K shape: seconds on SwiftShader;
 *   quick — 8192² in every variant and format, a few batch sizes (subgroup and rowset);
 *   full  — 4096², 8192², 16384² in every variant and format; Llama-3-8B's decode layers (QKV, O,
 *           gate/up, down, LM head) in subgroup, split-K, rowset and rowset-q8x; the batch sweep
 *           B = 1…64 at 8192² in subgroup, rowset and rowset-q8x (int8, int4: batch tiles of 4 or 8
 *           columns per pass over W since session 3).
 */
export function gemvCases(preset: Preset): BenchCase[] {
  const cases: BenchCase[] = [];
  const add = (v: GemvVariant, f: GemvFormat, shape: GemvShape): void => {
    const c = makeCase(spec(v, f), shape);
    if (!cases.some((d) => d.id === c.id)) cases.push(c);
  };
  const basic = ['naive', 'row', 'subgroup', 'splitk', 'rowset'] as const;
  const everyVariant = (shape: GemvShape): void => {
    for (const v of basic) for (const f of GEMV_FORMATS) add(v, f, shape);
    add('subgroup-native', 'f16', shape);
    add('rowset-q8x', 'int8', shape);
    add('rowset-q8x', 'int4', shape);
  };
  if (preset === 'test') {
    everyVariant({ n: 37, k: 203, b: 1 });
    everyVariant({ n: 19, k: 77, b: 3 });
    // rowset's batch tiles are covered by its own autotune-candidate test (B = 2, 3, 11).
    for (const f of GEMV_FORMATS) add('subgroup', f, { n: 13, k: 45, b: 11 });
    for (const f of GEMV_FORMATS) add('splitk', f, { n: 5, k: 1003, b: 2 });
    return cases;
  }
  if (preset === 'quick') {
    everyVariant({ n: 8192, k: 8192, b: 1 });
    for (const b of [8, 64]) for (const f of GEMV_FORMATS) for (const v of ['subgroup', 'rowset'] as const) add(v, f, { n: 8192, k: 8192, b });
    return cases;
  }
  for (const n of GEMV_SQUARES) everyVariant({ n, k: n, b: 1 });
  for (const layer of linearLayers(LLAMA3_8B)) {
    for (const f of GEMV_FORMATS) {
      for (const v of ['subgroup', 'splitk', 'rowset'] as const) add(v, f, { n: layer.n, k: layer.k, b: 1 });
    }
    for (const f of ['int8', 'int4'] as const) add('rowset-q8x', f, { n: layer.n, k: layer.k, b: 1 });
  }
  // Controls for the long-K down layer (N = 4096, K = 14336; bench/notes/gemv.md, session 3): the same
  // rows with a row one int4 block longer (K + 32: another row stride, the same work per row), and a
  // power-of-two K (16384) with the same few rows.
  for (const k of [LLAMA3_8B.intermediate + 32, 16384]) {
    for (const f of ['f16', 'int8', 'int4'] as const) add('rowset', f, { n: LLAMA3_8B.hidden, k, b: 1 });
    for (const f of ['int8', 'int4'] as const) add('rowset-q8x', f, { n: LLAMA3_8B.hidden, k, b: 1 });
  }
  for (const b of DECODE_BATCHES) for (const f of GEMV_FORMATS) for (const v of ['subgroup', 'rowset'] as const) add(v, f, { n: 8192, k: 8192, b });
  for (const b of DECODE_BATCHES) for (const f of ['int8', 'int4'] as const) add('rowset-q8x', f, { n: 8192, k: 8192, b });
  return cases;
}
