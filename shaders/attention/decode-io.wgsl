// Decode attention, shared by its kernels (decode-naive.wgsl and the split-K decode-split.wgsl,
// decode-split-deep.wgsl, decode-split-fused.wgsl): the parameters, the input bindings (0-3, 6) and the
// K/V row address; each kernel binds its outputs at 4 and 5. Prepended after the dtype prelude by
// buildDecodeWgsl; DW (Wide vectors per row) is each kernel's override.
//   Q, O: [heads, d]; K, V: contiguous [kv_heads, cap, d], or paged: a pool of pages
//   [pages, kv_heads, page, d] and a page table mapping logical page -> physical page.
struct Params {
  l: u32,
  // row capacity of the contiguous cache
  cap: u32,
  heads: u32,
  group: u32,
  // tokens per page; 0 = contiguous layout
  page: u32,
  kv_heads: u32,
  splits: u32,
  // log2(e) / sqrt(d)
  scale: f32,
}

@group(0) @binding(0) var<storage, read> q: array<Quad>;
@group(0) @binding(1) var<storage, read> k: array<Wide>;
@group(0) @binding(2) var<storage, read> v: array<Wide>;
@group(0) @binding(3) var<storage, read> table: array<u32>;
@group(0) @binding(6) var<uniform> params: Params;

// First Wide vector of the row of token j of KV head kvh.
fn row_base(kvh: u32, j: u32) -> u32 {
  if (params.page == 0u) {
    return (kvh * params.cap + j) * DW;
  }
  let phys = table[j / params.page];
  return ((phys * params.kv_heads + kvh) * params.page + j % params.page) * DW;
}
