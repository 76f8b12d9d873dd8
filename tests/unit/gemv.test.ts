import { describe, expect, it } from 'vitest';
import {
  GEMV_FORMATS,
  GEMV_SQUARES,
  INT4_SCALE,
  INT8_SCALE,
  MAX_COPIES,
  ROTATE_BYTES,
  buildGemvWgsl,
  C127,
  elementsPerUnit,
  gemvQ8xReference,
  gemvQ8xTolerance,
  invScale127,
  q8xSharedBytes,
  quantizeX,
  quantizeXBlock,
  roundHalfEven,
  weightParts,
  gemvBytes,
  gemvCases,
  batchTile,
  gemvConfigs,
  gemvFlops,
  gemvLayout,
  gemvReference,
  gemvTolerance,
  rowsetPiece,
  rowsetPieces,
  splitCount,
  weightAt,
  weightCopies,
  type GemvFormat,
  type GemvShape,
  type GemvWeights,
} from '../../src/kernels/gemv';
import { DECODE_BATCHES, LLAMA3_8B, linearLayers } from '../../src/suite/shapes';
import { f16FromWord, fillF16, fillF32, fillU32, hashSeed } from '../../src/util/hash';
import { Rng } from '../../src/util/rng';

const L2_BYTES = 50e6;

/** Bits of a u32 read as f32 (what WGSL's bitcast<f32> does). */
function asF32(bits: number): number {
  const v = new DataView(new ArrayBuffer(4));
  v.setUint32(0, bits >>> 0, true);
  return v.getFloat32(0, true);
}

/** f32 rounding of a double (each WGSL f32 operation rounds once). */
const f32 = Math.fround;

/**
 * Port of decode() in shaders/gemv/formats.wgsl for the integer formats (magic-number conversion
 * included, every f32 operation rounded as on the GPU), before scales: elements 4s..4s+3 of a unit
 * of four u32 words.
 */
function decodeLikeWgsl(format: 'int8' | 'int4', words: readonly number[], s: number): number[] {
  const MAGIC = 0x4b000000;
  if (format === 'int8') {
    // Bytes 0, 1 masked in place at bits 0, 8; bytes 2, 3 in the word shifted right by 16; fma(f, 2^-p, -(2^(23-p) + 128)).
    const w = ((words[s] ?? 0) ^ 0x80808080) >>> 0;
    const w16 = w >>> 16;
    const bytes: readonly (readonly [number, number, number])[] = [[w, 0xff, 0], [w, 0xff00, 8], [w16, 0xff, 0], [w16, 0xff00, 8]];
    return bytes.map(([v, mask, p]) => f32(asF32((v & mask) | MAGIC) * 2 ** -p - (2 ** (23 - p) + 128)));
  }
  // int4: nibble at bit p (masked in place, or in the word shifted right by 12), then fma(f, 2^-p, -(2^(23-p) + 8)).
  const word = words[s >> 1] ?? 0;
  const w12 = word >>> 12;
  const lanes: readonly (readonly [number, number, number])[] =
    (s & 1) === 0
      ? [[word, 0xf, 0], [word, 0xf00, 8], [word, 0xf0000, 16], [w12, 0xf000, 12]]
      : [[word, 0xf0, 4], [word, 0xf000, 12], [w12, 0xf00, 8], [w12, 0xf0000, 16]];
  return lanes.map(([v, mask, p]) => f32(asF32((v & mask) | MAGIC) * 2 ** -p - (2 ** (23 - p) + 8)));
}

function weights(format: GemvFormat, n: number, k: number, seed = 7): GemvWeights {
  return { format, n, k, units: gemvLayout(format, n, k).units, seedW: hashSeed(seed), seedS: hashSeed(seed + 1) };
}

