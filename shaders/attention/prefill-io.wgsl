// Tiled prefill attention, shared by its two kernels (prefill-qreg.wgsl, prefill-tiled.wgsl): the
// parameters and the bindings. Prepended after the dtype prelude by buildPrefillWgsl.
//   Q, O: [N, heads, d]; K, V: [kv_heads, N, d].
struct Params {
  n: u32,
  heads: u32,
  // query heads per KV head (GQA ratio)
  group: u32,
  // log2(e) / sqrt(d): scores in base 2, so the softmax uses exp2
  scale: f32,
}

@group(0) @binding(0) var<storage, read> q: array<Quad>;
@group(0) @binding(1) var<storage, read> k: array<Quad>;
@group(0) @binding(2) var<storage, read> v: array<Quad>;
@group(0) @binding(3) var<storage, read_write> o: array<Quad>;
@group(0) @binding(4) var<uniform> params: Params;
