import { describe, expect, it } from 'vitest';
import { attendGroup, causalEntries, decodeChunk, decodeFlops, headsPerWorkgroup, naiveHeadGroups, prefillFlops } from '../../src/kernels/attention-reference';
import {
  ATTENTION_SPECS,
  attentionCases,
  attentionTolerance,
  buildAttentionWgsl,
  decodeReference,
  prefillReference,
  prefillTiledF32Spec,
  prefillNaiveF32Spec,
  decodeSplitF16Spec,
  qregSharedBytes,
  splitCandidates,
  FUSED_CHUNKS,
  fusedHeads,
  fusedSharedBytes,
  tiledRows,
  tiledSharedBytes,
  TILED_CONFIGS,
  type DecodeShape,
  type PrefillShape,
} from '../../src/kernels/attention';
import { drawTensor, elementSize, floatBits, tensorValue } from '../../src/kernels/attention-data';
import { CONTEXT_LENGTHS, LLAMA3_8B } from '../../src/suite/shapes';
import { Rng } from '../../src/util/rng';

/** Textbook softmax attention for one query over explicit rows (no shortcuts), for cross-checking. */
function direct(q: number[], K: number[][], V: number[][]): number[] {
  const d = q.length;
  const s = K.map((k) => k.reduce((a, x, c) => a + x * (q[c] ?? 0), 0) / Math.sqrt(d));
  const e = s.map((x) => Math.exp(x));
  const z = e.reduce((a, b) => a + b, 0);
  return Array.from({ length: d }, (_, c) => V.reduce((a, v, j) => a + ((e[j] ?? 0) / z) * (v[c] ?? 0), 0));
}

