/**
 * Prefill GEMM family: the ladder from a naive kernel to tensor cores.
 *   naive            one invocation per output element;
 *   tiled            16×16 workgroup-memory tiles, one output per invocation;
 *   regblock         8×8 register micro-tiles, vec4 workgroup loads, tiles staged k-major
 *                    (transposed) or, for A·Wᵀ, K-contiguous (coalesced loads, whole-vec4 stores),
 *                    double- or single-buffered, block shape autotuned per device and shape;
 *   regblock/f16     the same with f16 storage (half the traffic), f32 multiply-add and accumulation;
 *   regblock-hfma    f16 storage and packed f16 multiply-add inside each k tile, f32 across tiles;
 *   subgroup-matrix  f16 tensor cores (chromium-experimental-subgroup-matrix), f32 accumulation;
 *                    generated per configuration with literal matrix-load offsets; subgroup
 *                    pieces, block shape, tile depth and stages autotuned; split-K with a reduce
 *                    pass for short prompts.
 * The main layout is C = A·Wᵀ with W [N,K] as framework linear layers store it (variants without a
 * suffix); `-ab` variants compute the textbook C = A·B with B [K,N]. C is always f32.
 */
import naiveWgsl from '../../shaders/gemm/naive.wgsl?raw';
import tiledWgsl from '../../shaders/gemm/tiled.wgsl?raw';
import commonWgsl from '../../shaders/gemm/common.wgsl?raw';
import ioF32Wgsl from '../../shaders/gemm/io-f32.wgsl?raw';
import ioF16Wgsl from '../../shaders/gemm/io-f16.wgsl?raw';
import halfF32Wgsl from '../../shaders/gemm/half-f32.wgsl?raw';
import halfF16Wgsl from '../../shaders/gemm/half-f16.wgsl?raw';
import regblockWgsl from '../../shaders/gemm/regblock.wgsl?raw';
import regblockIoF32Wgsl from '../../shaders/gemm/regblock-io-f32.wgsl?raw';
import regblockIoF16Wgsl from '../../shaders/gemm/regblock-io-f16.wgsl?raw';
import regblockKcWgsl from '../../shaders/gemm/regblock-kc.wgsl?raw';
import regblockKcIoF32Wgsl from '../../shaders/gemm/regblock-kc-io-f32.wgsl?raw';
import regblockKcIoF16Wgsl from '../../shaders/gemm/regblock-kc-io-f16.wgsl?raw';
import reduceWgsl from '../../shaders/gemm/reduce.wgsl?raw';
import subgroupMatrixBody from '../../shaders/gemm/subgroup-matrix.wgsl?raw';
import { emptyBuffer, readWords, uniformBuffer } from '../gpu/buffers';
import { type GpuContext, maxBindingBytes, maxWorkgroupsPerDim } from '../gpu/device';
import { SkipCase, errorMessage } from '../gpu/errors';
import { fillBuffer } from '../gpu/fill';
import { bindBuffers, dispatch2d, getPipeline } from '../gpu/pipeline';
import type { Encode } from '../gpu/timer';
import { autotune, type Candidate } from '../suite/autotune';
import { GEMM_SQUARE_SIZES, prefillGemmShapes } from '../suite/shapes';
import { compare } from '../suite/verify';
import { fillF16, fillF32, hashSeed } from '../util/hash';
import type { Rng } from '../util/rng';
import { makeCase, type BenchCase, type KernelInstance, type KernelSpec, type Shape, type Tolerance } from './spec';
import type { Preset } from '../suite/presets';

export interface GemmShape extends Shape {
  m: number;
  n: number;
  k: number;
}

/** 'nt': C = A·Wᵀ with W [N,K] (linear layers); 'nn': C = A·B with B [K,N]. */
export type GemmLayout = 'nt' | 'nn';
/** Element type of A and W (or B) in memory. */
export type GemmStorage = 'f32' | 'f16';
/** How products are summed: f32 FMAs, f16 FMAs per k tile folded into f32, or tensor cores into f32. */
export type GemmMath = 'f32' | 'hfma' | 'tensor';

/** Row-major buffer layout of one case; leading dimensions in elements. */
export interface GemmDims {
  lda: number;
  ldb: number;
  ldc: number;
  /** Rows allocated for C (M, or M rounded up to whole blocks for kernels that store whole blocks). */
  cRows: number;
}

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

/** Bytes per element of a storage type. */
export function elementBytes(storage: GemmStorage): number {
  return storage === 'f16' ? 2 : 4;
}

/**
 * Leading dimensions: rows of A and W/B start on 16-byte boundaries (4 f32 or 8 f16) so kernels read
 * them as 16-byte vectors; C rows are padded to `cPad.cols` and its row count to `cPad.rows`.
 */
export function gemmDims(s: GemmShape, storage: GemmStorage, layout: GemmLayout, cPad: { rows: number; cols: number }): GemmDims {
  const align = 16 / elementBytes(storage);
  return {
    lda: roundUp(s.k, align),
    ldb: layout === 'nt' ? roundUp(s.k, align) : roundUp(s.n, align),
    ldc: roundUp(s.n, cPad.cols),
    cRows: roundUp(s.m, cPad.rows),
  };
}

/** FLOPs of one GEMM: one multiply and one add per (m, n, k). */
export function gemmFlops(s: GemmShape): number {
  return 2 * s.m * s.n * s.k;
}

/** Compulsory traffic: A and W (or B) read once in their storage type, C written once in f32. */
export function gemmBytes(s: GemmShape, storage: GemmStorage): number {
  return (s.m * s.k + s.n * s.k) * elementBytes(storage) + s.m * s.n * 4;
}

const U32 = 2 ** -24; // unit roundoff of f32
const U16 = 2 ** -11; // unit roundoff of f16

/**
 * Tolerance of one output, a K-term dot product of inputs in [-1, 1). Partial sums random-walk with
 * σ ≈ √j/3 after j terms, and each FMA rounds with error ≤ u·|partial|, so the accumulated error
 * has σ ≈ u·√(Σ j/9) ≈ u·K/4.2; the bound 2·u·K is ≈ 8σ, while an indexing or masking bug errs by
 * whole terms (|a·b| ≈ 0.25 on average), far above it for every K the suite runs.
 *   f32:    u = 2^-24 (f16 inputs widened to f32 have exact products: the same bound holds).
 *   tensor: tensor cores add in f32 but align and truncate inside each MMA: 4× the f32 bound.
 *   hfma:   each k tile (at most 32 terms) is summed in f16 (u = 2^-11) before it is added in f32:
 *           per tile σ ≈ u·32/4.2 and K/32 tiles add in quadrature, σ ≈ u·√(32K)/4.2; bound 2·u·√(32K).
 */
