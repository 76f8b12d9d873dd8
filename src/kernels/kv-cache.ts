/**
 * KV-cache kernels (family 'kv'): per layer K and V as [kv_heads, capacity, d] (contiguous) or as
 * pages [pages, kv_heads, page, d] behind a page table (paged), in f32 or f16.
 *   append-prefill — N tokens of the fused QKV projection output [tokens, (heads + 2·kv_heads)·d]
 *                    written at positions pos .. pos+N-1 (prefill creates the cache);
 *   append-decode  — one token at position pos (decode grows it by one entry per step);
 *   read           — every cached row of K and V streamed as decode attention streams them.
 * Data movement only: verified bit-exactly (tolerance 0).
 */
import appendWgsl from '../../shaders/kv/append.wgsl?raw';
import readWgsl from '../../shaders/kv/read.wgsl?raw';
import { emptyBuffer, readWords, uniformBuffer, uploadBuffer } from '../gpu/buffers';
import { maxBindingBytes, maxWorkgroupsPerDim } from '../gpu/device';
import { SkipCase } from '../gpu/errors';
import { fillBuffer } from '../gpu/fill';
import { bindBuffers, dispatch2d, getPipeline } from '../gpu/pipeline';
import { CONTEXT_LENGTHS, LLAMA3_8B, PROMPT_LENGTHS } from '../suite/shapes';
import { fillU32, hashSeed } from '../util/hash';
import { destroyOnError, drawTensor, elementSize, fillTensor, readElements, tensorValue, type AttnDtype } from './attention-data';
import { PAGE_SIZE, pageTable, pagesFor, rowStart, scatterToPages } from './kv-layout';
import { makeCase, type BenchCase, type KernelInstance, type KernelSpec, type Shape } from './spec';
import type { Preset } from '../suite/presets';

/** An append of n tokens at position pos, from a QKV output with h query heads. */
export interface AppendShape extends Shape {
  /** Query heads (they set the QKV row stride). */
  h: number;
  kv: number;
  d: number;
  /** Tokens appended (1 for decode). */
  n: number;
  /** Position of the first appended token. */
  pos: number;
}

/** An append into a paged cache of `page` tokens per page. */
export interface PagedAppendShape extends AppendShape {
  page: number;
}

/** A full read of one layer's K and V for l cached tokens. */
export interface ReadShape extends Shape {
  kv: number;
  d: number;
  /** Cached tokens. */
  l: number;
}

/** A read through a page table of `page` tokens per page. */
export interface PagedReadShape extends ReadShape {
  page: number;
}

const APPEND_WG = 256;

/** 16-byte words per head row; the kernels move whole 16-byte words. */
function row4(d: number, dtype: AttnDtype): number {
  return (d * elementSize(dtype)) / 16;
}

function checkRow(d: number, dtype: AttnDtype): void {
  if (!Number.isInteger(row4(d, dtype))) throw new SkipCase(`a head row of ${d} ${dtype} is not a whole number of 16-byte words`);
}

/** Bytes an append moves: the K and V parts of n QKV rows read once, and written once into the cache. */
export function appendBytes(s: AppendShape, dtype: AttnDtype): number {
  return 2 * (2 * s.n * s.kv * s.d * elementSize(dtype));
}

