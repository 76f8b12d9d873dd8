// Causal grouped-query prefill attention, FlashAttention-2 style with Q in registers: one workgroup
// owns BR query rows of one head; each row belongs to TX = 4 or 8 adjacent invocations, each holding
// 1/TX of the row's q and O (vec4 columns x, x + TX, x + 2 TX, ...) in registers. Workgroup memory
// then holds only K and V blocks of BC = 32 (or 16) keys (32 KB at d = 128, f32), so a 32-key block costs 2
// barriers (the staged kernel, with its Q tile in workgroup memory, needs 8 stages and 16).
//   Q, O: [N, heads, d]; K, V: [kv_heads, N, d] (as prefill-tiled.wgsl).
// Scores: each invocation takes the partial dot product over its columns, the TX lanes sum them with
// log2(TX) subgroup shuffles (every subgroup size WebGPU allows is a multiple of 4; TX = 8 needs
// subgroups of 8 or more, chosen in TypeScript from the adapter's minimum), so all lanes of a row hold
// the full score and run the same online softmax (in f32, base 2) on it without further exchange.
// Each K or V vec4 read from workgroup memory feeds RPT rows: TX = 8 with 4 rows halves those reads
// per FMA against TX = 4 with 2 rows, at the same registers (q and O: 2 RPT D4 / TX vec4).
// The softmax is updated every KB keys, with a lazy maximum: a row rescales l and O only when a
// score exceeds its running maximum by more than TAU (base 2; exact for any maximum, p <= 2^TAU).
// With RS (session 3) the TX lanes reduce-scatter their RPT * KB partial scores instead of all-reducing
// them (log2(TX) rounds sending half the values left, not every value every round), so each lane
// holds NV = RPT * KB / TX full scores of one row and masks and exponentiates only those (1/TX of
// the exp2); the row maxima are exchanged, and the probabilities all-gathered back for P . V.
// Per 8 keys and lane (TX = 8, 4 rows): 1024 FMAs, 64 vec4 workgroup loads and 56 + 5 shuffles,
// against 96 shuffles all-reduced. On the H100 (N = 4096 f32) RS took 6.24 to 5.47 ms, VOTE and
// DOTFMA (below) to 5.21 (bench/notes/attention.md, session 3).
// Prepended by dtype-f32.wgsl or dtype-f16.wgsl, then prefill-io.wgsl (parameters, bindings): buildPrefillWgsl.
enable subgroups;
// VOTE: shuffles run under a branch on subgroupAny, uniform across the subgroup, which WGSL's
// uniformity analysis (workgroup-level) does not know.
diagnostic(off, subgroup_uniformity);
override HEAD_DIM: u32 = 128u;
// Rows per invocation (1, 2 or 4), invocations per workgroup (128 or 256), lanes per row (4 or 8):
// BR = WG / TX * RPT rows.
override RPT: u32 = 2u;
override WG: u32 = 128u;
override TX: u32 = 4u;
// Rescale threshold of the lazy maximum (log2 units); 0 is the plain online softmax.
override TAU: f32 = 8.0;
// Whether the next block's global loads are issued before the current block is computed (register
// prefetch: 2 BC D4 / WG quads per invocation, 64 registers for f32 at WG = 128). Without it the
// loads follow the first barrier of each block and other workgroups on the SM hide their latency.
override PREFETCH: bool = true;
// Keys per softmax step (4, 8 or 16; RPT * KB <= MAXR * MAXKB).
override KB: u32 = 8u;
// Reduce-scatter of the partial scores, per-lane softmax, all-gather of the probabilities (above).
// Every step of a block then runs (masked past the tile or N): a constant step count, and the lazy
// rescale takes one branch per step for all the rows of an invocation. (That alone, without the
// reduce-scatter, measured no change: 6.38 vs 6.41 ms, session 3 call 1.)
override RS: bool = false;
// RS: software pipelining. A step's probabilities are multiplied into O during the next step, in the
// same straight-line code as that step's score FMAs and reduce-scatter (before its rescale branch), so
// the latency chain of shuffles and exp2 of one step overlaps the FMAs of another. V blocks are then
// double-buffered (the last step of a block is finished during the first of the next): 48 KB at
// d = 128 in f32. Measured no faster on the H100 with 8 lanes (5.53 vs 5.50 ms, 5.28 vs 5.21 with
// VOTE and DOTFMA), faster with 4 lanes x 2 rows (6.10 with VOTE and DOTFMA vs 6.53 for RS alone).
override PIPE: bool = false;
// Partial scores as a chain of 4 scalar FMAs per vec4 instead of d += dot(q, k) (a multiply, 3 FMAs and
// an add unless the compiler reassociates, which IEEE order forbids): 4% faster on the H100.
override DOTFMA: bool = false;
// RS: the row maxima are exchanged only in steps where a subgroup vote finds one that moved (below):
// 3% faster on the H100.
override VOTE: bool = false;
// Grid order: (tiles, heads) by default, (heads, tiles) when true (main).
override HEADS_FIRST: bool = false;