export function gemmTolerance(k: number, math: GemmMath): Tolerance {
  if (math === 'hfma') return { abs: 2 * U16 * Math.sqrt(32 * k), rel: 0 };
  if (math === 'tensor') return { abs: 8 * U32 * k, rel: 0 };
  return { abs: 2 * U32 * k, rel: 0 };
}

/** Element reader of an operand: value of element (row, col) of a row-major matrix. */
export type ElementAt = (row: number, col: number) => number;

/** float64 dot product of row m of A with column n of op(B): the reference of C[m, n]. */
export function gemmReference(aAt: ElementAt, bAt: ElementAt, layout: GemmLayout, m: number, n: number, k: number): number {
  let sum = 0;
  if (layout === 'nt') for (let i = 0; i < k; i++) sum += aAt(m, i) * bAt(n, i);
  else for (let i = 0; i < k; i++) sum += aAt(m, i) * bAt(i, n);
  return sum;
}

/** Reader of a matrix filled by fillBuffer with leading dimension `ld` (in elements). */
function filledMatrix(storage: GemmStorage, seedWord: number, ld: number): ElementAt {
  return storage === 'f16' ? (r, c) => fillF16(seedWord, r * ld + c) : (r, c) => fillF32(seedWord, r * ld + c);
}

/** The GEMM kernels, each assembled by buildGemmWgsl from its body and the shared pieces. */
export type GemmKernelCode = 'naive' | 'tiled' | 'regblock' | 'regblock-kc' | 'subgroup-matrix';

const XYZW = ['x', 'y', 'z', 'w'] as const;
const MICRO_ROWS = [0, 1, 2, 3, 4, 5, 6, 7] as const;

/**
 * The math slots of regblock.wgsl. f32 (and f16 storage, widened): f32 FMAs of one k step into the 16
 * vec4 accumulators c{i}a / c{i}b (rows i of the 8×8 micro-tile, its two column halves). hfma: the
 * same FMAs in vec4<f16> into per-tile partial sums h{i}a / h{i}b, added into the f32 accumulators
 * after each BK-deep tile, so the f16 rounding error grows with BK (at most 32 terms), not with K.
 */
function regblockMath(math: GemmMath): Record<'DECLARE' | 'STEP' | 'FOLD', string> {
  const hfma = math === 'hfma';
  const t = hfma ? 'f16' : 'f32';
  const acc = hfma ? 'h' : 'c';
  const step = MICRO_ROWS.map((i) => {
    const a = `vec4<${t}>(a${i >> 2}.${XYZW[i & 3] ?? 'x'})`;
    return `      ${acc}${i}a = fma(${a}, b0, ${acc}${i}a); ${acc}${i}b = fma(${a}, b1, ${acc}${i}b);`;
  });
  if (!hfma) return { DECLARE: '', STEP: step.join('\n'), FOLD: '' };
  return {
    DECLARE: ['  // Per-tile partial sums in f16 (see regblockMath in src/kernels/gemm.ts).', ...MICRO_ROWS.map((i) => `  var h${i}a = vec4<f16>(0.0); var h${i}b = vec4<f16>(0.0);`)].join('\n'),
    STEP: step.join('\n'),
    FOLD: [
      "    // Fold this tile's f16 partial sums into the f32 accumulators.",
      ...MICRO_ROWS.map((i) => `    c${i}a += vec4<f32>(h${i}a); c${i}b += vec4<f32>(h${i}b); h${i}a = vec4<f16>(0.0); h${i}b = vec4<f16>(0.0);`),
    ].join('\n'),
  };
}

/**
 * WGSL of one GEMM kernel: `enable f16;` where f16 arithmetic is used, the kernel body, the shared
 * parameters and raster order (common.wgsl) and the operand pieces of its storage type: io-f32.wgsl
 * (vec4<f32> rows) or io-f16.wgsl (8-half vectors) with half-f32.wgsl (widened) or half-f16.wgsl, and
 * the register-blocked kernels' storage piece (how a global vector is loaded and stored into
 * workgroup memory; the staging loops stay in the kernel bodies, see regblock.wgsl). WGSL has no include; module-scope declarations may follow their
 * use, so the directives stay first. The register-blocked body's math slots are filled by
 * regblockMath.
 */
export function buildGemmWgsl(kernel: GemmKernelCode, storage: GemmStorage, math: GemmMath): string {
  const halfMath = math === 'hfma' || math === 'tensor';
  if (halfMath && storage !== 'f16') throw new Error(`internal: ${math} math needs f16 storage`);
  if ((kernel === 'subgroup-matrix') !== (math === 'tensor')) throw new Error(`internal: ${kernel} does not do ${math} math`);
  if ((kernel === 'naive' || kernel === 'tiled') && storage !== 'f32') throw new Error(`internal: ${kernel} is f32 only`);
  if (kernel === 'regblock-kc' && math !== 'f32') throw new Error('internal: regblock-kc does f32 math');
  const io = storage === 'f32' ? [ioF32Wgsl] : [ioF16Wgsl, halfMath ? halfF16Wgsl : halfF32Wgsl];
  const pieces: string[] = [];
  switch (kernel) {
    case 'naive':
      pieces.push(naiveWgsl);
      break;
    case 'tiled':
      pieces.push(tiledWgsl);
      break;
    case 'regblock': {
      const slots = regblockMath(math);
      const body = regblockWgsl.replace(/\{\{(DECLARE|STEP|FOLD)\}\}\n/g, (_, name: 'DECLARE' | 'STEP' | 'FOLD') => (slots[name] === '' ? '' : `${slots[name]}\n`));
      pieces.push(body, ...io, storage === 'f32' ? regblockIoF32Wgsl : regblockIoF16Wgsl);
      break;
    }
    case 'regblock-kc':
      pieces.push(regblockKcWgsl, ...io, storage === 'f32' ? regblockKcIoF32Wgsl : regblockKcIoF16Wgsl);
      break;
    case 'subgroup-matrix':
      pieces.push(subgroupMatrixBody, ...io);
      break;
  }
  return [halfMath ? 'enable f16;' : '', pieces[0] ?? '', commonWgsl, ...pieces.slice(1)].join('\n');
}