function appendSpec<S extends AppendShape>(kind: 'prefill' | 'decode', paged: boolean, dtype: AttnDtype): KernelSpec<S> {
  return {
    family: 'kv',
    variant: `append-${kind}${paged ? '-paged' : ''}`,
    dtype,
    phase: kind,
    description:
      kind === 'prefill'
        ? `KV append of N prompt tokens from the QKV projection output into a ${paged ? 'paged' : 'contiguous'} ${dtype} cache`
        : `KV append of one decoded token at position pos into a ${paged ? 'paged' : 'contiguous'} ${dtype} cache`,
    wgsl: [appendWgsl],
    requires: [],
    check(ctx, s) {
      checkRow(s.d, dtype);
      if (s.kv < 1 || s.h % s.kv !== 0) throw new SkipCase(`heads ${s.h} is not a multiple of kv_heads ${s.kv}`);
      if (kind === 'decode' && s.n !== 1) throw new SkipCase('a decode append writes exactly one token');
      const qkvBytes = s.n * (s.h + 2 * s.kv) * s.d * elementSize(dtype);
      const cacheBytes = s.kv * (s.pos + s.n + PAGE_SIZE) * s.d * elementSize(dtype);
      if (Math.max(qkvBytes, cacheBytes) > maxBindingBytes(ctx.limits)) throw new SkipCase(`the buffers exceed this device's storage binding limit of ${maxBindingBytes(ctx.limits)} B`);
    },
    flops: () => 0,
    bytes: (s) => appendBytes(s, dtype),
    tolerance: () => ({ abs: 0, rel: 0 }),
    async build(ctx, s, rng): Promise<KernelInstance> {
      const { device } = ctx;
      const es = elementSize(dtype);
      const page = paged ? (s as unknown as PagedAppendShape).page : 0;
      const tokens = s.pos + s.n;
      const cap = paged ? pagesFor(tokens, page) * page : tokens;
      const table = paged ? pageTable(pagesFor(tokens, page), rng) : null;
      const qkvT = drawTensor(dtype, rng);
      // The cache starts full of other random values: the check sees that exactly the new rows changed.
      const oldK = drawTensor(dtype, rng);
      const oldV = drawTensor(dtype, rng);
      const qkvCount = s.n * (s.h + 2 * s.kv) * s.d;
      const cacheCount = s.kv * cap * s.d;
      const qkv = emptyBuffer(device, qkvCount * es, 'kv-qkv');
      const kc = emptyBuffer(device, cacheCount * es, 'kv-k-cache');
      const vc = emptyBuffer(device, cacheCount * es, 'kv-v-cache');
      const tableBuf = uploadBuffer(device, table ?? new Uint32Array([0]), 'kv-table');
      const owned: GPUBuffer[] = [qkv, kc, vc, tableBuf];
      return destroyOnError(owned, async (): Promise<KernelInstance> => {
        await fillTensor(ctx, qkv, qkvCount, qkvT);
        await fillTensor(ctx, kc, cacheCount, oldK);
        await fillTensor(ctx, vc, cacheCount, oldV);
        const r4 = row4(s.d, dtype);
        const pipeline = await getPipeline(device, { label: 'kv-append', code: appendWgsl, entryPoint: 'main', constants: { WG: APPEND_WG } });
        const words = s.n * 2 * s.kv * r4;
        const [gx, gy] = dispatch2d(Math.ceil(words / APPEND_WG), maxWorkgroupsPerDim(ctx.limits));
        const params = uniformBuffer(device, new Uint32Array([s.n, s.pos, s.h, s.kv, r4, cap, page, gx]), 'kv-append-params');
        owned.push(params);
        const bind = bindBuffers(device, pipeline, 'kv-append', [qkv, kc, vc, tableBuf, params]);
        const layout = { kvHeads: s.kv, cap, page, table };
        // Output i: part (K, V), KV head, appended token, element — read back where the layout put it.
        const per = s.kv * s.n * s.d;
        const decompose = (i: number) => {
          const part = Math.floor(i / per);
          const r = i % per;
          const kvh = Math.floor(r / (s.n * s.d));
          const tok = Math.floor((r % (s.n * s.d)) / s.d);
          return { part, kvh, tok, c: r % s.d };
        };
        return {
          outputCount: 2 * per,
          config: { workgroup: APPEND_WG, grid: `${gx}x${gy}`, capacity: cap },
          encode(pass) {
            pass.setPipeline(pipeline);
            pass.setBindGroup(0, bind);
            pass.dispatchWorkgroups(gx, gy);
          },
          async readOutputs(indices) {
            const out = new Float64Array(indices.length);
            for (const part of [0, 1]) {
              const which = indices.map((i, k) => ({ i, k })).filter(({ i }) => decompose(i).part === part);
              const elems = which.map(({ i }) => {
                const x = decompose(i);
                return rowStart(x.kvh, s.pos + x.tok, s.d, layout) + x.c;
              });
              const got = await readElements(device, part === 0 ? kc : vc, dtype, elems);
              which.forEach(({ k }, j) => (out[k] = got[j] ?? NaN));
            }
            return out;
          },
          reference(i) {
            const x = decompose(i);
            return tensorValue(qkvT, (x.tok * (s.h + 2 * s.kv) + s.h + x.part * s.kv + x.kvh) * s.d + x.c);
          },
          destroy() {
            for (const b of owned) b.destroy();
          },
        };
      });
    },
  };
}