// Keys per K/V block (16 or 32; a multiple of KB). Session 3 (helper falit): on this stack two
// workgroups share an SM only while their workgroup memory fits 48 KiB together (bench/notes/gemm.md,
// session 3, tc), so 16-key blocks (16 KiB at d = 128, f32; 24 KiB with PIPE) with 128 invocations let
// 2-3 workgroups share an SM where 32-key blocks (32 / 48 KiB) allow one.
override BC: u32 = 32u;
const MAXKB: u32 = 16u;
// Register arrays are sized for the largest specialization (RPT <= 4, HEAD_DIM <= 128; RPT * NC <= 16
// in the configurations listed in TypeScript).
const MAXR: u32 = 4u;
const MAXNC: u32 = 8u;
// Quads of the next block each invocation loads ahead (2 BC D4 / WG <= 16).
const MAXLU: u32 = 16u;
// Masked scores: a finite sentinel, since WGSL lets implementations assume no infinities.
const NEG: f32 = -1e30;

override TY: u32 = WG / TX;
override BR: u32 = TY * RPT;
override D4: u32 = HEAD_DIM / 4u;
// vec4 columns per invocation.
override NC: u32 = D4 / TX;
override KV_LEN: u32 = BC * D4;
override LU: u32 = 2u * KV_LEN / WG;
// Softmax steps per block.
override NS: u32 = BC / KB;
// RS: full scores per lane after the reduce-scatter, lanes per row (RPT <= TX).
override NV: u32 = RPT * KB / TX;
override LPR: u32 = TX / RPT;

// K and V blocks as rows [BC][D4]: a quad reads 4 adjacent vec4 of one key (64 B, no bank conflict),
// and the 8 quads of a 32-wide subgroup read the same key (a broadcast).
override VS_LEN: u32 = select(1u, 2u, PIPE) * KV_LEN;
var<workgroup> k_sh: array<vec4<f32>, KV_LEN>;
var<workgroup> v_sh: array<vec4<f32>, VS_LEN>;

// One reduce-scatter exchange: the lane keeps `hi` if `up` else `lo`, sends the other to its partner
// across mask b and adds what the partner sent.
fn keep_add(lo: f32, hi: f32, up: bool, b: u32) -> f32 {
  return select(lo, hi, up) + subgroupShuffleXor(select(hi, lo, up), b);
}

// Entry r of a per-row array without indexing by a lane-dependent r (which may put it in local memory).
fn row_of(a: array<f32, MAXR>, r: u32) -> f32 {
  var v = a[0];
  for (var i = 1u; i < RPT; i++) {
    v = select(v, a[i], i == r);
  }
  return v;
}

// RS: the all-gather, the rounds of the reduce-scatter in reverse: from the NV probabilities of lane x
// (the first NV entries of v) to the row group's RPT * KB, indexed r * KB + j as the scores were.
fn all_gather(v: array<f32, MAXR * MAXKB>, x: u32) -> array<f32, MAXR * MAXKB> {
  var s = v;
  for (var e = 0u; e < NV; e++) {
    let mine = s[e];
    let other = subgroupShuffleXor(mine, 1u);
    s[e] = select(mine, other, (x & 1u) != 0u);
    s[e + NV] = select(other, mine, (x & 1u) != 0u);
  }
  for (var e = 0u; e < 2u * NV; e++) {
    let mine = s[e];
    let other = subgroupShuffleXor(mine, 2u);
    s[e] = select(mine, other, (x & 2u) != 0u);
    s[e + 2u * NV] = select(other, mine, (x & 2u) != 0u);
  }
  if (TX > 4u) {
    for (var e = 0u; e < RPT * KB / 2u; e++) {
      let mine = s[e];
      let other = subgroupShuffleXor(mine, 4u);
      s[e] = select(mine, other, (x & 4u) != 0u);
      s[e + RPT * KB / 2u] = select(other, mine, (x & 4u) != 0u);
    }
  }
  return s;
}