const REGBLOCK_F32 = buildGemmWgsl('regblock', 'f32', 'f32');
const REGBLOCK_KC_F32 = buildGemmWgsl('regblock-kc', 'f32', 'f32');
const REGBLOCK_KC_F16 = buildGemmWgsl('regblock-kc', 'f16', 'f32');
const SUBGROUP_MATRIX = buildGemmWgsl('subgroup-matrix', 'f16', 'tensor');

/** A block-shape configuration: override constants and the block it covers. */
export interface GemmConfig {
  label: string;
  constants: Readonly<Record<string, number>>;
  /** Output rows and columns per workgroup. */
  bm: number;
  bn: number;
  /** Invocations per workgroup. */
  invocations: number;
  /** Workgroup memory in bytes. */
  sharedBytes: number;
  /** Another kernel of the same variant (same bindings and numerics) instead of the variant's own. */
  code?: string;
  /** k depth of one staged tile (for the load-count checks). */
  stagedK: number;
  /** Split-K (tensor-core kernel only): the k range is cut into about this many splits. */
  splitK?: number;
  /** Tensor-core configurations: their shape (their subgroup-matrix.wgsl is generated from it). */
  tensor?: TensorShape;
}

/** Options of a register-blocked configuration beyond its block shape. */
export interface RegblockOptions {
  /** Micro-tiles a subgroup of 32 spans along n (16: a 16×2 patch, 8: 8×4, 4: 4×8). */
  warpTx?: number;
  /** Double-buffered tiles with register prefetch (true) or one buffer staged per step (false). */
  prefetch?: boolean;
}

/** Register-blocked configurations (8×8 micro-tiles, so invocations = BM/8 · BN/8). */
export function regblockConfig(bm: number, bn: number, bk: number, math: GemmMath, opts: RegblockOptions = {}): GemmConfig {
  const warpTx = opts.warpTx ?? 16;
  const prefetch = opts.prefetch ?? true;
  const invocations = (bm / 8) * (bn / 8);
  // Staged tiles are f32 except in the packed-half kernel; one or two buffers of BK×(BM+BN).
  const sharedBytes = (prefetch ? 2 : 1) * bk * (bm + bn) * (math === 'hfma' ? 2 : 4);
  const label = `${bm}x${bn}x${bk}${warpTx === 16 ? '' : `/w${warpTx}`}${prefetch ? '' : '/np'}`;
  return { label, constants: { BM: bm, BN: bn, BK: bk, WARP_TX: warpTx, PREFETCH: prefetch ? 1 : 0 }, bm, bn, invocations, sharedBytes, stagedK: bk };
}

/**
 * Configurations of regblock-kc.wgsl with its f32 or f16 storage piece (C = A·Wᵀ only):
 * 128×128 blocks of 8×8 micro-tiles with K-contiguous f32 staging; BK-deep tiles double-buffered
 * with register prefetch, or single-buffered.
 */
export function regblockKcConfig(bk: number, prefetch: boolean, storage: GemmStorage = 'f32'): GemmConfig {
  const rows = 128 + 128;
  return {
    label: `kc-128x128x${bk}${prefetch ? '' : '/np'}`,
    constants: { BK: bk, PREFETCH: prefetch ? 1 : 0 },
    bm: 128,
    bn: 128,
    invocations: 256,
    // Rows of BK floats padded by one vec4.
    sharedBytes: (prefetch ? 2 : 1) * rows * (bk + 4) * 4,
    code: storage === 'f16' ? REGBLOCK_KC_F16 : REGBLOCK_KC_F32,
    stagedK: bk,
  };
}

/** The shape of a tensor-core configuration (subgroup-matrix.wgsl). */
export interface TensorShape {
  /** Subgroups along m and n. */
  sgM: number;
  sgN: number;
  /** 16×16 result matrices per subgroup along m and n. */
  fm: 2 | 4;
  fn: 2 | 4;
  /** k depth of one staged tile (a multiple of 16). */
  bk: number;
  /** Workgroup buffers: 2 (one barrier per tile) or 1 (two barriers, half the workgroup memory). */
  stages: 1 | 2;
}

/** Staged row stride of subgroup-matrix.wgsl in vec4<f16>: BK halves and 8 of padding. */
export const tensorRowVec4 = (bk: number): number => (bk + 8) / 4;

/**
 * subgroup-matrix.wgsl for one shape: its constants, the accumulators c<i><j>, the
 * multiply-accumulates of one BK-deep tile (per 16-deep step the FM left and FN right matrices, each
 * loaded at a literal offset into its subgroup's strip, then the FM×FN products) and the result
 * stores.
 */
export function subgroupMatrixWgsl(t: TensorShape): string {
  const lds4 = tensorRowVec4(t.bk);
  const rows = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const header = [`const SG_M = ${t.sgM}u;`, `const SG_N = ${t.sgN}u;`, `const FM = ${t.fm}u;`, `const FN = ${t.fn}u;`, `const BK = ${t.bk}u;`, `const STAGES = ${t.stages}u;`].join('\n');
  const acc = rows(t.fm).map((i) => `  ${rows(t.fn).map((j) => `var c${i}${j} = Result();`).join(' ')}`).join('\n');
  const step: string[] = [];
  for (let kk = 0; kk < t.bk / 16; kk++) {
    step.push(`    // k ${16 * kk} .. ${16 * kk + 15} of the tile`);
    step.push(...rows(t.fm).map((i) => `    let l${kk}${i} = subgroupMatrixLoad<Left, row_major>(&sa[sa_i], ${16 * i * lds4 + 4 * kk}u, ${lds4}u);`));
    step.push(...rows(t.fn).map((j) => `    let r${kk}${j} = subgroupMatrixLoad<Right, col_major>(&sb[sb_i], ${16 * j * lds4 + 4 * kk}u, ${lds4}u);`));
    for (const i of rows(t.fm)) step.push(...rows(t.fn).map((j) => `    c${i}${j} = subgroupMatrixMultiplyAccumulate(l${kk}${i}, r${kk}${j}, c${i}${j});`));
  }
  const store = rows(t.fm).flatMap((i) => rows(t.fn).map((j) => `  subgroupMatrixStore<row_major>(&c, o + ${16 * i}u * p.ldc + ${16 * j}u, c${i}${j}, p.ldc);`));
  const slots: Record<string, string> = { HEADER: header, ACC: acc, STEP: step.join('\n'), STORE: store.join('\n') };
  return SUBGROUP_MATRIX.replace(/\{\{(HEADER|ACC|STEP|STORE)\}\}/g, (_, name: string) => slots[name] ?? '');
}

