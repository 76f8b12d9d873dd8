import { describe, expect, it } from 'vitest';
import { gemvLayout, gemvQ8xTolerance, gemvReference, gemvSpec, gemvTolerance, weightAt, type GemvFormat, type GemvShape } from '../../src/kernels/gemv';
import { hashSeed } from '../../src/util/hash';
import { makeCase } from '../../src/kernels/spec';
import { casesFor } from '../../src/suite/registry';
import { runSuite } from '../../src/suite/runner';
import { Rng } from '../../src/util/rng';
import { TEST_RUN, testGpu } from './gpu';

const FORMATS: readonly GemvFormat[] = ['f32', 'f16', 'int8', 'int4'];

describe('gemv on a real WebGPU implementation', () => {
  it('verifies every variant and format of the test preset, odd N and K, against float64', async () => {
    const ctx = await testGpu();
    const cases = casesFor('test', ctx.limits, '^gemv/');
    const doc = await runSuite(ctx, cases, TEST_RUN);
    expect(doc.results.length).toBe(cases.length);
    for (const r of doc.results) {
      if (r.variant === 'subgroup-native' && !ctx.features.has('shader-f16')) {
        expect(r.status).toBe('skipped');
        expect(r.reason).toMatch(/shader-f16/);
        continue;
      }
      if ((r.variant === 'subgroup' || r.variant === 'splitk') && !ctx.features.has('subgroups')) {
        expect(r.status).toBe('skipped');
        continue;
      }
      expect(r.status, `${r.id}: ${r.reason ?? ''}`).toBe('ok');
      // Test shapes are small: every output element is compared, not a sample.
      expect(r.verification?.checked).toBe(r.verification?.total);
      expect(r.verification?.total).toBe((r.shape.n ?? 0) * (r.shape.b ?? 0));
      expect(r.bytes).toBeGreaterThan(0);
      expect(r.gbps).toBeGreaterThan(0);
    }
    // Split-K really splits (the test preset has a long-K shape), and int4 pads K = 203 to 7 blocks.
    const split = doc.results.find((r) => r.id === 'gemv/splitk/f32/n=5,k=1003,b=2');
    expect(Number(split?.config?.splits)).toBeGreaterThan(2);
  });

  it('is correct in every autotune candidate: rows per subgroup 1, 2, 4; batch tiles 1, 4, 8 with a partial last tile', async () => {
    const ctx = await testGpu();
    if (!ctx.features.has('subgroups')) return;
    const cases = [];
    for (const rows of [1, 2, 4]) {
      cases.push(makeCase(gemvSpec('subgroup', 'int4', { rows, wg: 128 }), { n: 21, k: 99, b: 11 }));
      cases.push(makeCase(gemvSpec('subgroup', 'f16', { rows, bt: 4, wg: 128 }), { n: 9, k: 33, b: 5 }));
    }
    cases.push(makeCase(gemvSpec('subgroup', 'int8', { rows: 2, bt: 1, wg: 128 }), { n: 11, k: 65, b: 3 }));
    for (const rows of [1, 2]) cases.push(makeCase(gemvSpec('splitk', 'int8', { rows }), { n: 3, k: 777, b: 9 }));
    for (const f of FORMATS) cases.push(makeCase(gemvSpec('row', f, { wg: 32 }), { n: 7, k: 301, b: 9 }), makeCase(gemvSpec('naive', f), { n: 7, k: 301, b: 9 }));
    const doc = await runSuite(ctx, cases, { ...TEST_RUN, trials: 1, warmup: 0, maxBatch: 1 });
    for (const r of doc.results) expect(r.status, `${r.id} ${JSON.stringify(r.config)}: ${r.reason ?? ''}`).toBe('ok');
    expect(doc.results.map((r) => r.config?.rows_per_subgroup).filter((v) => v !== undefined)).toEqual([1, 1, 2, 2, 4, 4, 2, 1, 2]);
    expect(doc.results.find((r) => r.variant === 'row')?.config?.workgroup).toBe(32);
  });

  it('rowset is correct for every ROWS, UNROLL and piece size, with unrolled and remainder K loops, in every format', async () => {
    const ctx = await testGpu();
    if (!ctx.features.has('subgroups')) return;
    // [piece words, rows, unroll, workgroup]. Workgroups of 16-32 are 4-8 subgroups of 4 on
    // SwiftShader (several per workgroup, as on real GPUs). int4 K = 2300 is 72 blocks = 288 / 144 / 72
    // pieces of 1 / 2 / 4 words: the UNROLL = 4 loop runs, then the single-piece remainder.
    const int4: readonly (readonly [number, number, number, number])[] = [
      [1, 1, 1, 32],
      [1, 2, 2, 32],
      [1, 4, 4, 32],
      [2, 4, 1, 32],
      [2, 2, 2, 32],
      [4, 2, 1, 32],
      [4, 4, 2, 32],
      [4, 1, 4, 16],
    ];
    const cases = int4.map(([pw, rows, unroll, wg]) => makeCase(gemvSpec('rowset', 'int4', { pw, rows, unroll, wg }), { n: 7, k: 2300, b: 1 }));
    // Batch tiles of 4 and 8 (B = 11: a partial last tile), int8 pieces, and the unit-piece formats.
    cases.push(makeCase(gemvSpec('rowset', 'int8', { pw: 2, rows: 4, unroll: 2, wg: 32 }), { n: 6, k: 1250, b: 11 }));
    cases.push(makeCase(gemvSpec('rowset', 'int8', { pw: 1, rows: 2, unroll: 4, wg: 32 }), { n: 5, k: 1250, b: 1 }));
    cases.push(makeCase(gemvSpec('rowset', 'int4', { pw: 1, rows: 2, unroll: 4, wg: 32 }), { n: 5, k: 1100, b: 3 }));
    cases.push(makeCase(gemvSpec('rowset', 'f16', { rows: 4, unroll: 4, wg: 32 }), { n: 5, k: 1100, b: 2 }));
    cases.push(makeCase(gemvSpec('rowset', 'f32', { rows: 2, unroll: 2, wg: 32 }), { n: 9, k: 301, b: 1 }));
    // Several row sets per workgroup (stream_sets: the next set's pieces load before the reduction):
    // 5 sets over 2 workgroups (3 and 2 each), and 4 sets in one workgroup with two batch tiles.
    cases.push(makeCase(gemvSpec('rowset', 'f32', { rows: 2, unroll: 2, wg: 32, spw: 4 }), { n: 9, k: 301, b: 1 }));
    cases.push(makeCase(gemvSpec('rowset', 'f16', { rows: 4, unroll: 4, wg: 32, spw: 4 }), { n: 13, k: 1100, b: 11 }));
    const doc = await runSuite(ctx, cases, { ...TEST_RUN, trials: 1, warmup: 0, maxBatch: 1 });
    for (const r of doc.results) {
      expect(r.status, `${r.id} ${JSON.stringify(r.config)}: ${r.reason ?? ''}`).toBe('ok');
      expect(r.verification?.checked).toBe(r.verification?.total);
    }
    const ran = doc.results.map((r) => `${r.config?.piece_words}/${r.config?.rows_per_workgroup}/${r.config?.unroll}`);
    expect(ran).toEqual([...int4.map(([pw, rows, unroll]) => `${pw}/${rows}/${unroll}`), '2/4/2', '1/2/4', '1/2/4', '4/4/4', '4/2/2', '4/2/2', '4/4/4']);
    expect(doc.results.slice(-2).map((r) => r.config?.workgroups)).toEqual([2, 1]);
  });

  it('rowset-q8x is correct for every piece shape, X quantization (fused or a separate pass) and sets per workgroup, at odd N and K', async () => {
    const ctx = await testGpu();
    if (!ctx.features.has('subgroups')) return;
    // Each (PW, ROWS, UNROLL) that gemvConfigs offers, in both formats, with the four (xq, spw) pairs
    // it offers and fused with 1 and 16 sets spread over them (int4 takes modes 0-3, int8 2-5). Workgroups of 16 and 32 are several
    // SwiftShader subgroups of 4, and rows long enough that the UNROLL loops and the remainder loop
    // both run. int4 K = 2300 pads to 72 blocks; int8 K = 1250 pads to 1264 (79 units), whose last
    // X block ends past the row. N = 11 and 9: the last row set is partial and, with 4 or 16 sets per
    // workgroup, workgroups loop over unequal counts (the next set's pieces prefetched). B = 3 loops
    // over batch columns (the fused kernel re-quantizes X for each).
    const shapes = [[2, 4, 2], [4, 2, 2], [4, 4, 1], [4, 4, 2]] as const;
    const modes = [[1, 1], [1, 4], [1, 16], [0, 1], [0, 4], [0, 16]] as const;
    const cases = shapes.flatMap(([pw, rows, unroll], i) => {
      const [xq4, spw4] = modes[i % 6] ?? [1, 1];
      const [xq8, spw8] = modes[(i + 2) % 6] ?? [1, 1];
      return [
        makeCase(gemvSpec('rowset-q8x', 'int4', { wg: 16, pw, rows, unroll, xq: xq4, spw: spw4 }), { n: 11, k: 2300, b: i % 2 === 0 ? 1 : 3 }),
        makeCase(gemvSpec('rowset-q8x', 'int8', { wg: 32, pw, rows, unroll, xq: xq8, spw: spw8 }), { n: 9, k: 1250, b: i % 2 === 0 ? 3 : 1 }),
      ];
    });
    // The quantize pass (xq = 0, eight invocations per block): B = 3 (blocks of three X rows in one
    // dispatch, the last workgroup partly past the end), int8's last block past the row, 1 and 16 sets.
    cases.push(makeCase(gemvSpec('rowset-q8x', 'int4', { wg: 16, pw: 4, rows: 4, unroll: 1, xq: 0, spw: 16 }), { n: 11, k: 2300, b: 3 }));
    cases.push(makeCase(gemvSpec('rowset-q8x', 'int8', { wg: 32, pw: 2, rows: 4, unroll: 2, xq: 0, spw: 1 }), { n: 9, k: 1250, b: 3 }));
    cases.push(makeCase(gemvSpec('rowset-q8x', 'int4', { wg: 128, pw: 4, rows: 4, unroll: 1, xq: 0, spw: 4 }), { n: 13, k: 8192, b: 1 }));
    // Batch tiles with the separate passes: B = 3 (one tile of 4), 5 (one partial tile of 8), 11 (two
    // tiles of 8, the second partial), ROWS 2 and 4, both formats.
    cases.push(makeCase(gemvSpec('rowset-q8x', 'int4', { wg: 32, pw: 2, rows: 4, unroll: 2, xq: 0, spw: 1 }), { n: 7, k: 2300, b: 5 }));
    cases.push(makeCase(gemvSpec('rowset-q8x', 'int4', { wg: 16, pw: 4, rows: 2, unroll: 1, xq: 0, spw: 4 }), { n: 11, k: 1100, b: 11 }));
    cases.push(makeCase(gemvSpec('rowset-q8x', 'int8', { wg: 32, pw: 4, rows: 4, unroll: 1, xq: 0, spw: 1 }), { n: 9, k: 1250, b: 11 }));
    cases.push(makeCase(gemvSpec('rowset-q8x', 'int8', { wg: 16, pw: 2, rows: 2, unroll: 2, xq: 0, spw: 16 }), { n: 5, k: 1250, b: 5 }));
    // The workgroup sizes offered on real GPUs (64, 128, 256), on rows long enough to unroll.
    cases.push(makeCase(gemvSpec('rowset-q8x', 'int4', { wg: 256, pw: 2, rows: 4, unroll: 2, xq: 1, spw: 4 }), { n: 5, k: 8192, b: 1 }));
    cases.push(makeCase(gemvSpec('rowset-q8x', 'int4', { wg: 128, pw: 4, rows: 4, unroll: 2, xq: 0, spw: 1 }), { n: 5, k: 8192, b: 1 }));
    cases.push(makeCase(gemvSpec('rowset-q8x', 'int8', { wg: 64, pw: 4, rows: 2, unroll: 2, xq: 1, spw: 1 }), { n: 3, k: 4096, b: 1 }));
    const doc = await runSuite(ctx, cases, { ...TEST_RUN, trials: 1, warmup: 0, maxBatch: 1 });
    for (const r of doc.results) {
      expect(r.status, `${r.id} ${JSON.stringify(r.config)}: ${r.reason ?? ''}`).toBe('ok');
      expect(r.verification?.checked).toBe(r.verification?.total);
      expect(r.config?.tuned_ms).toBeUndefined();
    }
    const seen = (key: string): Set<string> => new Set(doc.results.map((r) => String(r.config?.[key])));
    expect([...seen('x_quant')].sort()).toEqual(['fused', 'pass']);
    expect([...seen('sets_per_workgroup')].sort()).toEqual(['1', '16', '4']);
    // Fused loops over columns one at a time; the separate passes take tiles of 4 or 8.
    for (const r of doc.results) expect(r.config?.batch_tile).toBe(r.config?.x_quant === 'fused' || r.shape.b === 1 ? 1 : (r.shape.b ?? 0) <= 4 ? 4 : 8);
    expect([...seen('batch_tile')].sort()).toEqual(['1', '4', '8']);
    expect(seen('workgroup')).toEqual(new Set(['16', '32', '64', '128', '256']));
  }, 300_000);

  it('rowset-q8x follows its own int8-activation reference, not the exact f32 one', async () => {
    const ctx = await testGpu();
    if (!ctx.features.has('subgroups')) return;
    const shape: GemvShape = { n: 6, k: 333, b: 1 };
    for (const f of ['int8', 'int4'] as const) {
      const inst = await gemvSpec('rowset-q8x', f).build(ctx, shape, new Rng(3));
      try {
        const enc = ctx.device.createCommandEncoder();
        const pass = enc.beginComputePass();
        inst.encode(pass);
        pass.end();
        ctx.device.queue.submit([enc.finish()]);
        const all = [0, 1, 2, 3, 4, 5];
        const got = await inst.readOutputs(all);
        const tol = gemvQ8xTolerance(shape);
        // The same seeds and X as build() drew; the exact-activation reference differs by the
        // quantization error (~1e-2 here), far beyond the q8x tolerance (~2e-4).
        const rng = new Rng(3);
        const l = gemvLayout(f, shape.n, shape.k);
        const wt = { format: f, n: shape.n, k: shape.k, units: l.units, seedW: hashSeed(rng.int(0x7fffffff)), seedS: hashSeed(rng.int(0x7fffffff)) };
        const x = new Float32Array(l.ldw);
        x.set(rng.f32(shape.k));
        let worstExact = 0;
        for (const i of all) {
          const ref = inst.reference(i);
          expect(Math.abs((got[i] ?? NaN) - ref)).toBeLessThanOrEqual(tol.abs + tol.rel * Math.abs(ref));
          worstExact = Math.max(worstExact, Math.abs((got[i] ?? NaN) - gemvReference(wt, x, i, 0)));
        }
        expect(worstExact).toBeGreaterThan(10 * tol.abs);
      } finally {
        inst.destroy();
      }
    }
  });

  it('rotates identical weight copies: the second execution (copy 1) gives the same verified output', async () => {
    const ctx = await testGpu();
    const shape: GemvShape = { n: 17, k: 131, b: 2 };
    const spec = gemvSpec('row', 'int4');
    const inst = await spec.build(ctx, shape, new Rng(5));
    try {
      expect(Number(inst.config?.weight_copies)).toBeGreaterThan(1);
      const all = Array.from({ length: inst.outputCount }, (_, i) => i);
      const runOnce = async (): Promise<ArrayLike<number>> => {
        const enc = ctx.device.createCommandEncoder();
        const pass = enc.beginComputePass();
        inst.encode(pass);
        pass.end();
        ctx.device.queue.submit([enc.finish()]);
        await ctx.device.queue.onSubmittedWorkDone();
        return inst.readOutputs(all);
      };
      const tol = gemvTolerance(shape);
      for (let copy = 0; copy < 2; copy++) {
        const got = await runOnce();
        for (const i of all) {
          const ref = inst.reference(i);
          expect(Math.abs((got[i] ?? NaN) - ref)).toBeLessThanOrEqual(tol.abs + tol.rel * Math.abs(ref));
        }
      }
      // Not trivially zero: the outputs carry the data.
      expect(Math.max(...all.map((i) => Math.abs(inst.reference(i))))).toBeGreaterThan(0.1);
    } finally {
      inst.destroy();
    }
  });

  it('decodes int4 in the documented nibble order, not the swapped one', async () => {
    const ctx = await testGpu();
    const shape: GemvShape = { n: 6, k: 64, b: 1 };
    const inst = await gemvSpec('naive', 'int4').build(ctx, shape, new Rng(11));
    try {
      // The seeds and X that build() drew from the same Rng sequence.
      const rng = new Rng(11);
      const wt = { format: 'int4' as const, n: 6, k: 64, units: 2, seedW: hashSeed(rng.int(0x7fffffff)), seedS: hashSeed(rng.int(0x7fffffff)) };
      const x = rng.f32(64);
      const enc = ctx.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      inst.encode(pass);
      pass.end();
      ctx.device.queue.submit([enc.finish()]);
      const got = await inst.readOutputs([0, 1, 2, 3, 4, 5]);
      const tol = gemvTolerance(shape).abs;
      for (let row = 0; row < 6; row++) {
        let swapped = 0;
        // Element 8i+j read from the high nibble instead of the low one, and the reverse.
        for (let k = 0; k < 64; k++) swapped += weightAt(wt, row, (k & ~7) | ((k & 7) ^ 4)) * (x[k] ?? NaN);
        expect(Math.abs((got[row] ?? NaN) - gemvReference(wt, x, row, 0))).toBeLessThanOrEqual(tol);
        expect(Math.abs((got[row] ?? NaN) - swapped)).toBeGreaterThan(100 * tol);
      }
    } finally {
      inst.destroy();
    }
  });
});
