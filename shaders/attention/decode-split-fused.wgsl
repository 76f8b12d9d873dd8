// Split-K decode attention (FlashDecoding), fused form: same partials and reduce as decode-split.wgsl,
// but no phase structure inside a chunk. Each key slot (a quad of 4 lanes) streams its own keys with
// the K row and the V row of the same keys loaded together, and keeps its own online softmax (running
// maximum, sum and output quarter in registers), so a subgroup never waits on a workgroup barrier while
// it streams, and K and V bytes are in flight at the same time. The slots are merged once, at the end.
// The two-phase kernels (decode-split.wgsl, decode-split-deep.wgsl) read all K of a chunk, meet at a
// barrier for the chunk maximum, then read all V.
//   One workgroup: one chunk of CHUNK keys of one KV head, for GH of the query heads sharing it; the
//   workgroups of one chunk (when GH is below the GQA ratio) are adjacent in dispatch order so the
//   second read of the chunk's K/V finds them in L2.
//   Q, O: [heads, d]; K, V: contiguous [kv_heads, cap, d] or paged [pages, kv_heads, page, d] + table.
// Online softmax with a lazy maximum: a slot rescales its sums only when a score exceeds its running
// maximum by more than TAU (base 2), so after the first keys the rescale (a branch, 4·d/4 multiplies per
// head) is skipped; probabilities are then at most 2^TAU, and the result is exact whatever maximum is
// used (the partial's sum and output share it). TAU = 0 is the plain online softmax.
// PREFETCH: the next step's rows are loaded before the current step is computed (twice the row registers).
// Prepended by dtype-f32.wgsl or dtype-f16.wgsl. Needs `subgroups` (4 lanes of a key sum their partial
// dot products with shuffles; every subgroup size WebGPU allows is a multiple of 4).
enable subgroups;
override HEAD_DIM: u32 = 128u;
// Query heads per workgroup (a divisor of the GQA ratio, at most MAXG).
override GH: u32 = 1u;
override CHUNK: u32 = 256u;
// Keys per slot and step whose K and V rows are in flight together (at most MAXKU).
override KU: u32 = 1u;
// Rescale threshold of the lazy maximum (log2 units).
override TAU: f32 = 8.0;
// Whether the next step's K and V loads are issued before this step is computed (two steps in flight).
override PREFETCH: bool = false;

const WG: u32 = 128u;
const MAXG: u32 = 4u;
const MAXKU: u32 = 2u;
// Lanes per key, and key slots per workgroup.
const TG: u32 = 4u;
const SLOTS: u32 = WG / TG;
// Wide vectors per lane and row at most (f32, d = 128), vec4 accumulators per lane and head at most.
const MAXKW: u32 = 8u;
const MAXAW: u32 = 8u;
const MAXSG: u32 = WG / 4u;
const NEG: f32 = -1e30;

override D4: u32 = HEAD_DIM / 4u;
// Wide vectors per row, per lane and row, vec4 accumulators per lane and head.
override DW: u32 = HEAD_DIM / WIDE;
override KW: u32 = DW / TG;
override AW: u32 = KW * (WIDE / 4u);
override Q_LEN: u32 = GH * D4;
override R_LEN: u32 = SLOTS * D4;
override M_LEN: u32 = GH * MAXSG;

// Params, the input bindings and row_base: decode-io.wgsl, prepended by buildDecodeWgsl.
@group(0) @binding(4) var<storage, read_write> o_part: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> ml_part: array<vec2<f32>>;

var<workgroup> q_sh: array<vec4<f32>, Q_LEN>;
// The slots' output quarters of one head, [slot][D4], and their sums.
var<workgroup> red_o: array<vec4<f32>, R_LEN>;
var<workgroup> red_l: array<f32, SLOTS>;
var<workgroup> red_m: array<f32, M_LEN>;

// K and V Wides of one step for one lane: KU keys (k0 + u SLOTS + slot), KW Wides each (lane,
// lane + TG, ...); keys at or past cnt load as zero.
struct Rows {
  k: array<Wide, MAXKU * MAXKW>,
  v: array<Wide, MAXKU * MAXKW>,
}