/**
 * A configuration of subgroup-matrix.wgsl: SG_M×SG_N subgroups of 32, each an FM×FN grid of 16×16
 * result matrices, so the block is (16·FM·SG_M)×(16·FN·SG_N); its code generated for the shape.
 * Labels `cst-<block>/<piece>[/s1][/k<splits>]` (cst: constant offsets, the session-3 kernel).
 */
export function subgroupMatrixConfig(sgM: number, sgN: number, fm: 2 | 4, fn: 2 | 4, bk: number, opts: { stages?: 1 | 2; splitK?: number } = {}): GemmConfig {
  const shape: TensorShape = { sgM, sgN, fm, fn, bk, stages: opts.stages ?? 2 };
  const bm = 16 * fm * sgM;
  const bn = 16 * fn * sgN;
  const label = `cst-${bm}x${bn}x${bk}/${16 * fm}x${16 * fn}${shape.stages === 2 ? '' : `/s${shape.stages}`}${opts.splitK === undefined ? '' : `/k${opts.splitK}`}`;
  return {
    label,
    constants: {},
    bm,
    bn,
    invocations: 32 * sgM * sgN,
    sharedBytes: shape.stages * (bm + bn) * tensorRowVec4(bk) * 8,
    code: subgroupMatrixWgsl(shape),
    stagedK: bk,
    tensor: shape,
    ...(opts.splitK === undefined ? {} : { splitK: opts.splitK }),
  };
}

/**
 * Whether every invocation of a configuration stages a whole number of 16-byte vectors per tile,
 * at most `maxLoads` per operand (the size of the kernels' register staging arrays).
 */
export function loadsFit(tileElems: number, elemsPerVector: number, invocations: number, maxLoads: number): boolean {
  const loads = tileElems / elemsPerVector / invocations;
  return Number.isInteger(loads) && loads >= 1 && loads <= maxLoads;
}

/**
 * Autotune candidates of each register-blocked kernel: 128×128 blocks for big GEMMs (double-buffered
 * with register prefetch, or single-buffered with fewer live registers, which wins for the f16
 * kernels and for A·B), 128×64 and 64-row blocks for short prompts. Candidates that never won any
 * shape on the H100 (4×8 subgroup arrangements, coalesced 4×4-block staging) were dropped; see
 * bench/notes/gemm.md.
 */
export const REGBLOCK_F32_CONFIGS: readonly GemmConfig[] = [
  regblockConfig(128, 128, 8, 'f32'),
  regblockConfig(128, 128, 8, 'f32', { warpTx: 8 }),
  regblockConfig(128, 128, 8, 'f32', { prefetch: false }),
  regblockConfig(128, 128, 16, 'f32', { prefetch: false }),
  regblockConfig(128, 128, 32, 'f32', { prefetch: false }),
  regblockConfig(128, 64, 16, 'f32'),
  regblockConfig(64, 128, 16, 'f32'),
  regblockConfig(64, 64, 16, 'f32'),
];
/**
 * C = A·Wᵀ adds the K-contiguous staging kernel (coalesced loads of W, untransposed stores), which
 * the A·B form cannot use: single-buffered 16-deep tiles win every large shape on the H100, the
 * double-buffered ones 512-token prompts; the 8-deep one fits devices with 32 KiB of workgroup memory.
 * 24- and 32-deep and single-buffered 8-deep tiles were slower at every measured shape (dropped).
 */
export const REGBLOCK_F32_NT_CONFIGS: readonly GemmConfig[] = [
  regblockConfig(128, 64, 16, 'f32'),
  regblockConfig(64, 128, 16, 'f32'),
  regblockConfig(64, 64, 16, 'f32'),
  regblockKcConfig(8, true),
  regblockKcConfig(16, true),
  regblockKcConfig(16, false),
];
export const REGBLOCK_F16_CONFIGS: readonly GemmConfig[] = [
  regblockConfig(128, 64, 16, 'f32'),
  regblockConfig(64, 128, 16, 'f32'),
  regblockConfig(64, 64, 16, 'f32'),
  regblockKcConfig(16, false, 'f16'),
  regblockKcConfig(32, false, 'f16'),
  regblockKcConfig(16, true, 'f16'),
];
export const REGBLOCK_HFMA_CONFIGS: readonly GemmConfig[] = [
  regblockConfig(128, 128, 16, 'hfma'),
  regblockConfig(128, 128, 32, 'hfma'),
  regblockConfig(128, 128, 16, 'hfma', { prefetch: false }),
  regblockConfig(128, 128, 32, 'hfma', { prefetch: false }),
  regblockConfig(128, 64, 32, 'hfma'),
  regblockConfig(64, 128, 32, 'hfma'),
  regblockConfig(64, 64, 32, 'hfma'),
];