describe('gemv layout and formulas', () => {
  it('pads rows to whole 16-byte units and counts weights, scales, X and Y', () => {
    expect(GEMV_FORMATS.map(elementsPerUnit)).toEqual([4, 8, 16, 32]);
    const odd = gemvLayout('int4', 37, 203);
    expect(odd).toEqual({ units: 7, ldw: 224, weightWords: 37 * 7 * 4, scaleWords: Math.ceil((37 * 7) / 2), weightBytes: 37 * 7 * 16 + 2 * 37 * 7 });
    expect(gemvLayout('f32', 37, 203).ldw).toBe(204);
    expect(gemvLayout('f16', 37, 203).ldw).toBe(208);
    expect(gemvLayout('int8', 37, 203)).toMatchObject({ ldw: 208, scaleWords: 37, weightBytes: 37 * 208 + 4 * 37 });
    const s: GemvShape = { n: 8192, k: 8192, b: 1 };
    const io = 4 * 8192 + 4 * 8192;
    expect(gemvBytes('f32', s)).toBe(8192 * 8192 * 4 + io);
    expect(gemvBytes('f16', s)).toBe(8192 * 8192 * 2 + io);
    expect(gemvBytes('int8', s)).toBe(8192 * 8192 + 4 * 8192 + io);
    // int4: 4.5 bits per weight (16 B of nibbles + 2 B of scale per 32 weights).
    expect(gemvBytes('int4', s)).toBe(8192 * 8192 * 0.5 + 8192 * 256 * 2 + io);
    expect(gemvBytes('int4', s) / gemvBytes('f32', s)).toBeCloseTo(4.5 / 32, 3);
    expect(gemvBytes('f32', { n: 4096, k: 4096, b: 64 })).toBe(4096 * 4096 * 4 + 64 * 4096 * 4 * 2);
    expect(gemvFlops({ n: 6, k: 7, b: 3 })).toBe(2 * 6 * 7 * 3);
  });

  it('widens the tolerance as K^1.5 (probabilistic f32 summation bound, |w|, |x| <= 1)', () => {
    expect(gemvTolerance({ n: 1, k: 8192, b: 1 }).abs).toBeCloseTo(2 * 2 ** -24 * 8192 ** 1.5, 12);
    expect(gemvTolerance({ n: 1, k: 203, b: 1 }).abs).toBeLessThan(1e-3);
    expect(gemvTolerance({ n: 1, k: 4 * 8192, b: 1 }).abs / gemvTolerance({ n: 1, k: 8192, b: 1 }).abs).toBeCloseTo(8, 9);
  });

  it('rotates enough weight copies to stream several L2s between reads of one copy', () => {
    for (const f of GEMV_FORMATS) {
      for (const n of GEMV_SQUARES) {
        const wb = gemvLayout(f, n, n).weightBytes;
        const c = weightCopies(wb);
        expect(c).toBeGreaterThanOrEqual(1);
        expect(c).toBeLessThanOrEqual(MAX_COPIES);
        // The other copies streamed between two uses of one copy flush a 50 MB L2 at least 2.5 times.
        expect((c - 1) * wb + (c === 1 ? wb : 0)).toBeGreaterThan(2.5 * L2_BYTES);
      }
    }
    expect(weightCopies(1 << 30)).toBe(1);
    expect(weightCopies(64 << 20)).toBe(ROTATE_BYTES / (64 << 20));
  });

  it('tiles the batch in 1, 4 or 8 columns', () => {
    expect([1, 2, 3, 4, 5, 8, 9, 64].map(batchTile)).toEqual([1, 4, 4, 4, 8, 8, 8, 8]);
  });

  it('splits K into at least two chunks that cover every unit once', () => {
    for (const [sets, units, sg] of [[4096, 1024, 32], [128256, 128, 32], [5, 63, 4], [3, 2, 32], [1024, 4096, 32]] as const) {
      const { splits, chunk } = splitCount(sets, units, sg);
      expect(splits).toBeGreaterThanOrEqual(2);
      expect(splits * chunk).toBeGreaterThanOrEqual(units);
      expect((splits - 1) * chunk).toBeLessThan(units);
    }
    // Few rows, long K: many splits, each lane still looping over >= 4 units.
    const few = splitCount(1024, 4096, 32);
    expect(few.splits).toBe(8);
    expect(few.chunk).toBeGreaterThanOrEqual(4 * 32);
  });

  it('offers configurations the kernels support (rows 1, 2, 4; batch tiles 1, 4, 8; unroll 1, 2, 4)', () => {
    for (const b of DECODE_BATCHES) {
      for (const v of ['naive', 'row', 'subgroup', 'splitk', 'subgroup-native', 'rowset'] as const) {
        const cfgs = gemvConfigs(v, 'f16', { n: 4096, k: 4096, b }, 512);
        expect(cfgs.length).toBeGreaterThan(0);
        for (const c of cfgs) {
          expect(c.bt).toBe(batchTile(b));
          expect([1, 2, 4]).toContain(c.rows);
          expect([1, 2, 4]).toContain(c.unroll);
          if (v !== 'rowset') expect(c.unroll).toBe(1);
          expect(Math.log2(c.wg) % 1).toBe(0);
        }
        expect(new Set(cfgs.map((c) => JSON.stringify(c))).size).toBe(cfgs.length);
      }
    }
  });

  it('offers rowset candidates only where every lane of the workgroup has UNROLL pieces', () => {
    // int4 16384 columns: 512 units, so even 4-word pieces give 2 per lane at 256 invocations: all 11
    // shapes at workgroups of 64, 128 and 256.
    expect(gemvConfigs('rowset', 'int4', { n: 8192, k: 16384, b: 1 }, 512).length).toBe(3 * 11);
    // f32 4096 columns: 1024 unit pieces; 4 per lane at 256 invocations: rows 1, 2, 4 × unroll 1, 2, 4.
    expect(gemvConfigs('rowset', 'f32', { n: 64, k: 4096, b: 1 }, 1024).length).toBe(27);
    // int4 4096 columns (128 units): 4-word pieces are 128 per row, so not for 256 invocations.
    const mid = gemvConfigs('rowset', 'int4', { n: 4096, k: 4096, b: 1 }, 128);
    expect(mid.some((c) => c.pw === 4 && c.wg === 128)).toBe(true);
    expect(mid.some((c) => c.pw === 4 && c.wg === 256)).toBe(false);
    for (const c of mid) expect(rowsetPieces('int4', 128, c.pw)).toBeGreaterThanOrEqual(c.unroll * c.wg);
    // 7 int4 units: fewer pieces than lanes: one small configuration, nothing to tune.
    expect(gemvConfigs('rowset', 'int4', { n: 37, k: 203, b: 1 }, 7)).toEqual([{ wg: 64, rows: 2, bt: 1, unroll: 1, pw: 1 }]);
    // f32 and f16 pieces are whole units.
    for (const c of gemvConfigs('rowset', 'f16', { n: 64, k: 4096, b: 1 }, 512)) expect(c.pw).toBe(4);
  });
});