/** Keys per read workgroup: 256 rows of K and V, 128 KB at f16 d=128, 16 rows per invocation. */
const READ_CHUNK = 256;

/** Output words of a read: one XOR-folded row per (KV head, chunk). */
export function readOutputWords(s: ReadShape, dtype: AttnDtype): number {
  return s.kv * Math.ceil(s.l / READ_CHUNK) * ((s.d * elementSize(dtype)) / 4);
}

/** Bytes a read moves: K and V once, plus its small folded output. */
export function readBytes(s: ReadShape, dtype: AttnDtype): number {
  return 2 * s.kv * s.l * s.d * elementSize(dtype) + 4 * readOutputWords(s, dtype);
}

/** XOR of words `w` of rows start .. end-1 of K and V (u32 fills of the logical [kv, L, W] cache). */
export function readReference(seedK: number, seedV: number, kvh: number, start: number, end: number, l: number, rowWords: number, w: number): number {
  let x = 0;
  for (let j = start; j < end; j++) {
    const e = (kvh * l + j) * rowWords + w;
    x ^= fillU32(seedK, e) ^ fillU32(seedV, e);
  }
  return x >>> 0;
}

function readSpec<S extends ReadShape>(paged: boolean, dtype: AttnDtype): KernelSpec<S> {
  return {
    family: 'kv',
    variant: paged ? 'read-paged' : 'read',
    dtype,
    phase: 'decode',
    description: `KV read: every row of K and V streamed as decode attention does, from a ${paged ? 'paged' : 'contiguous'} ${dtype} cache (XOR-folded, exact)`,
    wgsl: [readWgsl],
    requires: [],
    check(ctx, s) {
      checkRow(s.d, dtype);
      const r4 = row4(s.d, dtype);
      if (256 % r4 !== 0) throw new SkipCase(`a row of ${r4} 16-byte words does not divide the 256-invocation workgroup`);
      const page = paged ? (s as unknown as PagedReadShape).page : 0;
      const bytes = s.kv * (paged ? pagesFor(s.l, page) * page : s.l) * s.d * elementSize(dtype);
      if (bytes > maxBindingBytes(ctx.limits)) throw new SkipCase(`the K cache of ${bytes} B exceeds this device's storage binding limit of ${maxBindingBytes(ctx.limits)} B`);
      if (Math.ceil(s.l / READ_CHUNK) > (maxWorkgroupsPerDim(ctx.limits))) throw new SkipCase('the grid exceeds maxComputeWorkgroupsPerDimension');
    },
    flops: () => 0,
    bytes: (s) => readBytes(s, dtype),
    tolerance: () => ({ abs: 0, rel: 0 }),
    async build(ctx, s, rng): Promise<KernelInstance> {
      const { device } = ctx;
      const page = paged ? (s as unknown as PagedReadShape).page : 0;
      const rowWords = (s.d * elementSize(dtype)) / 4;
      const r4 = rowWords / 4;
      const seedK = hashSeed(rng.int(0x7fffffff));
      const seedV = hashSeed(rng.int(0x7fffffff));
      // Raw random words: the read never interprets them, and the XOR check is exact for any bits.
      const words = s.kv * s.l * rowWords;
      let k = emptyBuffer(device, words * 4, 'kv-read-k');
      let v = emptyBuffer(device, words * 4, 'kv-read-v');
      let table = uploadBuffer(device, new Uint32Array([0]), 'kv-table-unused');
      // Destroys whichever cache buffers are current when it runs (paging replaces them below).
      const live = { destroy: () => [k, v, table].forEach((b) => b.destroy()) };
      const owned: { destroy(): void }[] = [live];
      return destroyOnError(owned, async (): Promise<KernelInstance> => {
        await fillBuffer(ctx, k, words, 'u32', seedK);
        await fillBuffer(ctx, v, words, 'u32', seedV);
        if (paged) {
          const tableData = pageTable(pagesFor(s.l, page), rng);
          const poolBytes = pagesFor(s.l, page) * s.kv * page * rowWords * 4;
          const kp = emptyBuffer(device, poolBytes, 'kv-read-k-pages');
          const vp = emptyBuffer(device, poolBytes, 'kv-read-v-pages');
          const enc = device.createCommandEncoder({ label: 'kv-scatter' });
          const layout = { kvHeads: s.kv, tokens: s.l, rowBytes: rowWords * 4, page, table: tableData };
          scatterToPages(enc, k, kp, layout);
          scatterToPages(enc, v, vp, layout);
          device.queue.submit([enc.finish()]);
          await device.queue.onSubmittedWorkDone();
          k.destroy();
          v.destroy();
          table.destroy();
          [k, v] = [kp, vp];
          table = uploadBuffer(device, tableData, 'kv-table');
        }
        const splits = Math.ceil(s.l / READ_CHUNK);
        const outWords = readOutputWords(s, dtype);
        const out = emptyBuffer(device, outWords * 4, 'kv-read-out');
        owned.push(out);
        const pipeline = await getPipeline(device, { label: 'kv-read', code: readWgsl, entryPoint: 'main', constants: { ROW4: r4, CHUNK: READ_CHUNK } });
        const params = uniformBuffer(device, new Uint32Array([s.l, s.l, s.kv, page, splits]), 'kv-read-params');
        owned.push(params);
        const bind = bindBuffers(device, pipeline, 'kv-read', [k, v, table, out, params]);
        return {
          outputCount: outWords,
          config: { chunk: READ_CHUNK, workgroups: splits * s.kv, workgroup: 256 },
          encode(pass) {
            pass.setPipeline(pipeline);
            pass.setBindGroup(0, bind);
            pass.dispatchWorkgroups(splits, s.kv);
          },
          async readOutputs(indices) {
            return readWords(device, out, indices);
          },
          reference(i) {
            const w = i % rowWords;
            const row = Math.floor(i / rowWords);
            const kvh = Math.floor(row / splits);
            const split = row % splits;
            return readReference(seedK, seedV, kvh, split * READ_CHUNK, Math.min(s.l, (split + 1) * READ_CHUNK), s.l, rowWords, w);
          },
          destroy() {
            for (const b of owned) b.destroy();
          },
        };
      });
    },
  };
}

