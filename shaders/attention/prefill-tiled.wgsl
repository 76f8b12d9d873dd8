// Causal grouped-query prefill attention, FlashAttention-2 style: one workgroup owns BR query rows
// of one head, keeps its Q tile in workgroup memory and streams K and V in blocks of BC keys with an
// online softmax, so the N x N score matrix never exists in device memory.
//   Q, O: [N, heads, d] (the projection layout); K, V: [kv_heads, N, d] (the KV cache layout).
// WG invocations as TY = WG/8 row groups (ty) x 8 column groups (tx): each owns RPT rows (ty,
// ty + TY, ...), 4 keys of the score block and HEAD_DIM/32 vec4 columns of O. Prepended by dtype-f32.wgsl or dtype-f16.wgsl, then prefill-io.wgsl: buildPrefillWgsl.
override HEAD_DIM: u32 = 128u;
// Rows per invocation and invocations per workgroup (128 or 256): BR = WG/8 * RPT rows per
// workgroup, autotuned among the shapes whose workgroup memory fits (BR = 64 takes 48 KB at d=128).
override RPT: u32 = 4u;
override WG: u32 = 128u;

const BC: u32 = 32u;
// Register tiles are sized for the largest specialization (RPT <= 4, HEAD_DIM <= 128).
const MAXR: u32 = 4u;
const MAXC: u32 = 4u;
// Masked scores: a finite sentinel, since WGSL lets implementations assume no infinities.
const NEG: f32 = -1e30;

override TY: u32 = WG / 8u;
override BR: u32 = TY * RPT;
// Stage quads per invocation (a stage is 256 quads).
override SU: u32 = 256u / WG;
override D4: u32 = HEAD_DIM / 4u;
// vec4 columns of O per invocation (8 invocations across a row).
override OC: u32 = HEAD_DIM / 32u;
// Keys per V stage: the 4 KB stage holds VK rows of HEAD_DIM.
override VK: u32 = 256u / D4;
// Row strides padded by one vec4: the 4 row groups of a warp then read 4 distinct bank quads of
// Q and P instead of one (a 4-way conflict).
override QS: u32 = D4 + 1u;
const PS: u32 = 9u;
override Q_LEN: u32 = BR * QS;
override P_LEN: u32 = BR * PS;
override RED_LEN: u32 = BR * 8u;
// Stages per block: SK chunks of K, then SV chunks of V.
override SK: u32 = HEAD_DIM / 32u;
override NST: u32 = SK + BC / VK;

var<workgroup> q_sh: array<vec4<f32>, Q_LEN>;
// K chunk transposed as [32 dims][32 keys] (kt[d * 8 + key / 4][key % 4]), or V chunk as [VK keys][D4].
var<workgroup> stage: array<vec4<f32>, 256>;
// Probabilities of the current block, [BR rows][32 keys].
var<workgroup> p_sh: array<vec4<f32>, P_LEN>;
// Per-row partials of the 8 column groups (block maxima, then final sums).
var<workgroup> red: array<f32, RED_LEN>;

// Global loads of stage `st` of the block at k0: SU quads per invocation (256 per stage).
// K stages (st < SK): keys k0 .. k0+31, dimensions 32 st .. 32 st + 31, consecutive invocations on
// consecutive keys (so the transposed stores below hit distinct banks). V stages: VK whole rows.
fn load_stage(st: u32, k0: u32, t: u32, kv_base: u32, n: u32) -> array<vec4<f32>, 2> {
  var x: array<vec4<f32>, 2>;
  for (var u = 0u; u < SU; u++) {
    let e = t + u * WG;
    x[u] = vec4<f32>(0.0);
    if (st < SK) {
      let j = k0 + e % 32u;
      if (j < n) {
        x[u] = unpack_quad(k[(kv_base + j) * D4 + st * 8u + e / 32u]);
      }
    } else {
      let j = k0 + (st - SK) * VK + e / D4;
      if (j < n) {
        x[u] = unpack_quad(v[(kv_base + j) * D4 + e % D4]);
      }
    }
  }
  return x;
}