describe('attention reference', () => {
  it('matches textbook softmax attention, for every head of a group', () => {
    const rng = new Rng(7);
    const d = 8;
    const K = Array.from({ length: 5 }, () => Array.from(rng.f32(d)));
    const V = Array.from({ length: 5 }, () => Array.from(rng.f32(d)));
    const qs = [Array.from(rng.f32(d, -4, 4)), Array.from(rng.f32(d, -4, 4))];
    const got = attendGroup(qs, 5, d, (j) => K[j] ?? [], (j) => V[j] ?? []);
    qs.forEach((q, h) => {
      const want = direct(q, K, V);
      for (let c = 0; c < d; c++) expect(got[h]?.[c]).toBeCloseTo(want[c] ?? NaN, 12);
    });
  });

  it('is shift-invariant and stable at large scores (the max is subtracted)', () => {
    const d = 4;
    const K = [[100, 0, 0, 0], [99, 0, 0, 0]];
    const V = [[1, 0, 0, 0], [0, 1, 0, 0]];
    const [o] = attendGroup([[2 * Math.sqrt(d), 0, 0, 0]], 2, d, (j) => K[j] ?? [], (j) => V[j] ?? []);
    // scores 200 and 198: weights 1/(1+e^-2) and e^-2/(1+e^-2).
    expect(o?.[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
    expect(o?.[1]).toBeCloseTo(Math.exp(-2) / (1 + Math.exp(-2)), 12);
  });

  it('prefill reference is causal: row i sees keys 0..i only, and GQA maps heads to KV heads', () => {
    const s: PrefillShape = { h: 4, kv: 2, d: 4, n: 3 };
    const rng = new Rng(3);
    const t = { q: drawTensor('f32', rng, 4), k: drawTensor('f32', rng), v: drawTensor('f32', rng) };
    const ref = prefillReference(s, t);
    // Row 0 attends to key 0 alone: output = V[kvh][0].
    for (let h = 0; h < 4; h++) {
      const kvh = Math.floor(h / 2);
      for (let c = 0; c < 4; c++) expect(ref((0 * 4 + h) * 4 + c)).toBeCloseTo(tensorValue(t.v, (kvh * 3 + 0) * 4 + c), 14);
    }
    // Row 2 of head 3 (KV head 1) over keys 0..2.
    const row = (x: typeof t.k, j: number) => Array.from({ length: 4 }, (_, c) => tensorValue(x, (1 * 3 + j) * 4 + c));
    const q = Array.from({ length: 4 }, (_, c) => tensorValue(t.q, (2 * 4 + 3) * 4 + c));
    const want = direct(q, [0, 1, 2].map((j) => row(t.k, j)), [0, 1, 2].map((j) => row(t.v, j)));
    for (let c = 0; c < 4; c++) expect(ref((2 * 4 + 3) * 4 + c)).toBeCloseTo(want[c] ?? NaN, 12);
  });

  it('decode reference attends to all L cached tokens of the right KV head', () => {
    const s: DecodeShape = { h: 8, kv: 2, d: 4, l: 6 };
    const rng = new Rng(5);
    const t = { q: drawTensor('f16', rng, 4), k: drawTensor('f16', rng), v: drawTensor('f16', rng) };
    const ref = decodeReference(s, t);
    const h = 5;
    const kvh = 1;
    const row = (x: typeof t.k, j: number) => Array.from({ length: 4 }, (_, c) => tensorValue(x, (kvh * 6 + j) * 4 + c));
    const q = Array.from({ length: 4 }, (_, c) => tensorValue(t.q, h * 4 + c));
    const js = [0, 1, 2, 3, 4, 5];
    const want = direct(q, js.map((j) => row(t.k, j)), js.map((j) => row(t.v, j)));
    for (let c = 0; c < 4; c++) expect(ref(h * 4 + c)).toBeCloseTo(want[c] ?? NaN, 12);
  });
});

describe('attention formulas', () => {
  it('counts causal FLOPs as 4·h·N²·d halved, and decode FLOPs as 4·h·L·d', () => {
    expect(prefillFlops(32, 4096, 128)).toBe(2 * 32 * 4096 * 4096 * 128);
    expect(decodeFlops(32, 32768, 128)).toBe(4 * 32 * 32768 * 128);
    expect(causalEntries(2, 3)).toBe(12);
    expect(prefillTiledF32Spec.flops({ h: 32, kv: 8, d: 128, n: 4096 })).toBe(prefillFlops(32, 4096, 128));
  });

  it('bytes: compulsory traffic, plus the S passes for naive', () => {
    const s = { h: 32, kv: 8, d: 128, n: 1024 };
    const tiled = 4 * (2 * 1024 * 32 * 128 + 2 * 8 * 1024 * 128);
    expect(prefillTiledF32Spec.bytes(s)).toBe(tiled);
    expect(prefillNaiveF32Spec.bytes(s)).toBe(tiled + 16 * causalEntries(32, 1024));
    // Decode: K and V of L tokens in f16, plus q and o.
    expect(decodeSplitF16Spec.bytes({ h: 32, kv: 8, d: 128, l: 32768 })).toBe(2 * (2 * 8 * 32768 * 128 + 2 * 32 * 128));
  });

  it('splits heads so one group of S fits a binding, and refuses when one head does not', () => {
    expect(naiveHeadGroups(32, 4096, 2 ** 31 - 4)).toEqual({ groups: 2, perGroup: 16 });
    expect(naiveHeadGroups(32, 1024, 2 ** 31 - 4)).toEqual({ groups: 1, perGroup: 32 });
    expect(naiveHeadGroups(32, 4096, 2 ** 27)).toEqual({ groups: 16, perGroup: 2 });
    expect(naiveHeadGroups(1, 32768, 2 ** 31 - 4)).toBeNull();
    for (const [h, n, lim] of [[32, 4096, 2 ** 31 - 4], [12, 3000, 2 ** 28], [7, 100, 1e6]] as const) {
      const g = naiveHeadGroups(h, n, lim);
      expect(g).not.toBeNull();
      if (g) {
        expect(g.perGroup * n * n * 4).toBeLessThanOrEqual(lim);
        expect(g.groups * g.perGroup).toBeGreaterThanOrEqual(h);
      }
    }
  });

  it('picks decode heads per workgroup as a divisor of the GQA ratio, at most 8', () => {
    expect(headsPerWorkgroup(1)).toBe(1);
    expect(headsPerWorkgroup(4)).toBe(4);
    expect(headsPerWorkgroup(8)).toBe(8);
    expect(headsPerWorkgroup(12)).toBe(6);
    expect(headsPerWorkgroup(7)).toBe(7);
    expect(headsPerWorkgroup(16)).toBe(8);
  });

  it('sizes split-K chunks to ~1024 workgroups within 64..256 keys', () => {
    expect(decodeChunk(32768, 8)).toBe(256);
    expect(decodeChunk(512, 8)).toBe(64);
    expect(decodeChunk(8192, 8)).toBe(64);
    expect(decodeChunk(16384, 8)).toBe(128);
    for (const l of CONTEXT_LENGTHS) {
      const c = decodeChunk(l, 8);
      expect([64, 128, 256]).toContain(c);
    }
  });

  it('lists split-K candidates: the base kernel at the heuristic chunk first, deep pairings that fit their chunk', () => {
    expect(splitCandidates(256, true)).toEqual([{ kernel: 'base', chunk: 256, ku: 2, vu: 8 }]);
    const all = splitCandidates(256, false);
    expect(all[0]).toEqual({ kernel: 'base', chunk: 256, ku: 2, vu: 8 });
    expect(all.filter((c) => c.kernel === 'base').map((c) => c.chunk)).toEqual([256, 64, 128]);
    // 4 keys per lane make 128-key score steps: not with 64-key chunks; 16 V rows only with 4 keys.
    const deep = all.filter((c) => c.kernel === 'deep');
    expect(deep.some((c) => c.chunk === 64 && c.ku === 4)).toBe(false);
    expect(deep.every((c) => c.ku * 32 <= c.chunk && (c.vu === 8 || c.ku === 4))).toBe(true);
    expect(deep).toHaveLength(10);
    expect(new Set(all.map((c) => JSON.stringify(c))).size).toBe(all.length);
    // With the fused kernel: GQA 4 in f16 gets 2 chunks x 3 step forms x 2 head counts (4 and 2).
    const withFused = splitCandidates(256, false, { group: 4, dtype: 'f16', d: 128, sharedLimit: 49152 });
    expect(withFused.slice(0, all.length)).toEqual(all);
    const fused = withFused.filter((c) => c.kernel === 'fused');
    expect(fused).toHaveLength(12);
    expect(new Set(fused.map((c) => c.gh))).toEqual(new Set([4, 2]));
    // f32 rows take twice the registers: 1 key per slot; MHA: 1 head; a 16 KB device fits none at d = 128.
    expect(splitCandidates(256, false, { group: 1, dtype: 'f32', d: 128, sharedLimit: 49152 }).filter((c) => c.kernel === 'fused')).toEqual(
      FUSED_CHUNKS.flatMap((chunk) => [false, true].map((prefetch) => ({ kernel: 'fused', chunk, ku: 1, vu: 0, gh: 1, prefetch }))),
    );
    expect(splitCandidates(256, false, { group: 8, dtype: 'f16', d: 128, sharedLimit: 16384 }).some((c) => c.kernel === 'fused')).toBe(false);
    expect(fusedHeads(8)).toEqual([4, 2]);
    expect(fusedHeads(3)).toEqual([3]);
    expect(fusedSharedBytes(128, 4)).toBeLessThanOrEqual(32768);
  });

  it('fits the tiled kernel in 48 KB at d=128 with 64 rows, and in 32 KB with 32 rows', () => {
    expect(tiledSharedBytes(128, 64)).toBe(49152);
    expect(tiledSharedBytes(128, 32)).toBeLessThanOrEqual(32768);
    expect(tiledSharedBytes(64, 64)).toBeLessThanOrEqual(32768);
    for (const c of TILED_CONFIGS) {
      // qreg register arrays: RPT <= 4 and RPT * (d/4) / TX <= 16 vec4 at d = 128.
      expect(c.rpt).toBeLessThanOrEqual(4);
      if (c.kernel === 'qreg') expect((c.rpt * 32) / (c.tx ?? 4)).toBeLessThanOrEqual(16);
      expect(256 % c.wg).toBe(0);
      expect(tiledRows(c)).toBeGreaterThanOrEqual(32);
    }
    // Q in registers: workgroup memory holds only a 32-key K and V block, 32 KB at d = 128 in f32,
    // and the next block's quads per invocation (2·32·d/4 / wg) fit the kernel's 16-quad prefetch.
    expect(qregSharedBytes(128)).toBe(32768);
    for (const c of TILED_CONFIGS.filter((x) => x.kernel === 'qreg')) expect((2 * (c.bc ?? 32) * 32) / c.wg).toBeLessThanOrEqual(16);
    // 16-key blocks (session 3): 16 KiB, 24 KiB with the second V block of pipe, so two or three
    // workgroups fit the 48 KiB an SM shares on this stack.
    expect(qregSharedBytes(128, { kernel: 'qreg', wg: 128, rpt: 4, tx: 8, bc: 16, rs: true })).toBe(16384);
    expect(qregSharedBytes(128, { kernel: 'qreg', wg: 128, rpt: 4, tx: 8, bc: 16, rs: true, pipe: true })).toBe(24576);
    for (const c of TILED_CONFIGS.filter((x) => x.bc === 16)) expect(qregSharedBytes(128, c)).toBeLessThanOrEqual(24576);
    expect(tiledRows({ kernel: 'qreg', wg: 128, rpt: 2 })).toBe(64);
    expect(tiledRows({ kernel: 'qreg', wg: 256, rpt: 4, tx: 8 })).toBe(128);
    expect(tiledRows({ kernel: 'staged', wg: 256, rpt: 2 })).toBe(64);
  });

  it('tolerances: f16 looser than f32 by its output rounding', () => {
    expect(attentionTolerance('f16').rel).toBeGreaterThanOrEqual(2 ** -11);
    expect(attentionTolerance('f32').rel).toBeLessThan(attentionTolerance('f16').rel);
    expect(elementSize('f16')).toBe(2);
    expect(floatBits(1)).toBe(0x3f800000);
  });
});

describe('attention kernels and cases', () => {
  it('builds WGSL with the dtype prelude: packed u32 storage for f16, no f16 types or enable', () => {
    const f16 = buildAttentionWgsl('// body', 'f16');
    expect(f16).toMatch(/alias Quad = vec2<u32>/);
    expect(f16).toMatch(/unpack2x16float/);
    expect(f16).not.toMatch(/enable f16/);
    expect(buildAttentionWgsl('// body', 'f32')).toMatch(/alias Quad = vec4<f32>/);
    for (const s of ATTENTION_SPECS) for (const w of s.wgsl) expect(w).not.toMatch(/enable f16|<f16>|array<f16|\bf16\(/);
  });

  it('test preset covers both phases, both kernels of each, GQA 1/4/8, odd sizes, paged', () => {
    const cases = attentionCases('test');
    const ids = cases.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const v of ['prefill-naive', 'prefill-tiled', 'decode-naive', 'decode-split', 'decode-split-paged', 'decode-naive-paged']) {
      expect(cases.some((c) => c.spec.variant === v)).toBe(true);
    }
    const ratios = new Set(cases.map((c) => (c.shape.h ?? 0) / (c.shape.kv ?? 1)));
    for (const r of [1, 4, 8]) expect(ratios.has(r)).toBe(true);
    expect(cases.some((c) => (c.shape.n ?? 0) % 2 === 1)).toBe(true);
    expect(cases.some((c) => (c.shape.l ?? 0) % 64 !== 0 && (c.shape.l ?? 0) > 256)).toBe(true);
    expect(ids).toContain('attention/prefill-tiled/f32/h=4,kv=1,d=64,n=37');
  });

  it('full preset holds the goal cases: N=4096 f32 naive and tiled, the L sweep, the no-GQA torch twin', () => {
    const ids = attentionCases('full').map((c) => c.id);
    const m = LLAMA3_8B;
    expect(ids).toContain(`attention/prefill-tiled/f32/h=${m.heads},kv=${m.kvHeads},d=128,n=4096`);
    expect(ids).toContain(`attention/prefill-naive/f32/h=${m.heads},kv=${m.kvHeads},d=128,n=4096`);
    for (const l of CONTEXT_LENGTHS) {
      expect(ids).toContain(`attention/decode-split/f16/h=32,kv=8,d=128,l=${l}`);
      expect(ids).toContain(`attention/decode-naive/f16/h=32,kv=8,d=128,l=${l}`);
    }
    expect(ids).toContain('attention/decode-split/f16/h=32,kv=32,d=128,l=32768');
    expect(ids).toContain('attention/decode-split-paged/f16/h=32,kv=8,d=128,l=32768,page=16');
    // Decode bandwidth cases stream far more than the H100's 50 MB L2 at the long end.
    expect(decodeSplitF16Spec.bytes({ h: 32, kv: 8, d: 128, l: 32768 })).toBeGreaterThan(2 * 50e6);
  });
});