/** KV append specs: prefill (N tokens) and decode (one token), contiguous and paged, f32 and f16. */
export const appendPrefillF32Spec = appendSpec<AppendShape>('prefill', false, 'f32');
export const appendPrefillF16Spec = appendSpec<AppendShape>('prefill', false, 'f16');
export const appendDecodeF32Spec = appendSpec<AppendShape>('decode', false, 'f32');
export const appendDecodeF16Spec = appendSpec<AppendShape>('decode', false, 'f16');
export const appendPrefillPagedF16Spec = appendSpec<PagedAppendShape>('prefill', true, 'f16');
export const appendDecodePagedF16Spec = appendSpec<PagedAppendShape>('decode', true, 'f16');
export const appendPrefillPagedF32Spec = appendSpec<PagedAppendShape>('prefill', true, 'f32');
export const appendDecodePagedF32Spec = appendSpec<PagedAppendShape>('decode', true, 'f32');
/** KV read specs: contiguous and paged, f32 and f16. */
export const readF32Spec = readSpec<ReadShape>(false, 'f32');
export const readF16Spec = readSpec<ReadShape>(false, 'f16');
export const readPagedF32Spec = readSpec<PagedReadShape>(true, 'f32');
export const readPagedF16Spec = readSpec<PagedReadShape>(true, 'f16');