fn load_rows(kvh: u32, start: u32, cnt: u32, k0: u32, slot: u32, lane: u32) -> Rows {
  var r: Rows;
  for (var u = 0u; u < KU; u++) {
    let kk = k0 + u * SLOTS + slot;
    for (var i = 0u; i < KW; i++) {
      r.k[u * MAXKW + i] = Wide();
      r.v[u * MAXKW + i] = Wide();
    }
    if (kk < cnt) {
      let base = row_base(kvh, start + kk) + lane;
      for (var i = 0u; i < KW; i++) {
        r.k[u * MAXKW + i] = k[base + TG * i];
        r.v[u * MAXKW + i] = v[base + TG * i];
      }
    }
  }
  return r;
}

// vec4 column (of D4) held by accumulator a of a lane: Wides lane, lane + TG, ... split in fours.
fn col4(lane: u32, a: u32) -> u32 {
  return (lane + TG * (a / (WIDE / 4u))) * (WIDE / 4u) + a % (WIDE / 4u);
}

// Head g of the workgroup: every slot's sums rescaled to the workgroup maximum (from red_m), summed
// per column over the slots, written as the chunk's partial. Barriers inside: call in uniform control flow.
fn merge_head(g: u32, h0: u32, split: u32, t: u32, slot: u32, lane: u32, nsg: u32, m: f32, l: f32, part: array<vec4<f32>, MAXAW>) {
  var mt = NEG;
  for (var i = 0u; i < nsg; i++) {
    mt = max(mt, red_m[g * MAXSG + i]);
  }
  let c = exp2(m - mt);
  workgroupBarrier();
  for (var a = 0u; a < AW; a++) {
    red_o[slot * D4 + col4(lane, a)] = part[a] * c;
  }
  if (lane == 0u) {
    red_l[slot] = l * c;
  }
  workgroupBarrier();
  let h = h0 + g;
  for (var col = t; col < D4; col += WG) {
    var o = vec4<f32>(0.0);
    for (var sl = 0u; sl < SLOTS; sl++) {
      o += red_o[sl * D4 + col];
    }
    o_part[(split * params.heads + h) * D4 + col] = o;
  }
  if (t == WG - 1u) {
    var lt = 0.0;
    for (var sl = 0u; sl < SLOTS; sl++) {
      lt += red_l[sl];
    }
    ml_part[split * params.heads + h] = vec2<f32>(mt, lt);
  }
}

