import { describe, expect, it } from 'vitest';
import { KV_SPECS, appendBytes, appendDecodeF16Spec, kvCases, readBytes, readOutputWords, readReference } from '../../src/kernels/kv-cache';
import { PAGE_SIZE, pageTable, pagesFor, rowStart } from '../../src/kernels/kv-layout';
import { fillU32 } from '../../src/util/hash';
import { Rng } from '../../src/util/rng';

describe('KV layouts', () => {
  it('page tables are permutations (every physical page used once)', () => {
    const t = pageTable(100, new Rng(1));
    expect([...t].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...t]).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('maps logical rows to disjoint physical rows, in pages of PAGE_SIZE contiguous rows', () => {
    const kvHeads = 3;
    const tokens = 70;
    const d = 8;
    const table = pageTable(pagesFor(tokens, PAGE_SIZE), new Rng(2));
    const layout = { kvHeads, cap: 0, page: PAGE_SIZE, table };
    const seen = new Set<number>();
    for (let kvh = 0; kvh < kvHeads; kvh++) {
      for (let j = 0; j < tokens; j++) {
        const r = rowStart(kvh, j, d, layout);
        expect(r % d).toBe(0);
        expect(seen.has(r)).toBe(false);
        seen.add(r);
        if (j % PAGE_SIZE !== 0) expect(r).toBe(rowStart(kvh, j - 1, d, layout) + d);
        expect(r).toBeLessThan(pagesFor(tokens, PAGE_SIZE) * kvHeads * PAGE_SIZE * d);
      }
    }
    expect(rowStart(2, 5, d, { kvHeads, cap: 70, page: 0, table: null })).toBe((2 * 70 + 5) * d);
  });
});

describe('KV formulas and references', () => {
  it('append moves the K and V parts once each way; decode appends one token', () => {
    expect(appendBytes({ h: 32, kv: 8, d: 128, n: 4096, pos: 0 }, 'f16')).toBe(2 * 2 * 4096 * 8 * 128 * 2);
    expect(appendDecodeF16Spec.bytes({ h: 32, kv: 8, d: 128, n: 1, pos: 9 })).toBe(2 * 2 * 8 * 128 * 2);
  });

  it('read bytes are K + V plus a folded output of 0.2% of them (one 256 B row per 128 KB chunk)', () => {
    const s = { kv: 8, d: 128, l: 32768 };
    const kvBytes = 2 * 8 * 32768 * 128 * 2;
    expect(readBytes(s, 'f16')).toBe(kvBytes + 4 * readOutputWords(s, 'f16'));
    expect(4 * readOutputWords(s, 'f16')).toBeLessThan(kvBytes / 500);
    // The long-context read streams far more than the H100's 50 MB L2.
    expect(kvBytes).toBeGreaterThan(2 * 50e6);
  });

  it('read reference XORs K and V words of the chunk (an XOR of a range splits at any point)', () => {
    const seedK = 11;
    const seedV = 22;
    const whole = readReference(seedK, seedV, 1, 0, 10, 50, 4, 3);
    const parts = (readReference(seedK, seedV, 1, 0, 4, 50, 4, 3) ^ readReference(seedK, seedV, 1, 4, 10, 50, 4, 3)) >>> 0;
    expect(whole).toBe(parts);
    let x = 0;
    for (let j = 0; j < 10; j++) x ^= fillU32(seedK, (1 * 50 + j) * 4 + 3) ^ fillU32(seedV, (1 * 50 + j) * 4 + 3);
    expect(whole).toBe(x >>> 0);
    expect(readReference(seedK, seedV, 0, 5, 5, 50, 4, 0)).toBe(0);
  });
});

describe('KV cases', () => {
  it('test preset: every kernel kind, paged and contiguous, odd sizes; unique ids', () => {
    const cases = kvCases('test');
    const ids = cases.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const v of ['append-prefill', 'append-prefill-paged', 'append-decode', 'append-decode-paged', 'read', 'read-paged']) {
      expect(cases.some((c) => c.spec.variant === v)).toBe(true);
    }
    expect(ids).toContain('kv/append-decode/f16/h=8,kv=1,d=128,n=1,pos=37');
    expect(cases.every((c) => c.spec.tolerance(c.shape).abs === 0)).toBe(true);
  });

  it('full preset: the read sweep over the context lengths, appends at the long end', () => {
    const ids = kvCases('full').map((c) => c.id);
    expect(ids).toContain('kv/read/f16/kv=8,d=128,l=32768');
    expect(ids).toContain('kv/append-decode/f16/h=32,kv=8,d=128,n=1,pos=32767');
    expect(KV_SPECS.every((s) => s.family === 'kv')).toBe(true);
  });
});
