import { describe, expect, it } from 'vitest';
import {
  REGBLOCK_F16_CONFIGS,
  REGBLOCK_F32_CONFIGS,
  REGBLOCK_F32_NT_CONFIGS,
  REGBLOCK_HFMA_CONFIGS,
  SUBGROUP_MATRIX_CONFIGS,
  fastest,
  gemmBufferBytes,
  gemmBytes,
  gemmCases,
  gemmDims,
  gemmFlops,
  gemmReference,
  gemmTolerance,
  loadsFit,
  splitRange,
  subgroupMatrixWgsl,
  tensorRowVec4,
  tuneBatch,
  type ElementAt,
} from '../../src/kernels/gemm';
import { GEMM_SQUARE_SIZES, LLAMA3_8B, PROMPT_LENGTHS, prefillGemmShapes } from '../../src/suite/shapes';

describe('gemm formulas', () => {
  it('counts 2·M·N·K FLOPs and compulsory bytes by storage type', () => {
    const s = { m: 3, n: 5, k: 7 };
    expect(gemmFlops(s)).toBe(210);
    // A 3×7 and W 5×7 read once, C 3×5 f32 written once.
    expect(gemmBytes(s, 'f32')).toBe((21 + 35) * 4 + 15 * 4);
    expect(gemmBytes(s, 'f16')).toBe((21 + 35) * 2 + 15 * 4);
    expect(gemmFlops({ m: 4096, n: 4096, k: 4096 })).toBe(2 * 4096 ** 3);
  });

  it('pads rows to 16 bytes and C to whole blocks only where asked', () => {
    const s = { m: 37, n: 29, k: 45 };
    expect(gemmDims(s, 'f32', 'nt', { rows: 1, cols: 4 })).toEqual({ lda: 48, ldb: 48, ldc: 32, cRows: 37 });
    expect(gemmDims(s, 'f16', 'nt', { rows: 256, cols: 256 })).toEqual({ lda: 48, ldb: 48, ldc: 256, cRows: 256 });
    // A·B: B is [K][N], its rows are N long.
    expect(gemmDims(s, 'f32', 'nn', { rows: 1, cols: 4 })).toEqual({ lda: 48, ldb: 32, ldc: 32, cRows: 37 });
    expect(gemmBufferBytes(s, { storage: 'f32', layout: 'nn', kernel: 'regblock' })).toEqual({ a: 37 * 48 * 4, b: 45 * 32 * 4, c: 37 * 32 * 4 });
  });
});

describe('gemm reference', () => {
  // A = [[1, 2, 3], [4, 5, 6]], W = [[1, 0, -1], [2, 1, 0]] (N = 2, K = 3).
  const A = [
    [1, 2, 3],
    [4, 5, 6],
  ];
  const W = [
    [1, 0, -1],
    [2, 1, 0],
  ];
  const at =
    (mat: number[][]): ElementAt =>
    (r, c) =>
      mat[r]?.[c] ?? NaN;
  const Wt = [0, 1, 2].map((k) => W.map((row) => row[k] ?? NaN));

  it('computes C = A·Wᵀ from W [N,K] and the same C from B = Wᵀ [K,N]', () => {
    const expected = [
      [-2, 4],
      [-2, 13],
    ];
    for (let m = 0; m < 2; m++) {
      for (let n = 0; n < 2; n++) {
        expect(gemmReference(at(A), at(W), 'nt', m, n, 3)).toBe(expected[m]?.[n]);
        expect(gemmReference(at(A), at(Wt), 'nn', m, n, 3)).toBe(expected[m]?.[n]);
      }
    }
  });
});

describe('gemm tolerance', () => {
  it('grows with K, is looser for f16 sums and tensor cores, and stays below one dropped term for f32', () => {
    for (const k of [64, 4096, 14336]) {
      const f32 = gemmTolerance(k, 'f32').abs;
      expect(gemmTolerance(k, 'tensor').abs).toBeGreaterThan(f32);
      expect(gemmTolerance(k, 'hfma').abs).toBeGreaterThan(f32);
      // A kernel that drops or repeats one product errs by |a·b|, 0.25 on average: detectable.
      expect(gemmTolerance(k, 'tensor').abs).toBeLessThan(0.05);
    }
    expect(gemmTolerance(8192, 'f32').abs).toBeGreaterThan(gemmTolerance(4096, 'f32').abs);
    expect(gemmTolerance(4096, 'f32').abs).toBeCloseTo(2 * 2 ** -24 * 4096, 12);
  });
});

