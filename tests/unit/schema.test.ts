import { describe, expect, it } from 'vitest';
import { formatTable, toCsv, toMarkdown } from '../../src/report/format';
import { SCHEMA_ID, parseResultsDoc, type ResultsDoc } from '../../src/report/schema';

export const sampleDoc = (): ResultsDoc => ({
  schema: SCHEMA_ID,
  context: {
    suite_version: '0.1.0',
    date: '2026-11-24T00:00:00.000Z',
    seed: 1,
    preset: 'test',
    runtime: { kind: 'node', node_version: 'v20', dawn_version: 'webgpu@0.6.2', dawn_flags: [] },
    device: { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader', subgroup_min_size: 4, subgroup_max_size: 4, is_fallback: true, software: true },
    features: ['timestamp-query'],
    limits: { maxBufferSize: 1 << 30 },
    timer: { kind: 'timestamp', resolution_ns: 1, quantized: false },
    peaks: null,
  },
  ceilings: { copy_gbps: 1.5, fma_f32_gflops: null, fma_f16_gflops: null },
  results: [
    {
      id: 'ceiling/copy/f32/bytes=1024', family: 'ceiling', variant: 'copy', dtype: 'f32', phase: 'ceiling', shape: { bytes: 1024 }, flops: 0, bytes: 2048, status: 'ok',
      time: { median_ms: 0.001, p10_ms: 0.0009, p90_ms: 0.0012, samples: 30, batch: 64 }, gflops: null, gbps: 1.5, clock: 'timestamp',
      verification: { passed: true, max_abs_err: 0, max_rel_err: 0, tolerance: { abs: 0, rel: 0 }, checked: 256, total: 256 },
    },
    {
      id: 'ceiling/fma/f16/threads=4096,steps=32', family: 'ceiling', variant: 'fma', dtype: 'f16', phase: 'ceiling', shape: { threads: 4096, steps: 32 }, flops: 1, bytes: 1, status: 'skipped',
      reason: 'needs the WebGPU feature shader-f16, which this device lacks', time: null, gflops: null, gbps: null, clock: null, verification: null,
    },
  ],
});

describe('results document', () => {
  it('round-trips through JSON and validation', () => {
    const doc = sampleDoc();
    expect(parseResultsDoc(JSON.parse(JSON.stringify(doc)))).toEqual(doc);
  });
  it('names the first bad field', () => {
    const doc = sampleDoc() as unknown as { results: { status: string }[] };
    const first = doc.results[0];
    if (first) first.status = 'fast';
    expect(() => parseResultsDoc(doc)).toThrow(/at results\.0\.status/);
    expect(() => parseResultsDoc({ ...sampleDoc(), schema: 'pdbench/results@9' })).toThrow(/reads pdbench\/results@1/);
    expect(() => parseResultsDoc('nope')).toThrow(/not a valid pdbench\/results@1/);
    const neg = sampleDoc();
    const r = neg.results[0];
    if (r) r.bytes = -1;
    expect(() => parseResultsDoc(neg)).toThrow(/results\.0\.bytes/);
  });
  it('renders table, Markdown and CSV from the document', () => {
    const doc = sampleDoc();
    const table = formatTable(doc);
    expect(table).toMatch(/ceiling\/copy\/f32\/bytes=1024\s+ok\s+0\.001000/);
    expect(table).toMatch(/needs the WebGPU feature shader-f16/);
    const md = toMarkdown(doc);
    expect(md).toMatch(/SOFTWARE adapter/);
    expect(md.split('\n').filter((l) => l.startsWith('| ceiling/'))).toHaveLength(2);
    const csv = toCsv(doc).trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[1]).toMatch(/^ceiling\/copy\/f32\/bytes=1024,ceiling,copy,f32,ceiling,ok,0\.001,/);
    expect(csv[2]).toMatch(/"?needs the WebGPU feature shader-f16, which this device lacks"?$/);
  });
});
