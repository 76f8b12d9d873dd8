/**
 * KV-cache layouts. Contiguous: K and V each [kv_heads, capacity, d]. Paged (as vLLM's
 * PagedAttention): a pool of fixed-size pages [pages, kv_heads, page, d] and a page table that maps
 * a sequence's logical page to a physical one, so a growing sequence never moves its cache.
 */
import type { Rng } from '../util/rng';

/** Tokens per page: vLLM's default block size. */
export const PAGE_SIZE = 16;

/** A page table: logical page p lives in physical page table[p] (a random permutation here, so
 * consecutive logical pages are scattered through the pool as they are after many allocations). */
export function pageTable(pages: number, rng: Rng): Uint32Array {
  const t = Uint32Array.from({ length: pages }, (_, i) => i);
  for (let i = pages - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const a = t[i] ?? 0;
    t[i] = t[j] ?? 0;
    t[j] = a;
  }
  return t;
}

/** Pages needed for `tokens` tokens. */
export function pagesFor(tokens: number, page: number): number {
  return Math.ceil(tokens / page);
}

/** Index of the first element of token j's row of KV head kvh (row = `d` elements). */
export function rowStart(kvh: number, j: number, d: number, layout: { kvHeads: number; cap: number; page: number; table: Uint32Array | null }): number {
  if (layout.page === 0 || layout.table === null) return (kvh * layout.cap + j) * d;
  const phys = layout.table[Math.floor(j / layout.page)] ?? 0;
  return ((phys * layout.kvHeads + kvh) * layout.page + (j % layout.page)) * d;
}

/**
 * Records copies that lay a contiguous cache [kvHeads, tokens, row bytes] out as pages of `pool`,
 * so a paged case holds exactly the logical data of its contiguous twin (one copy per page and head;
 * the last page may be partial).
 */
export function scatterToPages(enc: GPUCommandEncoder, src: GPUBuffer, pool: GPUBuffer, o: { kvHeads: number; tokens: number; rowBytes: number; page: number; table: Uint32Array }): void {
  const pages = pagesFor(o.tokens, o.page);
  for (let p = 0; p < pages; p++) {
    const rows = Math.min(o.page, o.tokens - p * o.page);
    const phys = o.table[p] ?? 0;
    for (let kvh = 0; kvh < o.kvHeads; kvh++) {
      enc.copyBufferToBuffer(src, (kvh * o.tokens + p * o.page) * o.rowBytes, pool, (phys * o.kvHeads + kvh) * o.page * o.rowBytes, rows * o.rowBytes);
    }
  }
}