describe('gemv weight formats (CPU twin of formats.wgsl)', () => {
  it('turns bytes and nibbles into floats exactly with the 2^23 magic number', () => {
    for (let q = 0; q < 16; q++) expect(asF32(0x4b000000 | q) - (2 ** 23 + 8)).toBe(q - 8);
    // int4 nibbles in place at bit p (p <= 19): 2^23 + m·2^p, scaled by 2^-p (exact) and offset exactly.
    for (const p of [0, 4, 8, 12, 16, 19])
      for (let q = 0; q < 16; q++) {
        const f = asF32(0x4b000000 | (q << p));
        expect(f).toBe(2 ** 23 + q * 2 ** p);
        expect(f32(f * 2 ** -p)).toBe(f * 2 ** -p);
        expect(f32(f * 2 ** -p - (2 ** (23 - p) + 8))).toBe(q - 8);
      }
    // At bit 20 the top bit of the nibble would land in the exponent: why the kernel shifts those down.
    expect(asF32(0x4b000000 | (0xf << 20))).not.toBe(2 ** 23 + 15 * 2 ** 20);
    for (let b = 0; b < 256; b++) {
      const signed = b >= 128 ? b - 256 : b;
      expect(asF32(0x4b000000 | (b ^ 0x80)) - (2 ** 23 + 128)).toBe(signed);
      // int8 byte 1 or 3 in place at bit 8.
      expect(f32(asF32(0x4b000000 | ((b ^ 0x80) << 8)) * 2 ** -8 - (2 ** 15 + 128))).toBe(signed);
    }
  });

  it('reads int4 blocks in the documented nibble order, zero point 8, f16 scale per block', () => {
    const wt = weights('int4', 3, 70); // 3 blocks per row, the last one partial
    for (const row of [0, 2]) {
      for (const blk of [0, 2]) {
        const unit = row * wt.units + blk;
        const words = [0, 1, 2, 3].map((j) => fillU32(wt.seedW, unit * 4 + j));
        const d = fillF16(wt.seedS, unit, INT4_SCALE);
        for (let s = 0; s < 8; s++) {
          const dec = decodeLikeWgsl('int4', words, s);
          for (let t = 0; t < 4; t++) {
            const col = blk * 32 + 4 * s + t;
            if (col < wt.k) expect(weightAt(wt, row, col)).toBe(d * (dec[t] ?? NaN));
          }
        }
        // Documented layout, stated independently: byte j of word i = element 8i+j (low), 8i+4+j (high).
        const w1 = words[1] ?? 0;
        expect(weightAt(wt, row, blk * 32 + 8 + 2)).toBe(d * (((w1 >>> 16) & 0xf) - 8));
        expect(weightAt(wt, row, blk * 32 + 8 + 4 + 2)).toBe(d * (((w1 >>> 20) & 0xf) - 8));
      }
    }
    // Block scale u is the half (u & 1) of scale word u >> 1, as the kernel's unit_scale reads it.
    for (const u of [4, 5]) expect(f16FromWord(pcgWordOfF16Pair(wt.seedS, u >> 1), (u & 1) as 0 | 1) * INT4_SCALE).toBe(fillF16(wt.seedS, u, INT4_SCALE));
  });

  it('reads int8 as two\'s complement bytes times an f32 row scale, |w| <= 1', () => {
    const wt = weights('int8', 4, 50); // ldw = 64: 4 units per row
    let neg = 0;
    for (let row = 0; row < 4; row++) {
      const scale = fillF32(wt.seedS, row, INT8_SCALE);
      expect(Math.abs(scale)).toBeLessThan(INT8_SCALE);
      for (let col = 0; col < 50; col++) {
        const unit = row * 4 + Math.floor(col / 16);
        const words = [0, 1, 2, 3].map((j) => fillU32(wt.seedW, unit * 4 + j));
        const q = decodeLikeWgsl('int8', words, Math.floor((col % 16) / 4))[col % 4] ?? NaN;
        expect(Number.isInteger(q) && q >= -128 && q <= 127).toBe(true);
        // Documented layout, stated independently: byte j of word i is element 4i + j.
        const byte = ((words[Math.floor((col % 16) / 4)] ?? 0) >>> (8 * (col % 4))) & 0xff;
        expect(q).toBe(byte >= 128 ? byte - 256 : byte);
        const w = weightAt(wt, row, col);
        expect(w).toBe(q * scale);
        expect(Math.abs(w)).toBeLessThanOrEqual(1);
        if (q < 0) neg++;
      }
    }
    expect(neg).toBeGreaterThan(50);
  });

  it('reads f16 weights as halves, element 2i in the low half of word i', () => {
    const wt = weights('f16', 2, 9);
    const ldw = 16;
    for (let col = 0; col < 9; col++) {
      const e = ldw + col;
      expect(weightAt(wt, 1, col)).toBe(fillF16(wt.seedW, e));
      const word = pcgWordOfF16Pair(wt.seedW, e >> 1);
      expect(f16FromWord(word, (e & 1) as 0 | 1)).toBe(fillF16(wt.seedW, e));
    }
  });

  it('computes the reference over the first K columns only (padding of X is zero, of W random)', () => {
    const wt = weights('int4', 2, 40); // ldw 64: 24 padded columns
    const ldw = 64;
    const x = new Float32Array(2 * ldw);
    for (let i = 0; i < 40; i++) {
      x[i] = (i % 7) / 8 - 0.4;
      x[ldw + i] = 0.25;
    }
    let want = 0;
    for (let k = 0; k < 40; k++) want += weightAt(wt, 1, k) * 0.25;
    expect(gemvReference(wt, x, 1, 1)).toBeCloseTo(want, 12);
    expect(gemvReference(wt, x, 1, 1)).not.toBe(0);
  });
});

