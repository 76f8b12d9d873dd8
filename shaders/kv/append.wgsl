// KV-cache append: copies the K and V parts of the fused QKV projection output
// [tokens, (heads + 2 kv_heads) * d] into the cache at positions pos .. pos + tokens - 1.
// Prefill appends N tokens at once, decode one. Data movement only, so it works on 16-byte words
// whatever the element type (a row is d * element_size / 16 words).
//   cache: contiguous [kv_heads, cap, d], or paged: a pool [pages, kv_heads, page, d] plus a page
//   table (logical page -> physical page), the layout serving engines use.
override WG: u32 = 256u;

struct Params {
  tokens: u32,
  pos: u32,
  heads: u32,
  kv_heads: u32,
  // 16-byte words per head row
  row4: u32,
  cap: u32,
  // tokens per page; 0 = contiguous layout
  page: u32,
  groups_x: u32,
}

@group(0) @binding(0) var<storage, read> qkv: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> k_cache: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> v_cache: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> table: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

fn row_base(kvh: u32, j: u32) -> u32 {
  if (params.page == 0u) {
    return (kvh * params.cap + j) * params.row4;
  }
  let phys = table[j / params.page];
  return ((phys * params.kv_heads + kvh) * params.page + j % params.page) * params.row4;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.y * params.groups_x * WG + gid.x;
  let kvh_count = params.kv_heads;
  if (e >= params.tokens * 2u * kvh_count * params.row4) {
    return;
  }
  // Consecutive invocations take consecutive words of one row: coalesced on both sides.
  let c = e % params.row4;
  let r = e / params.row4;
  let kvh = r % kvh_count;
  let part = (r / kvh_count) % 2u;
  let tok = r / (2u * kvh_count);
  let src = (tok * (params.heads + 2u * kvh_count) + params.heads + part * kvh_count + kvh) * params.row4 + c;
  let dst = row_base(kvh, params.pos + tok) + c;
  if (part == 0u) {
    k_cache[dst] = qkv[src];
  } else {
    v_cache[dst] = qkv[src];
  }
}
