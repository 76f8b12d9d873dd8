// KV-cache read: streams K and V of one layer as decode attention does (every cached row of every
// KV head, contiguous or through the page table) and folds them with XOR, which is exact and
// order-free: the check is bit-exact, and the output is one row per chunk (0.2% of the traffic at
// CHUNK = 256). One workgroup per (chunk of CHUNK tokens, KV head); ROW4 invocations read a row
// side by side, KL rows at a time, UNROLL rows in flight per invocation.
override ROW4: u32 = 16u;
override CHUNK: u32 = 256u;

const WG: u32 = 256u;
const UNROLL: u32 = 8u;

override KL: u32 = WG / ROW4;

struct Params {
  l: u32,
  cap: u32,
  kv_heads: u32,
  // tokens per page; 0 = contiguous layout
  page: u32,
  splits: u32,
}

@group(0) @binding(0) var<storage, read> k_cache: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> v_cache: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<u32>>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> red: array<vec4<u32>, WG>;

fn row_base(kvh: u32, j: u32) -> u32 {
  if (params.page == 0u) {
    return (kvh * params.cap + j) * ROW4;
  }
  let phys = table[j / params.page];
  return ((phys * params.kv_heads + kvh) * params.page + j % params.page) * ROW4;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let split = wg.x;
  let kvh = wg.y;
  let start = split * CHUNK;
  let end = min(params.l, start + CHUNK);
  let kl = t / ROW4;
  let c = t % ROW4;
  var acc = vec4<u32>(0u);
  for (var j0 = start + kl; j0 < end; j0 += UNROLL * KL) {
    var kr: array<vec4<u32>, UNROLL>;
    var vr: array<vec4<u32>, UNROLL>;
    for (var u = 0u; u < UNROLL; u++) {
      let j = j0 + u * KL;
      kr[u] = vec4<u32>(0u);
      vr[u] = vec4<u32>(0u);
      if (j < end) {
        let b = row_base(kvh, j) + c;
        kr[u] = k_cache[b];
        vr[u] = v_cache[b];
      }
    }
    for (var u = 0u; u < UNROLL; u++) {
      acc ^= kr[u] ^ vr[u];
    }
  }
  red[t] = acc;
  for (var stride = KL / 2u; stride > 0u; stride >>= 1u) {
    workgroupBarrier();
    if (kl < stride) {
      red[t] ^= red[t + stride * ROW4];
    }
  }
  workgroupBarrier();
  if (kl == 0u) {
    out[(kvh * params.splits + split) * ROW4 + c] = red[c];
  }
}