/**
 * Tensor-core candidates (subgroup-matrix.wgsl). On the H100 (bench/notes/gemm.md, session 3) a
 * block shares an SM only while two blocks' workgroup memory fits 48 KiB, so every candidate stays at
 * ≤ 24 KiB: 128×128 blocks of 8 subgroups with 32×64 pieces, 32-deep and single-buffered (20 KiB:
 * two blocks, 16 subgroups per SM) win 4096³ (186 TFLOP/s) and 8192³ (196); the same pieces 16-deep
 * double-buffered and 4 subgroups of 64×64 (both 24 KiB) follow within 2–6%; the single-buffered
 * 64×64 block split over k into 2 wins the 512-token o layer (116). Split-K candidates (into 2, 4 or
 * 8 k ranges, only for grids under SPLIT_BELOW_BLOCKS blocks) of the 64×64 block and of the winner,
 * and 64×64 blocks of 32×32 pieces for small grids (they won 1024³ and 128 tokens before split-K
 * existed) are kept for the short-prompt shapes; those of the winner and the 32×32 ones are not yet
 * measured with this kernel. Dropped because slower at every measured shape (session 3): the former
 * subgroup-matrix-pipe.wgsl (run-time offsets into one array per operand, 1.3–1.5× slower at the same
 * shapes), anything over 24 KiB (two stages of 32-deep tiles, 128×256 blocks of 8 subgroups, strips
 * padded for a stricter robustness bound: one block per SM, 1.1–2.6× slower), 32-deep 64×64 pieces
 * single-buffered (1.4×), the right-first load order and raster groups of 4 or 16 block rows (equal);
 * sessions 1–2: three stages, two tiles in flight in registers, 2-subgroup blocks, f16-array staging,
 * unpadded rows.
 */
export const SUBGROUP_MATRIX_CONFIGS: readonly GemmConfig[] = [
  subgroupMatrixConfig(4, 2, 2, 4, 32, { stages: 1 }),
  subgroupMatrixConfig(4, 2, 2, 4, 16),
  subgroupMatrixConfig(2, 2, 4, 4, 16),
  subgroupMatrixConfig(2, 2, 4, 4, 16, { stages: 1 }),
  subgroupMatrixConfig(2, 2, 2, 2, 16),
  subgroupMatrixConfig(2, 2, 4, 4, 16, { stages: 1, splitK: 2 }),
  subgroupMatrixConfig(2, 2, 4, 4, 16, { stages: 1, splitK: 4 }),
  subgroupMatrixConfig(2, 2, 4, 4, 16, { stages: 1, splitK: 8 }),
  subgroupMatrixConfig(4, 2, 2, 4, 32, { stages: 1, splitK: 2 }),
  subgroupMatrixConfig(4, 2, 2, 4, 32, { stages: 1, splitK: 4 }),
  subgroupMatrixConfig(2, 2, 2, 2, 16, { splitK: 4 }),
];

/** Split-K candidates run only where their block count is below this (short prompts). */
export const SPLIT_BELOW_BLOCKS = 256;

/**
 * k range of one split (whole BK-deep tiles) and the split count for about `target` splits of K;
 * null where that leaves a single split.
 */
export function splitRange(k: number, bk: number, target: number): { chunk: number; splits: number } | null {
  const chunk = roundUp(Math.ceil(k / target), bk);
  const splits = Math.ceil(k / chunk);
  return splits >= 2 ? { chunk, splits } : null;
}

/** The subgroup-matrix configuration the tensor-core kernel is written for. */
export const TENSOR_CONFIG = { componentType: 'f16', resultComponentType: 'f32', M: 16, N: 16, K: 16 } as const;

type Kernel = 'naive' | 'tiled' | 'regblock' | 'subgroup-matrix';

interface GemmVariant {
  kernel: Kernel;
  variant: string;
  storage: GemmStorage;
  math: GemmMath;
  layout: GemmLayout;
  code: string;
  description: string;
  requires: readonly string[];
  /** Candidate configurations (one for the fixed-shape baselines). */
  configs: readonly GemmConfig[];
}

/** Bytes of each buffer of a case. */
export function gemmBufferBytes(s: GemmShape, v: Pick<GemmVariant, 'storage' | 'layout' | 'kernel'>): { a: number; b: number; c: number } {
  const d = gemmDims(s, v.storage, v.layout, cPadding(v.kernel));
  const es = elementBytes(v.storage);
  return { a: s.m * d.lda * es, b: (v.layout === 'nt' ? s.n : s.k) * d.ldb * es, c: d.cRows * d.ldc * 4 };
}

/** The tensor-core kernel stores whole 16×16 result matrices of whole blocks (at most 256×256 here). */
function cPadding(kernel: Kernel): { rows: number; cols: number } {
  return kernel === 'subgroup-matrix' ? { rows: 256, cols: 256 } : { rows: 1, cols: 4 };
}

/**
 * Executions per autotune span: at least 5·10^11 FLOPs (≈5 ms at 100 TFLOP/s), at most 64; 1 on a
 * software adapter (its timings mean nothing). On the H100, spans of one ≈1 ms execution (4096³ on
 * the tensor cores) timed the same configuration at 1.27 ms in one call and 3.98 ms in the next, and
 * the autotune picked a configuration 1.5× slower than the best: short spans measure clock ramps.
 */
export function tuneBatch(flops: number, software: boolean): number {
  if (software) return 1;
  return Math.max(1, Math.min(64, Math.ceil(5e11 / flops)));
}

/** Candidates re-timed together after the first pass (the fastest ones of it). */
const TUNE_FINALISTS = 3;

/** Indices of the `count` lowest timings, fastest first. */
export function fastest(timings: readonly number[], count: number): number[] {
  return timings
    .map((t, i) => ({ t: Number.isFinite(t) ? t : Infinity, i }))
    .sort((x, y) => x.t - y.t || x.i - y.i)
    .slice(0, count)
    .map((x) => x.i);
}

/**
 * Candidates tried on a software adapter, one per code path: the first, the first with another
 * subgroup arrangement, the first single-buffered, the smallest block, and the first and
 * the first single-buffered of every other kernel among the candidates.
 */
export function softwareSubset(configs: readonly GemmConfig[]): GemmConfig[] {
  const smallest = configs.reduce<GemmConfig | undefined>((best, c) => (best === undefined || c.bm * c.bn < best.bm * best.bn ? c : best), undefined);
  const picks = [configs[0], configs.find((c) => (c.constants.WARP_TX ?? 16) !== 16), configs.find((c) => c.constants.PREFETCH === 0), smallest];
  const first = configs[0];
  for (const code of new Set(configs.map((c) => c.code).filter((x): x is string => x !== undefined && x !== first?.code))) {
    const same = configs.filter((c) => c.code === code);
    picks.push(same[0], same.find((c) => c.constants.PREFETCH === 0));
  }
  return [...new Set(picks.filter((c): c is GemmConfig => c !== undefined))];
}