/** The u32 word a MODE 1 fill writes at word index i (two f16 from the hash, as fill.wgsl packs them). */
function pcgWordOfF16Pair(seedWord: number, i: number): number {
  const half = (j: number): number => f16Bits(fillF16(seedWord, j));
  return (half(2 * i) | (half(2 * i + 1) << 16)) >>> 0;
}

/** The f16 encoding of v, by search over the 65536 encodings: slow, exact, and independent of the fill code. */
function f16Bits(v: number): number {
  for (let bits = 0; bits < 0x10000; bits++) if (f16FromWord(bits, 0) === v) return bits;
  throw new Error(`no f16 encodes ${v}`);
}

describe('rowset lane pieces', () => {
  /** u32 word of a row that holds element e, from the documented layouts (formats.wgsl), not from rowsetPiece. */
  const wordOf = (f: GemvFormat, e: number): number => ({ f32: e, f16: e >> 1, int8: e >> 2, int4: e >> 3 })[f];

  it('tile each row once, consecutive pieces on consecutive words, each piece exactly its X vec4s', () => {
    for (const f of GEMV_FORMATS) {
      for (const pw of [1, 2, 4]) {
        const units = 5;
        const count = rowsetPieces(f, units, pw);
        expect(count).toBe(f === 'int8' || f === 'int4' ? 20 / pw : 5);
        let nextWord = 0;
        for (let pc = 0; pc < count; pc++) {
          const p = rowsetPiece(f, pc, pw);
          const first = 4 * p.unit + p.word;
          // Coalescing: piece pc starts where piece pc-1 ended (lane i+1 reads the words after lane i's).
          expect(first).toBe(nextWord);
          nextWord = first + p.words;
          expect(p.word + p.words).toBeLessThanOrEqual(4);
          // The elements of X vec4s [xVec, xVec + xVecs) are exactly the elements those words hold.
          const elems = Array.from({ length: 4 * p.xVecs }, (_, i) => 4 * p.xVec + i);
          for (const e of elems) expect(wordOf(f, e) - first).toBeGreaterThanOrEqual(0);
          for (const e of elems) expect(wordOf(f, e) - first).toBeLessThan(p.words);
          expect(elems.length).toBe((elementsPerUnit(f) / 4) * p.words);
        }
        expect(nextWord).toBe(4 * units);
      }
    }
    // One-word int pieces: a 32-lane load reads 128 contiguous bytes, and int8 X is contiguous.
    expect(rowsetPiece('int4', 6, 1)).toEqual({ unit: 1, word: 2, words: 1, xVec: 12, xVecs: 2 });
    expect(rowsetPiece('int8', 6, 1)).toEqual({ unit: 1, word: 2, words: 1, xVec: 6, xVecs: 1 });
    expect(rowsetPiece('int4', 3, 2)).toEqual({ unit: 1, word: 2, words: 2, xVec: 12, xVecs: 4 });
    // f32 and f16 ignore the piece size: whole units.
    expect(rowsetPiece('f16', 3, 1)).toEqual({ unit: 3, word: 0, words: 4, xVec: 6, xVecs: 2 });
  });
});

