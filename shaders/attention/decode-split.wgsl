// Split-K decode attention (FlashDecoding): the context of L cached tokens is cut into chunks of
// CHUNK keys; one workgroup takes one chunk of one KV head for the GH query heads that share it
// (K and V are read once per KV head, not once per query head), and writes an unnormalized partial
// output with its chunk maximum and sum. decode-reduce.wgsl combines the partials.
//   Q, O: [heads, d]; K, V: contiguous [kv_heads, cap, d], or paged: a pool of pages
//   [pages, kv_heads, page, d] and a page table mapping logical page -> physical page.
// Prepended by dtype-f32.wgsl or dtype-f16.wgsl (K and V are read as Wide vectors).
override HEAD_DIM: u32 = 128u;
// Query heads per workgroup (a divisor of the GQA ratio, at most MAXG).
override GH: u32 = 1u;
override CHUNK: u32 = 256u;

const WG: u32 = 128u;
const MAXG: u32 = 8u;
// Wide vectors per K row at most: f32 with d = 128.
const MAXDW: u32 = 32u;
// V rows loaded ahead per invocation.
const VU: u32 = 8u;
const NEG: f32 = -1e30;

override D4: u32 = HEAD_DIM / 4u;
// Wide vectors per K/V row, and key lanes of the P.V phase (rows read side by side).
override DW: u32 = HEAD_DIM / WIDE;
override KL: u32 = WG / DW;
override Q_LEN: u32 = GH * D4;
override P_LEN: u32 = GH * CHUNK;
override M_LEN: u32 = GH * WG;

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
@group(0) @binding(4) var<storage, read_write> o_part: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> ml_part: array<vec2<f32>>;
@group(0) @binding(6) var<uniform> params: Params;

var<workgroup> q_sh: array<vec4<f32>, Q_LEN>;
var<workgroup> p_sh: array<f32, P_LEN>;
var<workgroup> red_m: array<f32, M_LEN>;
var<workgroup> red_o: array<vec4<f32>, Q_LEN>;
var<workgroup> red_l: array<f32, MAXG>;

// First Wide vector of the row of token j of KV head kvh.
fn row_base(kvh: u32, j: u32) -> u32 {
  if (params.page == 0u) {
    return (kvh * params.cap + j) * DW;
  }
  let phys = table[j / params.page];
  return ((phys * params.kv_heads + kvh) * params.page + j % params.page) * DW;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let split = wg.x;
  let per_kv = params.group / GH;
  let kvh = wg.y / per_kv;
  let h0 = kvh * params.group + (wg.y % per_kv) * GH;
  let start = split * CHUNK;
  let cnt = min(CHUNK, params.l - start);

  for (var e = t; e < Q_LEN; e += WG) {
    q_sh[e] = unpack_quad(q[h0 * D4 + e]) * params.scale;
  }
  workgroupBarrier();

  // Scores: one invocation per key; its row's loads are all issued before the arithmetic.
  var mloc: array<f32, MAXG>;
  for (var g = 0u; g < GH; g++) {
    mloc[g] = NEG;
  }
  for (var kk = t; kk < CHUNK; kk += WG) {
    var s: array<f32, MAXG>;
    for (var g = 0u; g < GH; g++) {
      s[g] = 0.0;
    }
    if (kk < cnt) {
      let base = row_base(kvh, start + kk);
      var kr: array<Wide, MAXDW>;
      for (var w = 0u; w < DW; w++) {
        kr[w] = k[base + w];
      }
      for (var w = 0u; w < DW; w++) {
        for (var sub = 0u; sub < WIDE / 4u; sub++) {
          let kv4 = unpack_wide(kr[w], sub);
          for (var g = 0u; g < GH; g++) {
            s[g] += dot(q_sh[g * D4 + w * (WIDE / 4u) + sub], kv4);
          }
        }
      }
      for (var g = 0u; g < GH; g++) {
        mloc[g] = max(mloc[g], s[g]);
      }
    } else {
      for (var g = 0u; g < GH; g++) {
        s[g] = NEG;
      }
    }
    for (var g = 0u; g < GH; g++) {
      p_sh[g * CHUNK + kk] = s[g];
    }
  }

  // Chunk maximum per head (tree over the workgroup).
  for (var g = 0u; g < GH; g++) {
    red_m[g * WG + t] = mloc[g];
  }
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    workgroupBarrier();
    if (t < stride) {
      for (var g = 0u; g < GH; g++) {
        red_m[g * WG + t] = max(red_m[g * WG + t], red_m[g * WG + t + stride]);
      }
    }
  }
  workgroupBarrier();
  var mx: array<f32, MAXG>;
  for (var g = 0u; g < GH; g++) {
    mx[g] = red_m[g * WG];
  }
  // Probabilities, each invocation over the keys it scored (no other invocation touches them yet).
  for (var kk = t; kk < CHUNK; kk += WG) {
    for (var g = 0u; g < GH; g++) {
      let x = p_sh[g * CHUNK + kk];
      p_sh[g * CHUNK + kk] = select(0.0, exp2(x - mx[g]), x > 0.5 * NEG);
    }
  }
  workgroupBarrier();

  // O partial = P . V: DW invocations read one row side by side (coalesced), KL rows at a time,
  // VU rows per invocation in flight (enough outstanding loads to cover HBM latency at ~3 WGs/SM).
  let kl = t / DW;
  let cw = t % DW;
  var acc: array<vec4<f32>, 16>;
  var lsum: array<f32, MAXG>;
  for (var k0 = kl; k0 < cnt; k0 += VU * KL) {
    var vr: array<Wide, VU>;
    for (var u = 0u; u < VU; u++) {
      let kk = k0 + u * KL;
      vr[u] = Wide();
      if (kk < cnt) {
        vr[u] = v[row_base(kvh, start + kk) + cw];
      }
    }
    for (var u = 0u; u < VU; u++) {
      let kk = k0 + u * KL;
      let live = kk < cnt;
      for (var g = 0u; g < GH; g++) {
        // Keys at or past cnt weigh 0 (their vr is zero, never loaded).
        let p = select(0.0, p_sh[g * CHUNK + min(kk, CHUNK - 1u)], live);
        lsum[g] += p;
        for (var sub = 0u; sub < WIDE / 4u; sub++) {
          acc[g * (WIDE / 4u) + sub] = fma(vec4<f32>(p), unpack_wide(vr[u], sub), acc[g * (WIDE / 4u) + sub]);
        }
      }
    }
  }

  // Sum the KL key lanes: one lane per round adds its partial (each slot has one writer per round).
  for (var r = 0u; r < KL; r++) {
    if (kl == r) {
      for (var g = 0u; g < GH; g++) {
        for (var sub = 0u; sub < WIDE / 4u; sub++) {
          let i = g * D4 + cw * (WIDE / 4u) + sub;
          if (r == 0u) {
            red_o[i] = acc[g * (WIDE / 4u) + sub];
          } else {
            red_o[i] += acc[g * (WIDE / 4u) + sub];
          }
        }
        if (cw == 0u) {
          if (r == 0u) {
            red_l[g] = lsum[g];
          } else {
            red_l[g] += lsum[g];
          }
        }
      }
    }
    workgroupBarrier();
  }

  for (var e = t; e < Q_LEN; e += WG) {
    o_part[(split * params.heads + h0) * D4 + e] = red_o[e];
  }
  if (t < GH) {
    ml_part[split * params.heads + h0 + t] = vec2<f32>(red_m[t * WG], red_l[t]);
  }
}