@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_index) t: u32,
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(subgroup_invocation_id) sg_lane: u32,
  @builtin(subgroup_size) sg_size: u32,
) {
  let per_kv = params.group / GH;
  let split = wg.x / per_kv;
  let kvh = wg.y;
  let h0 = kvh * params.group + (wg.x % per_kv) * GH;
  let start = split * CHUNK;
  let cnt = min(CHUNK, params.l - start);
  let lane = sg_lane % TG;
  let slot = t / TG;

  for (var e = t; e < Q_LEN; e += WG) {
    q_sh[e] = unpack_quad(q[h0 * D4 + e]) * params.scale;
  }
  workgroupBarrier();

  var m: array<f32, MAXG>;
  var l: array<f32, MAXG>;
  var acc: array<vec4<f32>, MAXG * MAXAW>;
  for (var g = 0u; g < GH; g++) {
    m[g] = NEG;
    l[g] = 0.0;
  }
  var rows = load_rows(kvh, start, cnt, 0u, slot, lane);
  for (var k0 = 0u; k0 < cnt; k0 += KU * SLOTS) {
    var next: Rows;
    if (PREFETCH) {
      next = load_rows(kvh, start, cnt, k0 + KU * SLOTS, slot, lane);
    }
    // Scores: this lane's quarter of each dot product (one q read serves KU keys), summed over the quad.
    var s: array<f32, MAXKU * MAXG>;
    for (var e = 0u; e < KU * MAXG; e++) {
      s[e] = 0.0;
    }
    for (var i = 0u; i < KW; i++) {
      for (var sub = 0u; sub < WIDE / 4u; sub++) {
        var kv4: array<vec4<f32>, MAXKU>;
        for (var u = 0u; u < KU; u++) {
          kv4[u] = unpack_wide(rows.k[u * MAXKW + i], sub);
        }
        for (var g = 0u; g < GH; g++) {
          let qv = q_sh[g * D4 + (lane + TG * i) * (WIDE / 4u) + sub];
          for (var u = 0u; u < KU; u++) {
            s[u * MAXG + g] += dot(qv, kv4[u]);
          }
        }
      }
    }
    // Online softmax per head; the 4 lanes of a slot hold bit-identical scores, so they branch alike.
    var p: array<f32, MAXKU * MAXG>;
    for (var g = 0u; g < GH; g++) {
      var mx = m[g];
      for (var u = 0u; u < KU; u++) {
        var x = s[u * MAXG + g];
        x += subgroupShuffleXor(x, 1u);
        x += subgroupShuffleXor(x, 2u);
        s[u * MAXG + g] = x;
        if (k0 + u * SLOTS + slot < cnt) {
          mx = max(mx, x);
        }
      }
      if (mx > m[g] + TAU) {
        let c = exp2(m[g] - mx);
        l[g] *= c;
        for (var a = 0u; a < AW; a++) {
          acc[g * MAXAW + a] *= c;
        }
        m[g] = mx;
      }
      for (var u = 0u; u < KU; u++) {
        let pu = select(0.0, exp2(s[u * MAXG + g] - m[g]), k0 + u * SLOTS + slot < cnt);
        p[u * MAXG + g] = pu;
        l[g] += pu;
      }
    }
    for (var i = 0u; i < KW; i++) {
      for (var sub = 0u; sub < WIDE / 4u; sub++) {
        let a = i * (WIDE / 4u) + sub;
        for (var u = 0u; u < KU; u++) {
          let vv = unpack_wide(rows.v[u * MAXKW + i], sub);
          for (var g = 0u; g < GH; g++) {
            acc[g * MAXAW + a] = fma(vec4<f32>(p[u * MAXG + g]), vv, acc[g * MAXAW + a]);
          }
        }
      }
    }
    if (PREFETCH) {
      rows = next;
    } else if (k0 + KU * SLOTS < cnt) {
      rows = load_rows(kvh, start, cnt, k0 + KU * SLOTS, slot, lane);
    }
  }

  // Merge the slots: the workgroup maximum per head (subgroups, then across them), then each head's
  // slot sums rescaled to it and summed per column through workgroup memory.
  for (var g = 0u; g < GH; g++) {
    let mg = subgroupMax(m[g]);
    if (sg_lane == 0u) {
      red_m[g * MAXSG + t / sg_size] = mg;
    }
  }
  workgroupBarrier();
  // One call per head with constant indices into the register arrays: a loop over heads around the
  // barriers inside could stay rolled, and an array indexed by its counter would leave registers.
  var part: array<vec4<f32>, MAXAW>;
  for (var a = 0u; a < AW; a++) {
    part[a] = acc[a];
  }
  merge_head(0u, h0, split, t, slot, lane, WG / sg_size, m[0], l[0], part);
  if (GH > 1u) {
    for (var a = 0u; a < AW; a++) {
      part[a] = acc[MAXAW + a];
    }
    merge_head(1u, h0, split, t, slot, lane, WG / sg_size, m[1], l[1], part);
  }
  if (GH > 2u) {
    for (var a = 0u; a < AW; a++) {
      part[a] = acc[2u * MAXAW + a];
    }
    merge_head(2u, h0, split, t, slot, lane, WG / sg_size, m[2], l[2], part);
  }
  if (GH > 3u) {
    for (var a = 0u; a < AW; a++) {
      part[a] = acc[3u * MAXAW + a];
    }
    merge_head(3u, h0, split, t, slot, lane, WG / sg_size, m[3], l[3], part);
  }
}