describe('gemv cases', () => {
  it('names cases family/variant/format/shape', () => {
    const ids = gemvCases('full').map((c) => c.id);
    expect(ids).toContain('gemv/subgroup/int4/n=8192,k=8192,b=1');
    expect(ids).toContain('gemv/splitk/f16/n=4096,k=14336,b=1');
    expect(ids).toContain('gemv/subgroup-native/f16/n=16384,k=16384,b=1');
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('test preset: tiny odd shapes that pad every format, every variant and format', () => {
    const cases = gemvCases('test');
    for (const c of cases) {
      expect(c.shape.n ?? 0).toBeLessThan(64);
      expect((c.shape.k ?? 0) % 2).toBe(1);
      expect((c.shape.n ?? 0) % 2).toBe(1);
    }
    for (const v of ['naive', 'row', 'subgroup', 'splitk', 'rowset'])
      for (const f of GEMV_FORMATS) expect(cases.some((c) => c.spec.variant === v && c.spec.dtype === f && c.shape.b === 1)).toBe(true);
    expect(cases.some((c) => (c.shape.b ?? 0) > 8)).toBe(true);
  });

  it('full preset: the squares, the Llama-3-8B decode layers and the batch sweep', () => {
    const cases = gemvCases('full');
    const has = (v: string, f: string, n: number, k: number, b: number): boolean => cases.some((c) => c.id === `gemv/${v}/${f}/n=${n},k=${k},b=${b}`);
    for (const n of GEMV_SQUARES) for (const f of GEMV_FORMATS) for (const v of ['naive', 'row', 'subgroup', 'splitk']) expect(has(v, f, n, n, 1)).toBe(true);
    for (const n of GEMV_SQUARES) for (const f of GEMV_FORMATS) expect(has('rowset', f, n, n, 1)).toBe(true);
    for (const n of GEMV_SQUARES) for (const f of ['int8', 'int4']) expect(has('rowset-q8x', f, n, n, 1)).toBe(true);
    for (const l of linearLayers(LLAMA3_8B)) for (const f of ['int8', 'int4']) expect(has('rowset-q8x', f, l.n, l.k, 1)).toBe(true);
    expect(cases.some((c) => c.spec.variant === 'rowset-q8x' && (c.spec.dtype === 'f32' || c.spec.dtype === 'f16'))).toBe(false);
    for (const l of linearLayers(LLAMA3_8B)) for (const f of GEMV_FORMATS) for (const v of ['subgroup', 'rowset']) expect(has(v, f, l.n, l.k, 1)).toBe(true);
    for (const b of DECODE_BATCHES) for (const f of GEMV_FORMATS) for (const v of ['subgroup', 'rowset']) expect(has(v, f, 8192, 8192, b)).toBe(true);
    for (const b of DECODE_BATCHES) for (const f of ['int8', 'int4']) expect(has('rowset-q8x', f, 8192, 8192, b)).toBe(true);
    // Every full case's weights, rotated, stream far more than the L2 per pass.
    for (const c of cases) {
      const wb = gemvLayout(c.spec.dtype as GemvFormat, c.shape.n ?? 0, c.shape.k ?? 0).weightBytes;
      expect(wb * weightCopies(wb)).toBeGreaterThan(4 * L2_BYTES);
    }
  });

  it('builds native-f16 WGSL with the f16 extension and packed WGSL without it', () => {
    expect(buildGemvWgsl('// k', 'native').startsWith('enable f16;')).toBe(true);
    expect(buildGemvWgsl('// k', 'packed')).not.toMatch(/enable f16|f16>/);
    expect(buildGemvWgsl('// k', 'packed')).toMatch(/unpack2x16float/);
  });
});

describe('rowset-q8x activation quantization (CPU twin of quant_block in q8x.wgsl)', () => {
  const f32 = Math.fround;
  it('computes 127 / amax rounded toward zero, exactly (integer division checked against BigInt)', () => {
    const rng = new Rng(9);
    const bits = new DataView(new ArrayBuffer(4));
    const values = [1, 0.5, 127, 1 / 127, 0.999999940395, 2 ** -119, 3e-30, 1e30, ...Array.from(rng.f32(2000, 1e-6, 1), Math.abs)];
    for (const a of values) {
      const amax = f32(a);
      bits.setFloat32(0, amax, true);
      const u = bits.getUint32(0, true);
      const e = u >>> 23;
      const ma = BigInt((u & 0x7fffff) | 0x800000);
      const s = invScale127(amax);
      // s = M·2^p with a 24-bit M: s ≤ 127/amax < s + ulp(s), in exact rational arithmetic.
      bits.setFloat32(0, s, true);
      const su = bits.getUint32(0, true);
      const M = BigInt((su & 0x7fffff) | 0x800000);
      const p = (su >>> 23) - 150;
      // 127 / amax = 127·2^(150−e) / ma; compare M·2^p·ma with 127·2^(150−e) (scale both by 2^300).
      const lhs = (x: bigint): bigint => x * ma * 2n ** BigInt(p + 300);
      const rhs = 127n * 2n ** BigInt(450 - e);
      expect(lhs(M) <= rhs, `amax ${amax}`).toBe(true);
      expect(lhs(M + 1n) > rhs, `amax ${amax}`).toBe(true);
    }
    expect(invScale127(0)).toBe(0);
    expect(invScale127(2 ** -120)).toBe(0);
    expect(invScale127(1)).toBe(127);
  });

  it('rounds halfway cases to even, like WGSL round()', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001, -126.5].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, -2, 2, 3, -126]);
  });

  it('quantizes a block to [-127, 127] with ±127 at the largest magnitude, d = f32(amax / 127) and S = Σq over the low-nibble elements', () => {
    const rng = new Rng(4);
    for (let t = 0; t < 200; t++) {
      const v = rng.f32(32);
      const { q, d, sum } = quantizeXBlock(v);
      const amax = Math.max(...Array.from(v, Math.abs));
      expect(Math.max(...Array.from(q, Math.abs))).toBeLessThanOrEqual(127);
      expect(Math.max(...Array.from(q, Math.abs))).toBeGreaterThanOrEqual(126);
      expect(d).toBe(f32(amax * C127));
      // Elements 8t..8t+3 of the block: those that meet int4 low nibbles (formats.wgsl).
      expect(sum).toBe(q.reduce((a, b, i) => a + (i % 8 < 4 ? b : 0), 0));
      // Dequantized within half a step (plus the truncated scale's tiny error) of x.
      for (let i = 0; i < 32; i++) expect(Math.abs((q[i] ?? 0) * d - (v[i] ?? 0))).toBeLessThanOrEqual(0.5 * d * (1 + 1e-6) + 1e-9);
    }
    const zero = quantizeXBlock(new Float32Array(32));
    expect(Array.from(zero.q).every((x) => x === 0)).toBe(true);
    expect(zero.d).toBe(0);
  });

  it('pads X to whole blocks with zeros, per batch row', () => {
    const x = new Float32Array(2 * 48).map((_, i) => ((i % 7) - 3) / 4);
    const xq = quantizeX(x, 48, 2);
    expect(xq.blocks).toBe(2);
    for (let b = 0; b < 2; b++) for (let i = 16; i < 32; i++) expect(xq.q[(b * 2 + 1) * 32 + i]).toBe(0);
    expect(Array.from(xq.q.slice(64, 96))).toEqual(Array.from(quantizeXBlock(x.slice(48, 80)).q));
  });

  it('reference: exact integer block sums times the scales; one activation off by one breaks the tolerance', () => {
    for (const format of ['int8', 'int4'] as const) {
      const n = 3;
      const k = 203;
      const wt = { ...weights(format, n, k, 21), format };
      const ldw = gemvLayout(format, n, k).ldw;
      const x = new Float32Array(ldw);
      x.set(new Rng(2).f32(k));
      const xq = quantizeX(x, ldw, 1);
      const tol = gemvQ8xTolerance({ n, k, b: 1 });
      for (let row = 0; row < n; row++) {
        let want = 0;
        for (let c = 0; c < k; c++) {
          const { q, scale } = weightParts(wt, row, c);
          want += q * scale * (xq.q[c] ?? 0) * (xq.d[Math.floor(c / 32)] ?? 0);
          expect(q * scale).toBe(weightAt(wt, row, c));
        }
        const ref = gemvQ8xReference(wt, xq, row, 0);
        expect(Math.abs(ref - want)).toBeLessThan(1e-12);
        // Perturb one quantized activation by one step: the reference moves by d·|w|, over the tolerance.
        const bumped: typeof xq = { ...xq, q: Int8Array.from(xq.q) };
        const c = 100;
        bumped.q[c] = (bumped.q[c] ?? 0) + ((bumped.q[c] ?? 0) < 127 ? 1 : -1);
        const moved = Math.abs(gemvQ8xReference(wt, bumped, row, 0) - ref);
        if (Math.abs(weightAt(wt, row, c)) > 0.05) expect(moved).toBeGreaterThan(tol.abs + tol.rel * Math.abs(ref));
      }
    }
  });

  it('offers q8x configurations only where every lane has UNROLL pieces, and sizes workgroup memory', () => {
    const all = gemvConfigs('rowset-q8x', 'int4', { n: 4096, k: 4096, b: 1 }, 128);
    expect(all.length).toBe(6 * 4);
    for (const c of all) {
      expect(rowsetPieces('int4', 128, c.pw) >= c.unroll * c.wg).toBe(true);
      expect([2, 4]).toContain(c.pw);
      expect([2, 4]).toContain(c.rows);
      expect([1, 0]).toContain(c.xq);
      expect(c.xq === 1 ? [4] : [1, 4, 16]).toContain(c.spw);
      expect(c.bt).toBe(1);
    }
    expect(new Set(all.map((c) => c.wg))).toEqual(new Set([64, 128]));
    expect(new Set(gemvConfigs('rowset-q8x', 'int4', { n: 8192, k: 8192, b: 1 }, 256).map((c) => c.wg))).toEqual(new Set([128, 256]));
    for (const c of gemvConfigs('rowset-q8x', 'int8', { n: 5, k: 77, b: 1 }, 5)) expect(c).toMatchObject({ wg: 64, pw: 2, unroll: 1 });
    // Batched: the separate passes take batch tiles (4 for B = 3, 8 for B = 64), fused one column per pass.
    for (const [b, tile] of [[3, 4], [64, 8]] as const) {
      for (const c of gemvConfigs('rowset-q8x', 'int4', { n: 8192, k: 8192, b }, 256)) expect(c.bt).toBe(c.xq === 1 ? 1 : tile);
    }
    // 16384-column rows fused: 16 KiB of int8 X + 4 KiB of (d, S) + the reduction slots; fits the H100's 48 KiB.
    expect(q8xSharedBytes({ wg: 256, xq: 1 }, 512)).toBe(8192 + 20480);
    expect(q8xSharedBytes({ wg: 256, xq: 0 }, 512)).toBe(8192);
  });
});
