import { describe, expect, it } from 'vitest';
import { readF32Spec, readPagedF32Spec } from '../../src/kernels/kv-cache';
import { casesFor } from '../../src/suite/registry';
import { runSuite } from '../../src/suite/runner';
import { Rng } from '../../src/util/rng';
import { TEST_RUN, testGpu } from './gpu';

describe('KV cache on a real WebGPU implementation', () => {
  it('appends (prefill and decode, contiguous and paged) and reads bit-exactly', async () => {
    const ctx = await testGpu();
    const doc = await runSuite(ctx, casesFor('test', ctx.limits, '^kv/'), TEST_RUN);
    expect(doc.results.length).toBe(7);
    for (const r of doc.results) {
      expect(r.status, `${r.id}: ${r.reason ?? ''}`).toBe('ok');
      expect(r.verification?.max_abs_err).toBe(0);
      expect(r.verification?.checked).toBe(r.verification?.total);
      expect(r.gbps).toBeGreaterThan(0);
    }
  });

  it('a paged cache reads back the same folded rows as its contiguous twin', async () => {
    const ctx = await testGpu();
    const shape = { kv: 3, d: 64, l: 517 };
    const run = async (paged: boolean) => {
      const inst = paged ? await readPagedF32Spec.build(ctx, { ...shape, page: 16 }, new Rng(4)) : await readF32Spec.build(ctx, shape, new Rng(4));
      const enc = ctx.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      inst.encode(pass);
      pass.end();
      ctx.device.queue.submit([enc.finish()]);
      const got = Array.from(await inst.readOutputs(Array.from({ length: inst.outputCount }, (_, i) => i)));
      inst.destroy();
      return got;
    };
    const a = await run(false);
    const b = await run(true);
    expect(a.length).toBe(3 * 3 * 64);
    expect(b).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(100);
  });
});
