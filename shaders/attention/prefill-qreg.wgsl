// Causal grouped-query prefill attention, FlashAttention-2 style with Q in registers: one workgroup
// owns BR query rows of one head; each row belongs to TX = 4 or 8 adjacent invocations, each holding
// 1/TX of the row's q and O (vec4 columns x, x + TX, x + 2 TX, ...) in registers. Workgroup memory
// then holds only K and V blocks of BC = 32 keys (32 KB at d = 128, f32), so a 32-key block costs 2
// barriers (the staged kernel, with its Q tile in workgroup memory, needs 8 stages and 16).
//   Q, O: [N, heads, d]; K, V: [kv_heads, N, d] (as prefill-tiled.wgsl).
// Scores: each invocation takes the partial dot product over its columns, the TX lanes sum them with
// log2(TX) subgroup shuffles (every subgroup size WebGPU allows is a multiple of 4; TX = 8 needs
// subgroups of 8 or more, chosen in TypeScript from the adapter's minimum), so all lanes of a row hold
// the full score and run the same online softmax (in f32, base 2) on it without further exchange.
// Each K or V vec4 read from workgroup memory feeds RPT rows: TX = 8 with 4 rows halves those reads
// per FMA against TX = 4 with 2 rows, at the same registers (q and O: 2 RPT D4 / TX vec4).
// The softmax is updated every KB = 8 keys, with a lazy maximum: a row rescales l and O only when a
// score exceeds its running maximum by more than TAU (base 2; exact for any maximum, p <= 2^TAU).
// Prepended by dtype-f32.wgsl or dtype-f16.wgsl.
enable subgroups;
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

const BC: u32 = 32u;
const KB: u32 = 8u;
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

// K and V blocks as rows [BC][D4]: a quad reads 4 adjacent vec4 of one key (64 B, no bank conflict),
// and the 8 quads of a 32-wide subgroup read the same key (a broadcast).
var<workgroup> k_sh: array<vec4<f32>, KV_LEN>;
var<workgroup> v_sh: array<vec4<f32>, KV_LEN>;

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
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let n = params.n;
  let tiles = (n + BR - 1u) / BR;
  // Last tiles first: under the causal mask their rows see the most keys, so the long workgroups
  // start early and the short ones fill the tail.
  let tile = tiles - 1u - wg.x;
  let h = wg.y;
  let kv_base = (h / params.group) * n;
  let q0 = tile * BR;
  let x = t % TX;
  let ty = t / TX;

  var qr: array<vec4<f32>, MAXR * MAXNC>;
  var acc: array<vec4<f32>, MAXR * MAXNC>;
  var m: array<f32, MAXR>;
  var l: array<f32, MAXR>;
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
  for (var k0 = 0u; k0 < kend; k0 += BC) {
    workgroupBarrier();
    if (!PREFETCH) {
      pre = load_block(k0, t, kv_base, n);
    }
    for (var u = 0u; u < LU; u++) {
      let e = t + u * WG;
      if (e < KV_LEN) {
        k_sh[e] = unpack_quad(pre[u]);
      } else {
        v_sh[e - KV_LEN] = unpack_quad(pre[u]);
      }
    }
    if (PREFETCH && k0 + BC < kend) {
      pre = load_block(k0 + BC, t, kv_base, n);
    }
    workgroupBarrier();

    let jend = min(BC, kend - k0);
    for (var j0 = 0u; j0 < jend; j0 += KB) {
      // Partial scores over this invocation's columns, then the quad's sum.
      var s: array<f32, MAXR * KB>;
      for (var j = 0u; j < KB; j++) {
        var kv: array<vec4<f32>, MAXNC>;
        for (var c = 0u; c < NC; c++) {
          kv[c] = k_sh[(j0 + j) * D4 + x + TX * c];
        }
        for (var r = 0u; r < RPT; r++) {
          var d = 0.0;
          for (var c = 0u; c < NC; c++) {
            d += dot(qr[r * MAXNC + c], kv[c]);
          }
          s[r * KB + j] = d;
        }
      }
      for (var e = 0u; e < RPT * KB; e++) {
        s[e] += subgroupShuffleXor(s[e], 1u);
        s[e] += subgroupShuffleXor(s[e], 2u);
        if (TX > 4u) {
          s[e] += subgroupShuffleXor(s[e], 4u);
        }
      }
      // Online softmax: causal mask, lazy row maximum (l and O rescaled only when it moves by more
      // than TAU; the lanes of a row hold bit-identical scores, so they branch alike), probabilities into s.
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
      // O += P . V over the KB keys.
      for (var j = 0u; j < KB; j++) {
        for (var c = 0u; c < NC; c++) {
          let vv = v_sh[(j0 + j) * D4 + x + TX * c];
          for (var r = 0u; r < RPT; r++) {
            acc[r * MAXNC + c] = fma(vec4<f32>(s[r * KB + j]), vv, acc[r * MAXNC + c]);
          }
        }
      }
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