/**
 * The split-K reduce pass (reduce.wgsl): C[i] = Σ_s part[s·stride4 + i] for the first count4 vec4
 * of C. Its uniform buffer is handed to `own` (freed with the case).
 */
export async function splitReduce(
  ctx: GpuContext,
  part: GPUBuffer,
  c: GPUBuffer,
  r: { count4: number; stride4: number; splits: number },
  own: (b: GPUBuffer) => GPUBuffer,
): Promise<Encode> {
  const { device } = ctx;
  const pipeline = await getPipeline(device, { label: 'gemm-split-k-reduce', code: reduceWgsl, entryPoint: 'main', constants: {} });
  const [rx, ry] = dispatch2d(Math.ceil(r.count4 / 256), maxWorkgroupsPerDim(ctx.limits));
  const params = own(uniformBuffer(device, new Uint32Array([r.count4, r.stride4, r.splits, rx]), 'gemm-split-k-params'));
  const bind = bindBuffers(device, pipeline, 'gemm-split-k-reduce', [part, c, params]);
  return (pass) => {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(rx, ry);
  };
}

/** Output samples each candidate must match before it is timed. */
const TUNE_SAMPLES = 8;

function makeSpec(v: GemmVariant): KernelSpec<GemmShape> {
  const cPad = cPadding(v.kernel);
  return {
    family: 'gemm',
    variant: v.variant,
    dtype: v.storage,
    phase: 'prefill',
    description: v.description,
    wgsl: [...new Set([v.code, ...v.configs.map((c) => c.code ?? v.code), ...(v.configs.some((c) => c.splitK !== undefined) ? [reduceWgsl] : [])])],
    requires: v.requires,
    check(ctx, s) {
      if (v.kernel === 'subgroup-matrix') {
        const fits = ctx.subgroupMatrixConfigs.some(
          (c) => c.componentType === TENSOR_CONFIG.componentType && c.resultComponentType === TENSOR_CONFIG.resultComponentType && c.M === 16 && c.N === 16 && c.K === 16,
        );
        if (!fits) {
          const offered = ctx.subgroupMatrixConfigs.map((c) => `${c.componentType}→${c.resultComponentType} ${c.M}×${c.N}×${c.K}`).join(', ') || 'none';
          throw new SkipCase(`the adapter offers no f16→f32 16×16×16 subgroup-matrix configuration (offered: ${offered})`);
        }
        const { subgroup_min_size: lo, subgroup_max_size: hi } = ctx.info;
        if (lo !== 32 || hi !== 32) throw new SkipCase(`the subgroup-matrix kernel is written for subgroups of 32 invocations; this adapter reports ${lo ?? '?'}..${hi ?? '?'}`);
      }
      const bytes = gemmBufferBytes(s, v);
      const limit = maxBindingBytes(ctx.limits);
      const biggest = Math.max(bytes.a, bytes.b, bytes.c);
      if (biggest > limit) throw new SkipCase(`a ${biggest} B operand exceeds this device's buffer/binding limit of ${limit} B`);
    },
    flops: gemmFlops,
    bytes: (s) => gemmBytes(s, v.storage),
    tolerance: (s) => gemmTolerance(s.k, v.math),
    build: (ctx, s, rng) => buildGemm(ctx, s, rng, v, cPad),
  };
}