/** Every KV-cache spec, for the registry. */
export const KV_SPECS = [
  appendPrefillF32Spec,
  appendPrefillF16Spec,
  appendPrefillPagedF32Spec,
  appendPrefillPagedF16Spec,
  appendDecodeF32Spec,
  appendDecodeF16Spec,
  appendDecodePagedF32Spec,
  appendDecodePagedF16Spec,
  readF32Spec,
  readF16Spec,
  readPagedF32Spec,
  readPagedF16Spec,
] as const;


const M = LLAMA3_8B;

/** KV-cache cases of a preset. */
export function kvCases(preset: Preset): BenchCase[] {
  if (preset === 'test') {
    // Odd token counts and positions that straddle page boundaries.
    const a: AppendShape = { h: 4, kv: 2, d: 64, n: 7, pos: 13 };
    const dec: AppendShape = { h: 8, kv: 1, d: 128, n: 1, pos: 37 };
    const r: ReadShape = { kv: 2, d: 128, l: 300 };
    return [
      makeCase(appendPrefillF32Spec, a),
      makeCase(appendPrefillPagedF16Spec, { ...a, page: PAGE_SIZE }),
      makeCase(appendDecodeF16Spec, dec),
      makeCase(appendDecodePagedF32Spec, { ...dec, page: PAGE_SIZE }),
      makeCase(readF32Spec, { kv: 1, d: 64, l: 77 }),
      makeCase(readF16Spec, r),
      makeCase(readPagedF16Spec, { ...r, page: PAGE_SIZE }),
    ];
  }
  const llamaAppend = (n: number, pos: number): AppendShape => ({ h: M.heads, kv: M.kvHeads, d: M.headDim, n, pos });
  const llamaRead = (l: number): ReadShape => ({ kv: M.kvHeads, d: M.headDim, l });
  const longest = CONTEXT_LENGTHS[CONTEXT_LENGTHS.length - 1] ?? 32768;
  const prompt = PROMPT_LENGTHS[PROMPT_LENGTHS.length - 1] ?? 4096;
  if (preset === 'quick') {
    return [
      makeCase(appendPrefillF16Spec, llamaAppend(prompt, 0)),
      makeCase(appendDecodeF16Spec, llamaAppend(1, prompt - 1)),
      makeCase(readF16Spec, llamaRead(longest)),
      makeCase(readPagedF16Spec, { ...llamaRead(longest), page: PAGE_SIZE }),
    ];
  }
  const cases: BenchCase[] = [];
  for (const [pf, pd, pfp, pdp] of [
    [appendPrefillF16Spec, appendDecodeF16Spec, appendPrefillPagedF16Spec, appendDecodePagedF16Spec],
    [appendPrefillF32Spec, appendDecodeF32Spec, appendPrefillPagedF32Spec, appendDecodePagedF32Spec],
  ] as const) {
    cases.push(makeCase(pf, llamaAppend(prompt, 0)), makeCase(pfp, { ...llamaAppend(prompt, 0), page: PAGE_SIZE }));
    cases.push(makeCase(pd, llamaAppend(1, longest - 1)), makeCase(pdp, { ...llamaAppend(1, longest - 1), page: PAGE_SIZE }));
  }
  for (const l of CONTEXT_LENGTHS) cases.push(makeCase(readF16Spec, llamaRead(l)));
  cases.push(makeCase(readPagedF16Spec, { ...llamaRead(longest), page: PAGE_SIZE }), makeCase(readF32Spec, llamaRead(longest)), makeCase(readPagedF32Spec, { ...llamaRead(longest), page: PAGE_SIZE }));
  return cases;
}