describe('gemm configurations', () => {
  const SHARED = 49152; // the H100's maxComputeWorkgroupStorageSize under Dawn
  it('stage whole 16-byte vectors per invocation and fit workgroup memory and size limits', () => {
    for (const c of REGBLOCK_F32_NT_CONFIGS) {
      const bk = c.stagedK;
      expect(loadsFit(c.bm * bk, 4, c.invocations, 4), c.label).toBe(true);
      expect(loadsFit(c.bn * bk, 4, c.invocations, 4), c.label).toBe(true);
    }
    for (const c of [...REGBLOCK_F16_CONFIGS, ...REGBLOCK_HFMA_CONFIGS]) {
      const bk = c.stagedK;
      expect(loadsFit(c.bm * bk, 8, c.invocations, 4), c.label).toBe(true);
      expect(loadsFit(c.bn * bk, 8, c.invocations, 4), c.label).toBe(true);
    }
    for (const c of REGBLOCK_HFMA_CONFIGS) expect(c.stagedK, c.label).toBeLessThanOrEqual(32); // the hfma tolerance assumes ≤ 32-term f16 sums
    for (const c of SUBGROUP_MATRIX_CONFIGS) {
      expect(c.invocations % 32, c.label).toBe(0);
      expect(c.stagedK % 16, c.label).toBe(0);
      expect(loadsFit(c.bm * c.stagedK, 8, c.invocations, 8), c.label).toBe(true);
      expect(loadsFit(c.bn * c.stagedK, 8, c.invocations, 8), c.label).toBe(true);
      // C is padded to 256×256 blocks for this kernel, so whole blocks are stored in bounds.
      expect(256 % c.bm + 256 % c.bn, c.label).toBe(0);
    }
    // C = A·Wᵀ keeps the k-major kernel only for the blocks the K-contiguous one has no shape for.
    for (const c of REGBLOCK_F32_NT_CONFIGS) {
      if (c.code === undefined) expect(REGBLOCK_F32_CONFIGS, c.label).toContainEqual(c);
      else expect([c.bm, c.bn], c.label).toEqual([128, 128]);
    }
    expect(REGBLOCK_F32_NT_CONFIGS.filter((c) => c.code === undefined && c.bm * c.bn >= 128 * 128)).toEqual([]);
    for (const c of [...REGBLOCK_F32_NT_CONFIGS, ...REGBLOCK_F16_CONFIGS, ...REGBLOCK_HFMA_CONFIGS, ...SUBGROUP_MATRIX_CONFIGS]) {
      expect(c.sharedBytes, c.label).toBeLessThanOrEqual(SHARED);
      expect(c.invocations, c.label).toBeLessThanOrEqual(1024);
    }
    expect(loadsFit(100, 8, 64, 4)).toBe(false);
  });
});