async function buildGemm(ctx: GpuContext, s: GemmShape, rng: Rng, v: GemmVariant, cPad: { rows: number; cols: number }): Promise<KernelInstance> {
  const { device } = ctx;
  const d = gemmDims(s, v.storage, v.layout, cPad);
  const sizes = gemmBufferBytes(s, v);
  const seedA = hashSeed(rng.int(0x7fffffff));
  const seedB = hashSeed(rng.int(0x7fffffff));
  const owned: GPUBuffer[] = [];
  const own = (b: GPUBuffer): GPUBuffer => (owned.push(b), b);
  try {
    const a = own(emptyBuffer(device, sizes.a, 'gemm-a'));
    const b = own(emptyBuffer(device, sizes.b, 'gemm-b'));
    const c = own(emptyBuffer(device, sizes.c, 'gemm-c'));
    // The whole padded buffers are filled; kernels mask the padding (k >= K) themselves.
    const mode = v.storage === 'f16' ? 'f16x2' : 'f32';
    const wordsOf = (bytes: number): number => Math.ceil(bytes / 4);
    await fillBuffer(ctx, a, wordsOf(sizes.a), mode, seedA);
    await fillBuffer(ctx, b, wordsOf(sizes.b), mode, seedB);
    const aAt = filledMatrix(v.storage, seedA, d.lda);
    const bAt = filledMatrix(v.storage, seedB, d.ldb);
    const reference = (i: number): number => {
      const m = Math.floor(i / s.n);
      return gemmReference(aAt, bAt, v.layout, m, i - m * s.n, s.k);
    };
    const maxPerDim = maxWorkgroupsPerDim(ctx.limits);
    const maxInvocations = ctx.limits.maxComputeInvocationsPerWorkgroup ?? 256;
    const maxShared = ctx.limits.maxComputeWorkgroupStorageSize ?? 16384;
    const readOutputs = async (indices: readonly number[]): Promise<Float32Array> => {
      const words = indices.map((i) => {
        const m = Math.floor(i / s.n);
        return m * d.ldc + (i - m * s.n);
      });
      return new Float32Array((await readWords(device, c, words)).buffer);
    };

    const candidates: Candidate<Record<string, string | number>>[] = [];
    const notes: string[] = [];
    // A software adapter's timings say nothing about GPUs and each compile of these unrolled kernels
    // costs it seconds: it tries one candidate per code path (each still verified).
    const configs = ctx.info.software ? softwareSubset(v.configs) : v.configs;
    for (const cfg of configs) {
      if (cfg.invocations > maxInvocations || cfg.sharedBytes > maxShared) {
        notes.push(`${cfg.label}=over-limits`);
        continue;
      }
      const blocks = Math.ceil(s.m / cfg.bm) * Math.ceil(s.n / cfg.bn);
      // Split-K: only for grids too small to fill the GPU, with room for the partial buffer.
      const split = cfg.splitK === undefined || blocks >= SPLIT_BELOW_BLOCKS ? null : splitRange(s.k, cfg.stagedK, cfg.splitK);
      if (cfg.splitK !== undefined && split === null) continue;
      const partRows = roundUp(s.m, cfg.bm);
      const partBytes = split === null ? 0 : split.splits * partRows * d.ldc * 4;
      if (partBytes > maxBindingBytes(ctx.limits)) {
        notes.push(`${cfg.label}=over-limits`);
        continue;
      }
      let groups: [number, number];
      if (v.kernel === 'naive' || v.kernel === 'tiled') {
        groups = [Math.ceil(s.n / cfg.bn), Math.ceil(s.m / cfg.bm)];
        if (groups[1] > maxPerDim || groups[0] > maxPerDim) throw new SkipCase(`a ${groups[0]}×${groups[1]} grid exceeds this device's ${maxPerDim} workgroups per dimension`);
      } else {
        groups = dispatch2d(blocks * (split?.splits ?? 1), maxPerDim);
      }
      let pipeline: GPUComputePipeline;
      try {
        pipeline = await getPipeline(device, { label: `gemm-${v.variant}-${v.storage}`, code: cfg.code ?? v.code, entryPoint: 'main', constants: { ...cfg.constants, ...(v.kernel === 'subgroup-matrix' ? {} : { B_KMAJOR: v.layout === 'nt' ? 1 : 0 }) } });
      } catch (e) {
        if (configs.length === 1) throw e;
        // Recorded with the autotune timings, so a configuration this device rejects is visible in the results.
        notes.push(`${cfg.label}=no-pipeline(${errorMessage(e).slice(0, 160)})`);
        continue;
      }
      const params = own(uniformBuffer(device, new Uint32Array([s.m, s.n, s.k, d.lda, d.ldb, d.ldc, groups[0], split?.chunk ?? s.k]), 'gemm-params'));
      const [gx, gy] = groups;
      let encode: Encode;
      if (split === null) {
        const bind = bindBuffers(device, pipeline, `gemm-${v.variant}`, [a, b, c, params]);
        encode = (pass) => {
          pass.setPipeline(pipeline);
          pass.setBindGroup(0, bind);
          pass.dispatchWorkgroups(gx, gy);
        };
      } else {
        // The partial results of the splits go to slices of their own buffer, added into C by a
        // second dispatch (dispatches of a pass see the writes of earlier ones).
        const part = own(emptyBuffer(device, partBytes, 'gemm-split-k'));
        const bind = bindBuffers(device, pipeline, `gemm-${v.variant}`, [a, b, part, params]);
        const reduce = await splitReduce(ctx, part, c, { count4: (s.m * d.ldc) / 4, stride4: (partRows * d.ldc) / 4, splits: split.splits }, own);
        encode = (pass) => {
          pass.setPipeline(pipeline);
          pass.setBindGroup(0, bind);
          pass.dispatchWorkgroups(gx, gy);
          reduce(pass);
        };
      }
      const config = { tile: cfg.label, workgroup: cfg.invocations, grid: `${gx}x${gy}` };
      if (configs.length > 1) {
        // Only a configuration that computes the right numbers may win the autotune.
        const enc = device.createCommandEncoder({ label: 'gemm-tune-verify' });
        const pass = enc.beginComputePass();
        encode(pass);
        pass.end();
        device.queue.submit([enc.finish()]);
        const picks = rng.sample(s.m * s.n, TUNE_SAMPLES);
        const verdict = compare(await readOutputs(picks), picks, reference, gemmTolerance(s.k, v.math), s.m * s.n);
        if (!verdict.passed) {
          notes.push(`${cfg.label}=wrong`);
          continue;
        }
      }
      candidates.push({ config, encode });
    }
    if (candidates.length === 0) throw new Error(`no configuration of gemm/${v.variant}/${v.storage} produced verified output (${notes.join(' ')})`);
    const batch = tuneBatch(gemmFlops(s), ctx.info.software);
    // autotune() warms the GPU and times every candidate twice (forward and reverse order): on the H100
    // the first candidates of a single pass were timed up to 5× slow while the SM clock was low
    // (bench/notes/gemm.md, session 2; bench/notes/machine.md).
    const first = await autotune(ctx, candidates, batch, 3);
    const timings = first.timings;
    let best = first.best;
    const tuned = candidates.map((cand, i) => `${cand.config.tile}=${(timings[i] ?? NaN).toPrecision(4)}ms`);
    if (candidates.length > TUNE_FINALISTS && !ctx.info.software) {
      // The fastest few are timed again, one after another with more spans, so that a clock change
      // during the passes cannot decide between close candidates.
      const finalists = fastest(timings, TUNE_FINALISTS).flatMap((i) => candidates[i] ?? []);
      const second = await autotune(ctx, finalists, batch, 5);
      best = second.best;
      tuned.push(`recheck: ${finalists.map((cand, i) => `${cand.config.tile}=${(second.timings[i] ?? NaN).toPrecision(4)}ms`).join(' ')}`);
    }
    const config: Record<string, string | number> = { ...best.config };
    if (configs.length > 1) config.autotune = [...tuned, ...notes].join(' ');
    return {
      outputCount: s.m * s.n,
      config,
      encode: best.encode,
      readOutputs,
      reference,
      destroy() {
        for (const buf of owned) buf.destroy();
      },
    };
  } catch (e) {
    for (const buf of owned) buf.destroy();
    throw e;
  }
}

const BASELINE_NAIVE: GemmConfig = { label: '16x16', constants: { WG_X: 16, WG_Y: 16 }, bm: 16, bn: 16, invocations: 256, sharedBytes: 0, stagedK: 0 };
const BASELINE_TILED: GemmConfig = { label: '16x16', constants: { TILE: 16 }, bm: 16, bn: 16, invocations: 256, sharedBytes: 2 * 16 * 16 * 4, stagedK: 16 };

