// Split-K decode attention (FlashDecoding): the context of L cached tokens is cut into chunks of
// CHUNK keys; one workgroup takes one chunk of one KV head for the GH query heads that share it
// (K and V are read once per KV head, not once per query head), and writes an unnormalized partial
// output with its chunk maximum and sum. decode-reduce.wgsl combines the partials.
//   Q, O: [heads, d]; K, V: contiguous [kv_heads, cap, d], or paged: a pool of pages
//   [pages, kv_heads, page, d] and a page table mapping logical page -> physical page.
// Prepended by dtype-f32.wgsl or dtype-f16.wgsl (K and V are read as Wide vectors). Needs the
// `subgroups` feature (SwiftShader has it, so CI runs this kernel).
enable subgroups;
override HEAD_DIM: u32 = 128u;
// Query heads per workgroup (a divisor of the GQA ratio, at most MAXG).
override GH: u32 = 1u;
override CHUNK: u32 = 256u;

const WG: u32 = 128u;
const MAXG: u32 = 8u;
// Lanes per key in the score phase, keys per step, and steps whose loads are in flight at once.
const TG: u32 = 4u;
const KPS: u32 = WG / TG;
const KU: u32 = 2u;
// Wide vectors per lane and key at most (f32, d = 128), and subgroups per workgroup at most.
const MAXKW: u32 = 8u;
const MAXSG: u32 = WG / 4u;
// V rows loaded ahead per invocation.
const VU: u32 = 8u;
const NEG: f32 = -1e30;

override D4: u32 = HEAD_DIM / 4u;
// Wide vectors per K/V row, and key lanes of the P.V phase (rows read side by side).
override DW: u32 = HEAD_DIM / WIDE;
override KL: u32 = WG / DW;
override KW: u32 = DW / TG;
override Q_LEN: u32 = GH * D4;
override P_LEN: u32 = GH * CHUNK;
override M_LEN: u32 = GH * MAXSG;

// Params, the input bindings and row_base: decode-io.wgsl, prepended by buildDecodeWgsl.
@group(0) @binding(4) var<storage, read_write> o_part: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> ml_part: array<vec2<f32>>;

var<workgroup> q_sh: array<vec4<f32>, Q_LEN>;
var<workgroup> p_sh: array<f32, P_LEN>;
var<workgroup> red_m: array<f32, M_LEN>;
var<workgroup> red_o: array<vec4<f32>, Q_LEN>;
var<workgroup> red_l: array<f32, MAXG>;

@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_index) t: u32,
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(subgroup_invocation_id) sg_lane: u32,
  @builtin(subgroup_size) sg_size: u32,
) {
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

  // Scores: TG = 4 lanes per key read its row side by side (lane l takes Wides l, l+4, ...: each
  // load instruction covers 64 contiguous bytes of 8 rows per 32 lanes, so no sector is wasted),
  // KU keys per lane in flight; the 4 partial dot products are summed with subgroup shuffles
  // (every subgroup size WebGPU allows is a multiple of 4).
  let lane = sg_lane % TG;
  let slot = t / TG;
  var mloc: array<f32, MAXG>;
  for (var g = 0u; g < GH; g++) {
    mloc[g] = NEG;
  }
  for (var k0 = 0u; k0 < CHUNK; k0 += KU * KPS) {
    var kr: array<Wide, KU * MAXKW>;
    for (var u = 0u; u < KU; u++) {
      let kk = k0 + u * KPS + slot;
      for (var i = 0u; i < KW; i++) {
        kr[u * MAXKW + i] = Wide();
      }
      if (kk < cnt) {
        let base = row_base(kvh, start + kk) + lane;
        for (var i = 0u; i < KW; i++) {
          kr[u * MAXKW + i] = k[base + TG * i];
        }
      }
    }
    for (var u = 0u; u < KU; u++) {
      let kk = k0 + u * KPS + slot;
      var s: array<f32, MAXG>;
      for (var g = 0u; g < GH; g++) {
        s[g] = 0.0;
      }
      for (var i = 0u; i < KW; i++) {
        let w = lane + TG * i;
        for (var sub = 0u; sub < WIDE / 4u; sub++) {
          let kv4 = unpack_wide(kr[u * MAXKW + i], sub);
          for (var g = 0u; g < GH; g++) {
            s[g] += dot(q_sh[g * D4 + w * (WIDE / 4u) + sub], kv4);
          }
        }
      }
      for (var g = 0u; g < GH; g++) {
        s[g] += subgroupShuffleXor(s[g], 1u);
        s[g] += subgroupShuffleXor(s[g], 2u);
      }
      let live = kk < cnt;
      for (var g = 0u; g < GH; g++) {
        if (live) {
          mloc[g] = max(mloc[g], s[g]);
        }
        if (lane == 0u) {
          p_sh[g * CHUNK + kk] = select(NEG, s[g], live);
        }
      }
    }
  }

  // Chunk maximum per head: within each subgroup, then across the WG / sg_size subgroups.
  for (var g = 0u; g < GH; g++) {
    let m = subgroupMax(mloc[g]);
    if (sg_lane == 0u) {
      red_m[g * MAXSG + t / sg_size] = m;
    }
  }
  workgroupBarrier();
  var mx: array<f32, MAXG>;
  for (var g = 0u; g < GH; g++) {
    mx[g] = NEG;
    for (var i = 0u; i < WG / sg_size; i++) {
      mx[g] = max(mx[g], red_m[g * MAXSG + i]);
    }
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

  put_partials(acc, lsum, mx, kl, cw, t, split, h0);
}