describe('gemm tensor-core kernel', () => {
  it('loads every 16×16 operand matrix once per 16-deep step, at a literal offset inside its strip', () => {
    for (const c of SUBGROUP_MATRIX_CONFIGS) {
      const t = c.tensor;
      if (t === undefined) throw new Error(`${c.label}: no shape`);
      const code = c.code ?? '';
      expect(code, c.label).toBe(subgroupMatrixWgsl(t));
      expect(code, c.label).not.toMatch(/\{\{/);
      const lds4 = tensorRowVec4(t.bk);
      // Padded rows lie an odd number of 16-byte groups apart (the 8 rows of a matrix load on
      // distinct banks); strips are whole rows, so every strip and row starts 16-byte aligned.
      expect((lds4 * 8) % 32, c.label).toBe(16);
      const strip = { a: 16 * t.fm * lds4, b: 16 * t.fn * lds4 };
      expect(c.sharedBytes, c.label).toBe(t.stages * (t.sgM * strip.a + t.sgN * strip.b) * 8);
      const loads = [...code.matchAll(/let ([lr])(\d)(\d) = subgroupMatrixLoad<(Left|Right), (row|col)_major>\(&s([ab])\[s[ab]_i\], (\d+)u, (\d+)u\);/g)];
      expect(loads, c.label).toHaveLength((t.bk / 16) * (t.fm + t.fn));
      const seen = new Set<string>();
      for (const [, lr, kk, i, kind, major, arr, off, stride] of loads) {
        const left = lr === 'l';
        expect([kind, major, arr], c.label).toEqual(left ? ['Left', 'row', 'a'] : ['Right', 'col', 'b']);
        // Matrix i of the subgroup's strip (rows 16i ..), k columns 16kk .. (4 vec4 each).
        expect(Number(off), c.label).toBe(16 * Number(i) * lds4 + 4 * Number(kk));
        expect(Number(stride), c.label).toBe(lds4);
        // Its last row's 16 halves (4 vec4) end inside the strip.
        expect(Number(off) + 15 * lds4 + 4, c.label).toBeLessThanOrEqual(left ? strip.a : strip.b);
        seen.add(`${lr}${kk}${i}`);
      }
      expect(seen.size, c.label).toBe(loads.length);
      // Each product pairs the left and right matrices of the same 16-deep step.
      expect([...code.matchAll(/subgroupMatrixMultiplyAccumulate\(l(\d)\d, r(\d)\d,/g)].every(([, a, b]) => a === b), c.label).toBe(true);
      expect(code.match(/subgroupMatrixMultiplyAccumulate\(/g), c.label).toHaveLength((t.bk / 16) * t.fm * t.fn);
      expect(code.match(/subgroupMatrixStore</g), c.label).toHaveLength(t.fm * t.fn);
    }
  });
});

describe('gemm split-K', () => {
  it('cuts K into whole BK-deep tiles, every k in exactly one split, or declines a single split', () => {
    expect(splitRange(4096, 16, 4)).toEqual({ chunk: 1024, splits: 4 });
    expect(splitRange(35, 16, 4)).toEqual({ chunk: 16, splits: 3 });
    expect(splitRange(16, 16, 4)).toBeNull();
    for (const k of [17, 35, 70, 1000, 4096, 14336]) {
      for (const target of [2, 4, 8]) {
        const r = splitRange(k, 16, target);
        if (r === null) continue;
        expect(r.chunk % 16).toBe(0);
        expect(r.splits).toBeLessThanOrEqual(target);
        expect(r.splits * r.chunk).toBeGreaterThanOrEqual(k);
        expect((r.splits - 1) * r.chunk).toBeLessThan(k);
      }
    }
    // Split-K candidates are tensor-core configurations with a label that says so.
    const split = SUBGROUP_MATRIX_CONFIGS.filter((c) => c.splitK !== undefined);
    expect(split.length).toBeGreaterThan(0);
    for (const c of split) expect(c.label).toMatch(new RegExp(`/k${c.splitK ?? 0}$`));
    expect(new Set(SUBGROUP_MATRIX_CONFIGS.map((c) => c.label)).size).toBe(SUBGROUP_MATRIX_CONFIGS.length);
  });
});

describe('gemm cases', () => {
  const ID = /^gemm\/[a-z-]+\/(f32|f16)\/m=\d+,n=\d+,k=\d+$/;
  it('names cases from parameters, without duplicates, in every preset', () => {
    for (const preset of ['test', 'quick', 'full'] as const) {
      const ids = gemmCases(preset).map((c) => c.id);
      expect(new Set(ids).size, preset).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(ID);
    }
    const full = gemmCases('full').map((c) => c.id);
    for (const v of ['naive/f32', 'tiled/f32', 'regblock/f32', 'regblock-ab/f32', 'regblock/f16', 'regblock-hfma/f16', 'subgroup-matrix/f16']) {
      expect(full).toContain(`gemm/${v}/m=4096,n=4096,k=4096`);
    }
    expect(full).toContain('gemm/regblock/f32/m=8192,n=8192,k=8192');
    expect(full).not.toContain('gemm/naive/f32/m=8192,n=8192,k=8192');
    expect(full).toContain('gemm/subgroup-matrix/f16/m=2048,n=28672,k=4096'); // gate/up at 2048 tokens
  });

  it('keeps the test preset tiny and odd', () => {
    for (const c of gemmCases('test')) {
      const { m, n, k } = c.shape as { m: number; n: number; k: number };
      expect(m * n).toBeLessThanOrEqual(4096);
      expect(m * n * k).toBeLessThan(400_000);
      expect([m, n, k].some((x) => x % 4 !== 0)).toBe(true);
    }
  });

  it('derives prefill shapes from the model dimensions', () => {
    const shapes = prefillGemmShapes();
    expect(shapes).toHaveLength(4 * PROMPT_LENGTHS.length);
    const at = (layer: string, m: number) => shapes.find((s) => s.layer === layer && s.m === m);
    const { hidden, heads, kvHeads, headDim, intermediate } = LLAMA3_8B;
    expect(at('qkv', 128)).toEqual({ layer: 'qkv', m: 128, n: (heads + 2 * kvHeads) * headDim, k: hidden });
    expect(at('gate_up', 4096)).toEqual({ layer: 'gate_up', m: 4096, n: 2 * intermediate, k: hidden });
    expect(at('down', 512)).toEqual({ layer: 'down', m: 512, n: hidden, k: intermediate });
    expect(shapes.some((s) => s.layer === 'lm_head')).toBe(false);
    expect([...GEMM_SQUARE_SIZES]).toEqual([512, 1024, 2048, 4096, 8192]);
  });
});

describe('gemm autotune spans', () => {
  it('times spans of at least 5·10^11 FLOPs on a GPU (at most 64 executions) and single executions in software', () => {
    const flops = (n: number): number => gemmFlops({ m: n, n, k: n });
    expect(tuneBatch(flops(4096), false)).toBe(4); // 1.37e11 FLOPs per execution
    expect(tuneBatch(flops(4096), false) * flops(4096)).toBeGreaterThanOrEqual(5e11);
    expect(tuneBatch(flops(8192), false)).toBe(1);
    expect(tuneBatch(flops(512), false)).toBe(64);
    expect(tuneBatch(flops(4096), true)).toBe(1);
  });

  it('re-times the fastest candidates, a timing that never completed last', () => {
    expect(fastest([3, 1, Infinity, 2, NaN, 1], 3)).toEqual([1, 5, 3]);
    expect(fastest([NaN, 5], 3)).toEqual([1, 0]);
  });
});