function variants(): GemmVariant[] {
  const out: GemmVariant[] = [];
  for (const layout of ['nt', 'nn'] as const) {
    const suffix = layout === 'nn' ? '-ab' : '';
    const what = layout === 'nt' ? 'C = A·Wᵀ' : 'C = A·B';
    out.push(
      { kernel: 'naive', variant: `naive${suffix}`, storage: 'f32', math: 'f32', layout, code: buildGemmWgsl('naive', 'f32', 'f32'), requires: [], configs: [BASELINE_NAIVE], description: `${what}, f32, one invocation per output (baseline)` },
      { kernel: 'tiled', variant: `tiled${suffix}`, storage: 'f32', math: 'f32', layout, code: buildGemmWgsl('tiled', 'f32', 'f32'), requires: [], configs: [BASELINE_TILED], description: `${what}, f32, 16×16 workgroup-memory tiles, one output per invocation` },
      {
        kernel: 'regblock',
        variant: `regblock${suffix}`,
        storage: 'f32',
        math: 'f32',
        layout,
        code: REGBLOCK_F32,
        requires: [],
        configs: layout === 'nt' ? REGBLOCK_F32_NT_CONFIGS : REGBLOCK_F32_CONFIGS,
        description: `${what}, f32, 8×8 register micro-tiles, double-buffered vec4 tiles, autotuned block`,
      },
    );
  }
  out.push(
    {
      kernel: 'regblock',
      variant: 'regblock',
      storage: 'f16',
      math: 'f32',
      layout: 'nt',
      code: buildGemmWgsl('regblock', 'f16', 'f32'),
      requires: [],
      configs: REGBLOCK_F16_CONFIGS,
      description: 'C = A·Wᵀ, f16 storage, f32 multiply-add and accumulation, register-blocked, autotuned block',
    },
    {
      kernel: 'regblock',
      variant: 'regblock-hfma',
      storage: 'f16',
      math: 'hfma',
      layout: 'nt',
      code: buildGemmWgsl('regblock', 'f16', 'hfma'),
      requires: ['shader-f16'],
      configs: REGBLOCK_HFMA_CONFIGS,
      description: 'C = A·Wᵀ, f16 storage, packed f16 FMAs within each k tile, f32 across tiles, register-blocked',
    },
    {
      kernel: 'subgroup-matrix',
      variant: 'subgroup-matrix',
      storage: 'f16',
      math: 'tensor',
      layout: 'nt',
      code: SUBGROUP_MATRIX_CONFIGS[0]?.code ?? SUBGROUP_MATRIX,
      requires: ['shader-f16', 'chromium-experimental-subgroup-matrix'],
      configs: SUBGROUP_MATRIX_CONFIGS,
      description: 'C = A·Wᵀ, f16 inputs, f32 accumulation on tensor cores (subgroup matrices 16×16×16), autotuned block',
    },
  );
  return out;
}

const ALL = variants().map((v) => ({ v, spec: makeSpec(v) }));

function specOf(variant: string, storage: GemmStorage): KernelSpec<GemmShape> {
  const hit = ALL.find((x) => x.v.variant === variant && x.v.storage === storage);
  if (!hit) throw new Error(`internal: no gemm variant ${variant}/${storage}`);
  return hit.spec;
}

export const gemmNaiveSpec = specOf('naive', 'f32');
export const gemmNaiveAbSpec = specOf('naive-ab', 'f32');
export const gemmTiledSpec = specOf('tiled', 'f32');
export const gemmTiledAbSpec = specOf('tiled-ab', 'f32');
export const gemmRegblockSpec = specOf('regblock', 'f32');
export const gemmRegblockAbSpec = specOf('regblock-ab', 'f32');
export const gemmRegblockF16Spec = specOf('regblock', 'f16');
export const gemmHfmaSpec = specOf('regblock-hfma', 'f16');
export const gemmSubgroupMatrixSpec = specOf('subgroup-matrix', 'f16');

/** Every GEMM spec, for the registry. */
export const GEMM_SPECS: readonly KernelSpec<GemmShape>[] = ALL.map((x) => x.spec);


/** The fast kernels, run on every shape of a sweep; the baselines stop at 4096 (8192³ naive takes seconds per run). */
const FAST: readonly KernelSpec<GemmShape>[] = [gemmRegblockSpec, gemmHfmaSpec, gemmSubgroupMatrixSpec];

/** Cases of the GEMM family for a preset, without duplicates (a prefill shape may equal a square one). */
export function gemmCases(preset: Preset): BenchCase[] {
  const cases: BenchCase[] = [];
  const add = (spec: KernelSpec<GemmShape>, shape: GemmShape): void => {
    const c = makeCase(spec, shape);
    if (!cases.some((x) => x.id === c.id)) cases.push(c);
  };
  const sq = (n: number): GemmShape => ({ m: n, n, k: n });
  if (preset === 'test') {
    // Odd sizes that are multiples of nothing: every bound, mask and partial tile is exercised;
    // 130 rows span two 128-row blocks and 133 columns two blocks along n. Outputs stay at most
    // 4096 elements so the runner compares every one of them.
    for (const spec of [gemmNaiveSpec, gemmNaiveAbSpec, gemmTiledSpec, gemmTiledAbSpec]) add(spec, { m: 37, n: 29, k: 45 });
    for (const spec of [gemmRegblockSpec, gemmRegblockAbSpec, gemmRegblockF16Spec, gemmHfmaSpec, gemmSubgroupMatrixSpec]) {
      add(spec, { m: 130, n: 29, k: 35 });
      add(spec, { m: 30, n: 133, k: 70 });
    }
    return cases;
  }
  if (preset === 'quick') {
    for (const spec of [gemmNaiveSpec, gemmTiledSpec]) add(spec, sq(1024));
    for (const n of [2048, 4096]) for (const spec of [...FAST, gemmRegblockF16Spec]) add(spec, sq(n));
    for (const p of prefillGemmShapes().filter((x) => (x.layer === 'o' && x.m === 512) || (x.layer === 'gate_up' && x.m === 2048))) {
      for (const spec of FAST) add(spec, { m: p.m, n: p.n, k: p.k });
    }
    return cases;
  }
  for (const n of GEMM_SQUARE_SIZES) {
    if (n <= 4096) for (const spec of [gemmNaiveSpec, gemmTiledSpec]) add(spec, sq(n));
    if (n === 1024 || n === 4096) for (const spec of [gemmNaiveAbSpec, gemmTiledAbSpec]) add(spec, sq(n));
    for (const spec of [...FAST, gemmRegblockAbSpec, gemmRegblockF16Spec]) add(spec, sq(n));
  }
  for (const p of prefillGemmShapes()) for (const spec of FAST) add(spec, { m: p.m, n: p.n, k: p.k });
  return cases;
}
