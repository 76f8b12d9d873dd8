// Split-K decode attention (FlashDecoding), deep-load form of decode-split.wgsl (same partials, same
// reduce): KU = 2 or 4 keys per lane in flight in the score phase with each q vector read once for
// all of them, 8 or 16 V rows per lane in flight, the first K loads issued before q is read and the
// first V rows before the softmax reductions. On the H100 it is the faster form for long contexts
// with GQA (64.9 vs 75.2 us at L = 32768, 4 heads per workgroup) and the slower one for short
// contexts and few workgroups (60 vs 12.6 us at L = 512), so both are autotune candidates.
// The context of L cached tokens is cut into chunks of CHUNK keys; one workgroup takes one chunk
// of one KV head for the GH query heads that share it (K and V are read once per KV head), and
// writes an unnormalized partial output with its chunk maximum and sum.
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
// Keys per lane in the score phase whose loads are in flight at once (at most MAXKU): each q vector
// read from workgroup memory serves all KU keys, so q traffic per key falls as 1/KU (with 4 heads
// per workgroup and KU = 1 the q reads outnumber the K bytes 16 to 1 and bound the kernel).
override KU: u32 = 2u;
const MAXKU: u32 = 4u;
// Lanes per key in the score phase and keys per step.
const TG: u32 = 4u;
const KPS: u32 = WG / TG;
// Wide vectors per lane and key at most (f32, d = 128), and subgroups per workgroup at most.
const MAXKW: u32 = 8u;
const MAXSG: u32 = WG / 4u;
// V rows loaded ahead per invocation (at most MAXVU): 8 or 16, autotuned.
override VU: u32 = 8u;
const MAXVU: u32 = 16u;
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

// K rows of score step k0 for one lane: KU keys (k0 + u KPS + slot), KW Wides each (lane, lane + TG,
// ...); keys at or past cnt load as zero.
fn load_k(kvh: u32, start: u32, cnt: u32, k0: u32, slot: u32, lane: u32) -> array<Wide, MAXKU * MAXKW> {
  var kr: array<Wide, MAXKU * MAXKW>;
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
  return kr;
}

// V Wide cw of the VU rows k0, k0 + KL, ... of one lane; rows at or past cnt load as zero.
fn load_v(kvh: u32, start: u32, cnt: u32, k0: u32, cw: u32) -> array<Wide, MAXVU> {
  var vr: array<Wide, MAXVU>;
  for (var u = 0u; u < VU; u++) {
    let kk = k0 + u * KL;
    vr[u] = Wide();
    if (kk < cnt) {
      vr[u] = v[row_base(kvh, start + kk) + cw];
    }
  }
  return vr;
}

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

  // The first score step's K loads go out before q is read, so the two latencies overlap.
  let lane = sg_lane % TG;
  let slot = t / TG;
  var kr = load_k(kvh, start, cnt, 0u, slot, lane);
  for (var e = t; e < Q_LEN; e += WG) {
    q_sh[e] = unpack_quad(q[h0 * D4 + e]) * params.scale;
  }
  workgroupBarrier();

  // Scores: TG = 4 lanes per key read its row side by side (lane l takes Wides l, l+4, ...: each
  // load instruction covers 64 contiguous bytes of 8 rows per 32 lanes, so no sector is wasted),
  // KU keys per lane in flight; the 4 partial dot products are summed with subgroup shuffles
  // (every subgroup size WebGPU allows is a multiple of 4).
  var mloc: array<f32, MAXG>;
  for (var g = 0u; g < GH; g++) {
    mloc[g] = NEG;
  }
  for (var k0 = 0u; k0 < CHUNK; k0 += KU * KPS) {
    // s[u * MAXG + g]: score of key u for head g. One q read per (wide, half, head), used KU times.
    var s: array<f32, MAXKU * MAXG>;
    for (var e = 0u; e < KU * MAXG; e++) {
      s[e] = 0.0;
    }
    for (var i = 0u; i < KW; i++) {
      let w = lane + TG * i;
      for (var sub = 0u; sub < WIDE / 4u; sub++) {
        var kv4: array<vec4<f32>, MAXKU>;
        for (var u = 0u; u < KU; u++) {
          kv4[u] = unpack_wide(kr[u * MAXKW + i], sub);
        }
        for (var g = 0u; g < GH; g++) {
          let qv = q_sh[g * D4 + w * (WIDE / 4u) + sub];
          for (var u = 0u; u < KU; u++) {
            s[u * MAXG + g] += dot(qv, kv4[u]);
          }
        }
      }
    }
    for (var u = 0u; u < KU; u++) {
      let kk = k0 + u * KPS + slot;
      let live = kk < cnt;
      for (var g = 0u; g < GH; g++) {
        var x = s[u * MAXG + g];
        x += subgroupShuffleXor(x, 1u);
        x += subgroupShuffleXor(x, 2u);
        if (live) {
          mloc[g] = max(mloc[g], x);
        }
        // Key-major [CHUNK][GH]: the P.V phase reads a key's GH probabilities side by side.
        if (lane == 0u && kk < CHUNK) {
          p_sh[kk * GH + g] = select(NEG, x, live);
        }
      }
    }
    if (k0 + KU * KPS < CHUNK) {
      kr = load_k(kvh, start, cnt, k0 + KU * KPS, slot, lane);
    }
  }

  // The first V rows go out before the softmax steps (they do not depend on P): their latency
  // overlaps the two reductions and barriers below.
  let kl = t / DW;
  let cw = t % DW;
  var vr = load_v(kvh, start, cnt, kl, cw);

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
      let x = p_sh[kk * GH + g];
      p_sh[kk * GH + g] = select(0.0, exp2(x - mx[g]), x > 0.5 * NEG);
    }
  }
  workgroupBarrier();

  // O partial = P . V: DW invocations read one row side by side (coalesced), KL rows at a time,
  // VU rows per invocation in flight (enough outstanding loads to cover HBM latency at ~3 WGs/SM).
  var acc: array<vec4<f32>, 16>;
  var lsum: array<f32, MAXG>;
  for (var k0 = kl; k0 < cnt; k0 += VU * KL) {
    if (k0 != kl) {
      vr = load_v(kvh, start, cnt, k0, cw);
    }
    for (var u = 0u; u < VU; u++) {
      let kk = k0 + u * KL;
      let live = kk < cnt;
      for (var g = 0u; g < GH; g++) {
        // Keys at or past cnt weigh 0 (their vr is zero, never loaded).
        let p = select(0.0, p_sh[min(kk, CHUNK - 1u) * GH + g], live);
        lsum[g] += p;
        for (var sub = 0u; sub < WIDE / 4u; sub++) {
          acc[g * (WIDE / 4u) + sub] = fma(vec4<f32>(p), unpack_wide(vr[u], sub), acc[g * (WIDE / 4u) + sub]);
        }
      }
    }
  }

  put_partials(acc, lsum, mx, kl, cw, t, split, h0);
}