// O += P . V over the KB keys of step st of V buffer buf (0 without PIPE), for lane x of its row.
// Workgroup-memory indices that Tint's range analysis can bound need no run-time clamp from Dawn's
// robustness transform, which otherwise adds a min per load (and may keep the driver from folding
// constant offsets into the loads): 5.34 -> 5.05 ms on the H100, session 3 falit. A function
// parameter has no known range, so buf, st and x are reduced here modulo their counts (constants after
// override substitution; powers of two, a mask), once per call.
fn add_pv(acc: ptr<function, array<vec4<f32>, MAXR * MAXNC>>, s: array<f32, MAXR * MAXKB>, buf: u32, st: u32, xp: u32) {
  let x = xp % TX;
  let vb = (buf % (VS_LEN / KV_LEN)) * KV_LEN + (st % NS) * KB * D4;
  for (var j = 0u; j < KB; j++) {
    for (var c = 0u; c < NC; c++) {
      let vv = v_sh[vb + j * D4 + x + TX * c];
      for (var r = 0u; r < RPT; r++) {
        (*acc)[r * MAXNC + c] = fma(vec4<f32>(s[r * KB + j]), vv, (*acc)[r * MAXNC + c]);
      }
    }
  }
}

// Global loads of the block at k0: quad e of the block is K row e / D4 for e < KV_LEN, else V;
// consecutive invocations read consecutive quads (coalesced). Rows at or past n load as zero.
fn load_block(k0: u32, t: u32, kv_base: u32, n: u32) -> array<Quad, MAXLU> {
  var x: array<Quad, MAXLU>;
  for (var u = 0u; u < LU; u++) {
    let e = t + u * WG;
    let kv = e >= KV_LEN;
    let f = select(e, e - KV_LEN, kv);
    let j = k0 + f / D4;
    x[u] = Quad();
    if (j < n) {
      let a = (kv_base + j) * D4 + f % D4;
      if (kv) {
        x[u] = v[a];
      } else {
        x[u] = k[a];
      }
    }
  }
  return x;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(subgroup_invocation_id) sg: u32) {
  let n = params.n;
  let tiles = (n + BR - 1u) / BR;
  // Last tiles first: under the causal mask their rows see the most keys, so the long workgroups
  // start early and the short ones fill the tail. HEADS_FIRST: the grid is (heads, tiles), numbered
  // heads fastest, so every head's heaviest tile precedes any lighter tile (not only within a head).
  let tile = tiles - 1u - select(wg.x, wg.y, HEADS_FIRST);
  let h = select(wg.y, wg.x, HEADS_FIRST);
  let kv_base = (h / params.group) * n;
  let q0 = tile * BR;
  let x = t % TX;
  let ty = t / TX;

  var qr: array<vec4<f32>, MAXR * MAXNC>;
  var acc: array<vec4<f32>, MAXR * MAXNC>;
  var m: array<f32, MAXR>;
  var l: array<f32, MAXR>;
  // RS: the lane's row (of the RPT), its first key in a step, the subgroup lane of its row group's
  // lane 0 (a row group is TX adjacent lanes of one subgroup, as the XOR shuffles assume), and its
  // part of its row's l (summed over the row's LPR lanes at the end).
  let rl = x / LPR;
  let jl = (x % LPR) * NV;
  let lane0 = sg - x;
  var lp = 0.0;
  for (var r = 0u; r < RPT; r++) {
    let i = q0 + ty + TY * r;
    for (var c = 0u; c < NC; c++) {
      qr[r * MAXNC + c] = vec4<f32>(0.0);
      acc[r * MAXNC + c] = vec4<f32>(0.0);
      if (i < n) {
        qr[r * MAXNC + c] = unpack_quad(q[(i * params.heads + h) * D4 + x + TX * c]) * params.scale;
      }
    }
    m[r] = NEG;
    l[r] = 0.0;
  }

  // Keys beyond the tile's last row are masked for every row: stop there. The next block's global
  // loads are issued before the current block is computed (PREFETCH), so their latency hides behind it.
  let kend = min(n, q0 + BR);
  var pre: array<Quad, MAXLU>;
  if (PREFETCH) {
    pre = load_block(0u, t, kv_base, n);
  }
  // PIPE: the previous step's probabilities (NV per lane, zero before the first) and its V rows.
  var pp: array<f32, MAXR * MAXKB>;
  var pbuf = 0u;
  var pst = 0u;
  for (var k0 = 0u; k0 < kend; k0 += BC) {
    let vbit = select(0u, (k0 / BC) % 2u, PIPE);
    let vbuf = vbit * KV_LEN;
    workgroupBarrier();
    if (!PREFETCH) {
      pre = load_block(k0, t, kv_base, n);
    }
    for (var u = 0u; u < LU; u++) {
      let e = t + u * WG;
      if (e < KV_LEN) {
        k_sh[e] = unpack_quad(pre[u]);
      } else {
        v_sh[vbuf + e - KV_LEN] = unpack_quad(pre[u]);
      }
    }
    if (PREFETCH && k0 + BC < kend) {
      pre = load_block(k0 + BC, t, kv_base, n);
    }
    workgroupBarrier();

    // Steps counted from 0 by 1 to a constant, so Tint can bound the K and V indices (add_pv).
    let jend = select(min(BC, kend - k0), BC, RS);
    for (var st = 0u; st < NS; st++) {
      let j0 = st * KB;
      if (j0 >= jend) {
        break;
      }
      // Partial scores over this invocation's columns.
      var s: array<f32, MAXR * MAXKB>;
      for (var j = 0u; j < KB; j++) {
        var kv: array<vec4<f32>, MAXNC>;
        for (var c = 0u; c < NC; c++) {
          kv[c] = k_sh[(j0 + j) * D4 + x + TX * c];
        }
        for (var r = 0u; r < RPT; r++) {
          var d = 0.0;
          for (var c = 0u; c < NC; c++) {
            let a = qr[r * MAXNC + c];
            if (DOTFMA) {
              d = fma(a.x, kv[c].x, d);
              d = fma(a.y, kv[c].y, d);
              d = fma(a.z, kv[c].z, d);
              d = fma(a.w, kv[c].w, d);
            } else {
              d += dot(a, kv[c]);
            }
          }
          s[r * KB + j] = d;
        }
      }
      if (PIPE) {
        // The previous step's P . V (its V possibly in the other buffer), before this step's rescale.
        add_pv(&acc, all_gather(pp, x), pbuf, pst, x);
      }
      if (RS) {
        // Reduce-scatter over the TX lanes: in the round with mask b the lane keeps the half of its
        // values selected by its bit b and adds the partner's copy of that half, so lane x ends with
        // the full scores e = x * NV + e' (e' < NV), i.e. row rl, keys jl .. jl + NV - 1. The rounds are
        // written out so every index is a constant after unrolling (a loop-carried count put s in
        // local memory: 42-49 ms on the H100, session 3 call 1).
        if (TX > 4u) {
          for (var e = 0u; e < RPT * KB / 2u; e++) {
            s[e] = keep_add(s[e], s[e + RPT * KB / 2u], (x & 4u) != 0u, 4u);
          }
        }
        for (var e = 0u; e < 2u * NV; e++) {
          s[e] = keep_add(s[e], s[e + 2u * NV], (x & 2u) != 0u, 2u);
        }
        for (var e = 0u; e < NV; e++) {
          s[e] = keep_add(s[e], s[e + NV], (x & 1u) != 0u, 1u);
        }
        // Causal mask and the row's maximum over its LPR lanes.
        let i = q0 + ty + TY * rl;
        var mx = NEG;
        for (var e = 0u; e < NV; e++) {
          let kj = k0 + j0 + jl + e;
          s[e] = select(NEG, s[e], kj <= i && kj < n);
          mx = max(mx, s[e]);
        }
        // VOTE: the maxima are exchanged only when a lane of the subgroup sees a score above its row's
        // running maximum + TAU (one vote instead of 1 + RPT shuffles per step, once the maxima settle).
        var mo = row_of(m, rl);
        var go = true;
        if (VOTE) {
          go = subgroupAny(mx > mo + TAU);
        }
        if (go) {
          if (LPR > 1u) {
            mx = max(mx, subgroupShuffleXor(mx, 1u));
          }
          if (LPR > 2u) {
            mx = max(mx, subgroupShuffleXor(mx, 2u));
          }
          // Every lane takes every row's maximum, so all lanes of a row group decide alike.
          var g: array<f32, MAXR>;
          var need = false;
          for (var r = 0u; r < RPT; r++) {
            g[r] = subgroupShuffle(mx, lane0 + r * LPR);
            need = need || g[r] > m[r] + TAU;
          }
          if (need) {
            for (var r = 0u; r < RPT; r++) {
              let mn = select(m[r], g[r], g[r] > m[r] + TAU);
              let alpha = exp2(m[r] - mn);
              m[r] = mn;
              lp *= select(1.0, alpha, r == rl);
              for (var c2 = 0u; c2 < NC; c2++) {
                acc[r * MAXNC + c2] *= alpha;
              }
            }
            mo = row_of(m, rl);
          }
        }
        for (var e = 0u; e < NV; e++) {
          let p = select(0.0, exp2(s[e] - mo), s[e] > 0.5 * NEG);
          s[e] = p;
          lp += p;
        }
        if (PIPE) {
          pp = s;
          pbuf = vbit;
          pst = st;
        } else {
          s = all_gather(s, x);
        }
      } else {
        // The row's sum over its TX lanes: every lane holds the full scores.
        for (var e = 0u; e < RPT * KB; e++) {
          s[e] += subgroupShuffleXor(s[e], 1u);
          s[e] += subgroupShuffleXor(s[e], 2u);
          if (TX > 4u) {
            s[e] += subgroupShuffleXor(s[e], 4u);
          }
        }
        // Online softmax: causal mask, lazy row maximum (l and O rescaled only when it moves by more
        // than TAU; the lanes of a row hold bit-identical scores, so they branch alike), probabilities
        // into s.
        for (var r = 0u; r < RPT; r++) {
          let i = q0 + ty + TY * r;
          var mx = m[r];
          for (var j = 0u; j < KB; j++) {
            let kj = k0 + j0 + j;
            s[r * KB + j] = select(NEG, s[r * KB + j], kj <= i && kj < n);
            mx = max(mx, s[r * KB + j]);
          }
          if (mx > m[r] + TAU) {
            let alpha = exp2(m[r] - mx);
            m[r] = mx;
            l[r] *= alpha;
            for (var c = 0u; c < NC; c++) {
              acc[r * MAXNC + c] *= alpha;
            }
          }
          var ls = l[r];
          for (var j = 0u; j < KB; j++) {
            let x2 = s[r * KB + j];
            let p = select(0.0, exp2(x2 - m[r]), x2 > 0.5 * NEG);
            s[r * KB + j] = p;
            ls += p;
          }
          l[r] = ls;
        }
      }
      if (!PIPE) {
        add_pv(&acc, s, vbit, st, x);
      }
    }
  }

  if (PIPE) {
    add_pv(&acc, all_gather(pp, x), pbuf, pst, x);
  }
  if (RS) {
    // Each row's l is the sum of its LPR lanes' parts; every lane takes those of its RPT rows.
    if (LPR > 1u) {
      lp += subgroupShuffleXor(lp, 1u);
    }
    if (LPR > 2u) {
      lp += subgroupShuffleXor(lp, 2u);
    }
    for (var r = 0u; r < RPT; r++) {
      l[r] = subgroupShuffle(lp, lane0 + r * LPR);
    }
  }
  for (var r = 0u; r < RPT; r++) {
    let i = q0 + ty + TY * r;
    if (i < n) {
      for (var c = 0u; c < NC; c++) {
        o[(i * params.heads + h) * D4 + x + TX * c] = pack_quad(acc[r * MAXNC + c] / l[r]);
      }
    }
  }
}