// Writes a loaded stage: K transposed as kt[d * 8 + key / 4][key % 4], V as rows [VK][D4].
fn store_stage(st: u32, t: u32, x: array<vec4<f32>, 2>) {
  for (var u = 0u; u < SU; u++) {
    let e = t + u * WG;
    if (st < SK) {
      let key = e % 32u;
      let b = (e / 32u) * 32u + key / 4u;
      let c = key % 4u;
      stage[b][c] = x[u].x;
      stage[b + 8u][c] = x[u].y;
      stage[b + 16u][c] = x[u].z;
      stage[b + 24u][c] = x[u].w;
    } else {
      stage[e] = x[u];
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let n = params.n;
  let tiles = (n + BR - 1u) / BR;
  // Last tiles first: under the causal mask their rows see the most keys, so the long workgroups
  // start early and the short ones fill the tail.
  let tile = tiles - 1u - wg.x;
  let h = wg.y;
  let kvh = h / params.group;
  let q0 = tile * BR;
  let tx = t % 8u;
  let ty = t / 8u;
  let kv_base = kvh * n;

  for (var e = t; e < BR * D4; e += WG) {
    let row = e / D4;
    let i = q0 + row;
    var x = vec4<f32>(0.0);
    if (i < n) {
      x = unpack_quad(q[(i * params.heads + h) * D4 + e % D4]) * params.scale;
    }
    q_sh[row * QS + e % D4] = x;
  }

  var m: array<f32, MAXR>;
  var l: array<f32, MAXR>;
  var acc: array<array<vec4<f32>, MAXC>, MAXR>;
  for (var r = 0u; r < RPT; r++) {
    m[r] = NEG;
  }

  // Keys beyond the tile's last row are masked for every row: stop there. Each block of BC keys
  // passes through the stage in SK chunks of K (32 dimensions each) then SV chunks of V (VK keys);
  // the next stage's global loads are issued before the current stage is computed, so their
  // latency hides behind the arithmetic.
  let kend = min(n, q0 + BR);
  var pre = load_stage(0u, 0u, t, kv_base, n);
  for (var k0 = 0u; k0 < kend; k0 += BC) {
    var s: array<vec4<f32>, MAXR>;
    for (var r = 0u; r < RPT; r++) {
      s[r] = vec4<f32>(0.0);
    }
    for (var st = 0u; st < NST; st++) {
      workgroupBarrier();
      store_stage(st, t, pre);
      var nst = st + 1u;
      var nk0 = k0;
      if (nst == NST) {
        nst = 0u;
        nk0 = k0 + BC;
      }
      if (nk0 < kend) {
        pre = load_stage(nst, nk0, t, kv_base, n);
      }
      workgroupBarrier();

      if (st < SK) {
        // S block += Q tile . K chunkᵀ over dimensions 32 st .. 32 st + 31.
        let dc = st * 32u;
        for (var dd = 0u; dd < 32u; dd += 4u) {
          let ka = stage[dd * 8u + tx];
          let kb = stage[(dd + 1u) * 8u + tx];
          let kc = stage[(dd + 2u) * 8u + tx];
          let kd = stage[(dd + 3u) * 8u + tx];
          for (var r = 0u; r < RPT; r++) {
            let qv = q_sh[(ty + TY * r) * QS + (dc + dd) / 4u];
            s[r] = fma(vec4<f32>(qv.x), ka, fma(vec4<f32>(qv.y), kb, fma(vec4<f32>(qv.z), kc, fma(vec4<f32>(qv.w), kd, s[r]))));
          }
        }
        if (st == SK - 1u) {
          // Causal mask, then the block maximum of each row across its 8 column groups.
          let j0 = k0 + tx * 4u;
          let cols = vec4<u32>(j0, j0 + 1u, j0 + 2u, j0 + 3u);
          for (var r = 0u; r < RPT; r++) {
            let i = q0 + ty + TY * r;
            let valid = (cols <= vec4<u32>(i)) & (cols < vec4<u32>(n));
            s[r] = select(vec4<f32>(NEG), s[r], valid);
            red[(ty + TY * r) * 8u + tx] = max(max(s[r].x, s[r].y), max(s[r].z, s[r].w));
          }
          workgroupBarrier();
          for (var r = 0u; r < RPT; r++) {
            let row = ty + TY * r;
            var mx = m[r];
            for (var u = 0u; u < 8u; u++) {
              mx = max(mx, red[row * 8u + u]);
            }
            let alpha = exp2(m[r] - mx);
            m[r] = mx;
            let p = select(vec4<f32>(0.0), exp2(s[r] - vec4<f32>(mx)), s[r] > vec4<f32>(0.5 * NEG));
            // Each invocation keeps a partial row sum over its own columns; all share the row
            // maximum, so the partials are summed once at the end.
            l[r] = l[r] * alpha + (p.x + p.y + p.z + p.w);
            for (var c = 0u; c < OC; c++) {
              acc[r][c] *= alpha;
            }
            p_sh[row * PS + tx] = p;
          }
        }
      } else {
        // O += P . V chunk: keys vc .. vc + VK - 1 of the block.
        let vc = (st - SK) * VK;
        for (var kq = 0u; kq < VK; kq += 4u) {
          var pq: array<vec4<f32>, MAXR>;
          for (var r = 0u; r < RPT; r++) {
            pq[r] = p_sh[(ty + TY * r) * PS + (vc + kq) / 4u];
          }
          for (var c = 0u; c < OC; c++) {
            let va = stage[kq * D4 + tx + 8u * c];
            let vb = stage[(kq + 1u) * D4 + tx + 8u * c];
            let vcc = stage[(kq + 2u) * D4 + tx + 8u * c];
            let vd = stage[(kq + 3u) * D4 + tx + 8u * c];
            for (var r = 0u; r < RPT; r++) {
              acc[r][c] = fma(vec4<f32>(pq[r].x), va, fma(vec4<f32>(pq[r].y), vb, fma(vec4<f32>(pq[r].z), vcc, fma(vec4<f32>(pq[r].w), vd, acc[r][c]))));
            }
          }
        }
      }
    }
  }

  for (var r = 0u; r < RPT; r++) {
    red[(ty + TY * r) * 8u + tx] = l[r];
  }
  workgroupBarrier();
  for (var r = 0u; r < RPT; r++) {
    let row = ty + TY * r;
    let i = q0 + row;
    var lt = 0.0;
    for (var u = 0u; u < 8u; u++) {
      lt += red[row * 8u + u];
    }
    if (i < n) {
      for (var c = 0u; c < OC; c++) {
        o[(i * params.heads + h) * D4 + tx + 8u * c] = pack_quad(acc[r][c] / lt);
      }
    }
  }
}
