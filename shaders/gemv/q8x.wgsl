// Row-set GEMV with int8-quantized activations and integer dot products (llama.cpp's mmvq scheme),
// for int8 and int4 weights. A different numeric contract from every other GEMV kernel: X is first
// quantized to int8 in blocks of 32 with one f32 scale per block, and each block's dot product is an
// exact integer sum of dot4I8Packed (WGSL packed_4x8_integer_dot_product; DP4A on NVIDIA).
//
// Quantization of block j of X row b (elements 32j..32j+31, zero past the padded row):
//   amax = max |x|;  s = 127 / amax rounded toward zero to f32, by integer long division (inv_scale),
//   so every implementation gets the same bits (WGSL's f32 division may be off by 2.5 ULP);
//   q = round(x · s) (one correctly rounded f32 multiply, then round-half-to-even), |q| ≤ 127 because
//   s ≤ 127 / amax;  d = amax · f32(1/127) (one correctly rounded multiply);  S = Σ q over the
//   block's X vec4s 0, 2, 4, 6 (the elements that meet int4 low nibbles; int8 does not use S).
//   amax < 2^-119 (exponent field < 8: zero or nearly) gives s = 0, so q = 0.
//   The CPU twin is quantizeXBlock in src/kernels/gemv.ts.
// Sums per x block j and row r:
//   int8: Σ_k qw·qx exact in i32 (≤ 32·128·127), acc += d_x · isum; the row scale at the end.
//   int4: low nibbles as bytes 0..15 (w & 0x0F0F0F0F), high nibbles left in place and made signed
//         bytes 16·(nib − 8) by one XOR ((w & 0xF0F0F0F0) ^ 0x80808080: one LOP3 on NVIDIA, where a
//         shift and a mask took two), so a block gives 16·isum = 16·Σ_lo nib·qx + Σ_hi 16(nib − 8)·qx
//         − 128·S (the low nibbles' zero point, folded once per block by the piece holding its first
//         word), and acc += (d_w · d_x/16) · (16·isum): d_x/16 is exact, so this is (d_w · d_x) · isum
//         with the same roundings. Integer parts below 2^21, so exact in f32.
// X comes either from workgroup memory, quantized by every workgroup at its start (XQ = 1, fused: no
// second dispatch, K·1.25 B of workgroup memory, the work repeated per workgroup, which the grid-stride
// loop over row sets amortizes), or from buffers written by the quantize_x entry point dispatched
// before main in the same execution (XQ = 0); on the H100 the separate dispatch was the faster in 37
// of 38 cases (bench/notes/gemv.md), fusing costs X's f32 reads and the quantization in every
// workgroup. Lanes over pieces of PW words as in rowset.wgsl
// (pieces.wgsl: K loop, reduction); BT = 1, 4 or 8 batch columns per pass over W with the separate
// quantize pass (each column's X quantized as above; W read once per BT columns), BT = 1 when fused.
enable subgroups;
// subgroupAdd is reached by every lane of the workgroup after the K loop (nothing returns early except
// whole workgroups); the analysis cannot see that the K loop's lane-dependent trip count has ended.
diagnostic(off, subgroup_uniformity);

override XQ: u32 = 1u;  // 1: quantize X in workgroup memory (fused), 0: read quantize_x's buffers
override QV: u32 = 1u;  // vec2<u32> of quantized X per row (4 per block) held in workgroup memory
override QB: u32 = 1u;  // x blocks per row held in workgroup memory

struct QParams {
  qb: u32,  // x blocks of 32 per row
  qv: u32,  // vec2<u32> of quantized X per row (4 * qb)
}

@group(0) @binding(5) var<storage, read_write> gxq: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read_write> gxb: array<vec2<f32>>;
@group(0) @binding(7) var<uniform> qp: QParams;

// Quantized X row: vec2 v holds elements 8v..8v+3 (.x) and 8v+4..8v+7 (.y), byte j = element +j,
// so one int4 weight word's low and high nibbles meet .x and .y of the same vec2. (d, S) per block.
var<workgroup> sxq: array<vec2<u32>, QV>;
var<workgroup> sxb: array<vec2<f32>, QB>;

const NIB: u32 = 0x0F0F0F0Fu;
const HIN: u32 = 0xF0F0F0F0u;
const SIGN: u32 = 0x80808080u;
// f32(1/127), bits 0x3C010204.
const C127: f32 = bitcast<f32>(0x3C010204u);

/**
 * 127 / amax rounded toward zero to f32, by long division of 127·2^41 by amax's 24-bit significand:
 * only integer operations, so the result is the same everywhere (0 for amax < 2^-119).
 */
fn inv_scale(amax: f32) -> f32 {
  let bits = bitcast<u32>(amax);
  let e = bits >> 23u;
  if (e < 8u) {
    return 0.0;
  }
  let ma = (bits & 0x7FFFFFu) | 0x800000u;
  // Long division of 127·2^41 by ma in one step of 1 bit and three of 8 bits: the remainder stays
  // below ma < 2^24, so shifted by 8 it fits a u32, and each digit is an exact u32 division.
  var r = 127u << 17u;
  var q = r / ma;
  r -= q * ma;
  for (var i = 0u; i < 3u; i++) {
    r = r << 8u;
    let d = r / ma;
    r -= d * ma;
    q = (q << 8u) | d;
  }
  // q = floor(127·2^41 / ma) in [2^23, 2^25); keep 24 bits (floor of floor = floor).
  var j = 41u;
  if (q >= 0x1000000u) {
    q = q >> 1u;
    j = 40u;
  }
  // amax = ma·2^(e−150), so 127 / amax ≈ q·2^(150−e−j): biased exponent 300 − e − j (5..252).
  return bitcast<f32>(((300u - e - j) << 23u) | (q & 0x7FFFFFu));
}

/** vec4 i of X row b, zero past the padded row (an int8 row of 16·units elements can end mid-block). */
fn x_vec(b: u32, i: u32) -> vec4<f32> {
  let n4 = p.units * subs();
  if (i >= n4) {
    return vec4<f32>();
  }
  return x[b * n4 + i];
}

fn quant4(v: vec4<f32>, s: f32) -> vec4<i32> {
  return vec4<i32>(round(v * s));
}

struct QBlock {
  q: array<vec2<u32>, 4>,
  ds: vec2<f32>,  // (d, S)
}

/** Block j of X row b quantized as stated at the top. */
fn quant_block(b: u32, j: u32) -> QBlock {
  let i = 8u * j;
  let v0 = x_vec(b, i);
  let v1 = x_vec(b, i + 1u);
  let v2 = x_vec(b, i + 2u);
  let v3 = x_vec(b, i + 3u);
  let v4 = x_vec(b, i + 4u);
  let v5 = x_vec(b, i + 5u);
  let v6 = x_vec(b, i + 6u);
  let v7 = x_vec(b, i + 7u);
  let m = max(max(max(abs(v0), abs(v1)), max(abs(v2), abs(v3))), max(max(abs(v4), abs(v5)), max(abs(v6), abs(v7))));
  let amax = max(max(m.x, m.y), max(m.z, m.w));
  let s = inv_scale(amax);
  let q0 = quant4(v0, s);
  let q1 = quant4(v1, s);
  let q2 = quant4(v2, s);
  let q3 = quant4(v3, s);
  let q4 = quant4(v4, s);
  let q5 = quant4(v5, s);
  let q6 = quant4(v6, s);
  let q7 = quant4(v7, s);
  // S over the elements that meet int4 low nibbles (vec4s 0, 2, 4, 6: the .x words of the vec2s).
  let t = (q0 + q2) + (q4 + q6);
  let sum = (t.x + t.y) + (t.z + t.w);
  let packed = array<vec2<u32>, 4>(
    vec2<u32>(pack4xI8(q0), pack4xI8(q1)),
    vec2<u32>(pack4xI8(q2), pack4xI8(q3)),
    vec2<u32>(pack4xI8(q4), pack4xI8(q5)),
    vec2<u32>(pack4xI8(q6), pack4xI8(q7)));
  return QBlock(packed, vec2<f32>(amax * C127, f32(sum)));
}

fn xq_at(b: u32, v: u32) -> vec2<u32> {
  if (XQ == 1u) {
    return sxq[v];
  }
  return gxq[b * qp.qv + v];
}

fn xb_at(b: u32, j: u32) -> vec2<f32> {
  if (XQ == 1u) {
    return sxb[j];
  }
  return gxb[b * qp.qb + j];
}

/**
 * int4 piece of one row against the X bytes of the same elements: 16·Σ nib_lo·qx + Σ 16(nib_hi − 8)·qx
 * (low nibbles as bytes, high nibbles in place made signed by the XOR; see the top).
 */
fn dot_i4(q: vec4<u32>, x0: vec2<u32>, x1: vec2<u32>, x2: vec2<u32>, x3: vec2<u32>) -> i32 {
  var lo = dot4I8Packed(q.x & NIB, x0.x);
  var hi = dot4I8Packed((q.x & HIN) ^ SIGN, x0.y);
  if (PW > 1u) {
    lo += dot4I8Packed(q.y & NIB, x1.x);
    hi += dot4I8Packed((q.y & HIN) ^ SIGN, x1.y);
  }
  if (PW > 2u) {
    lo += dot4I8Packed(q.z & NIB, x2.x);
    hi += dot4I8Packed((q.z & HIN) ^ SIGN, x2.y);
    lo += dot4I8Packed(q.w & NIB, x3.x);
    hi += dot4I8Packed((q.w & HIN) ^ SIGN, x3.y);
  }
  return 16 * lo + hi;
}

/** int8 piece of one row (PW = 2 or 4 words): weight word t meets X word t. */
fn dot_i8(q: vec4<u32>, x0: vec2<u32>, x1: vec2<u32>) -> i32 {
  var s = dot4I8Packed(q.x, x0.x) + dot4I8Packed(q.y, x0.y);
  if (PW > 2u) {
    s += dot4I8Packed(q.z, x1.x) + dot4I8Packed(q.w, x1.y);
  }
  return s;
}

/** A piece's terms against one batch column: row r adds s[r] · v[r] (rows past ROWS unused). */
struct Terms {
  s: vec4<f32>,
  v: vec4<f32>,
}

/** Terms of loaded piece pc (words pc·PW.. of each row) against batch column b. */
fn terms(pe: Piece, pc: u32, b: u32) -> Terms {
  let wo = pc * PW;
  var v = vec4<f32>();
  if (FORMAT == 3u) {
    // int4: word wo + t of a row lies in block (wo + t) / 4 and meets X vec2 wo + t; the low nibbles'
    // zero point is folded in by the piece holding the block's first word: (d_w · d_x/16) · (16·isum).
    let xb = xb_at(b, wo / 4u);
    let zp = select(0.0, 128.0 * xb.y, wo % 4u == 0u);
    let x0 = xq_at(b, wo);
    var x1 = x0;
    var x2 = x0;
    var x3 = x0;
    if (PW > 1u) {
      x1 = xq_at(b, wo + 1u);
    }
    if (PW > 2u) {
      x2 = xq_at(b, wo + 2u);
      x3 = xq_at(b, wo + 3u);
    }
    v.x = f32(dot_i4(pe.q[0], x0, x1, x2, x3));
    if (ROWS > 1u) {
      v.y = f32(dot_i4(pe.q[1], x0, x1, x2, x3));
    }
    if (ROWS > 2u) {
      v.z = f32(dot_i4(pe.q[2], x0, x1, x2, x3));
      v.w = f32(dot_i4(pe.q[3], x0, x1, x2, x3));
    }
    return Terms(pe.d * (xb.x * 0.0625), v - vec4<f32>(zp));
  }
  // int8: word wo + t holds elements 4(wo + t)..; X vec2 (wo + t) / 2; block wo / 8 (PW divides 8).
  let dx = xb_at(b, wo / 8u).x;
  let x0 = xq_at(b, wo / 2u);
  var x1 = x0;
  if (PW > 2u) {
    x1 = xq_at(b, wo / 2u + 1u);
  }
  v.x = f32(dot_i8(pe.q[0], x0, x1));
  if (ROWS > 1u) {
    v.y = f32(dot_i8(pe.q[1], x0, x1));
  }
  if (ROWS > 2u) {
    v.z = f32(dot_i8(pe.q[2], x0, x1));
    v.w = f32(dot_i8(pe.q[3], x0, x1));
  }
  return Terms(vec4<f32>(dx), v);
}

/** Sums slot i (row i / 2, columns 4(i % 2)..+3) += s · v: int4 into acc, int8 into blk (accumulate.wgsl). */
fn bump(i: u32, s: vec4<f32>, v: vec4<f32>) {
  if (FORMAT == 3u) {
    acc[i] = fma(s, v, acc[i]);
  } else {
    blk[i] = fma(s, v, blk[i]);
  }
}

/** One batch column (BT = 1): only .x of each slot. */
fn bump1(i: u32, s: f32, v: f32) {
  if (FORMAT == 3u) {
    acc[i].x = fma(s, v, acc[i].x);
  } else {
    blk[i].x = fma(s, v, blk[i].x);
  }
}

/** Four batch columns' terms into slots 2r + h: row r's s and v across the columns, one fma per row. */
fn bump4(h: u32, a: Terms, b: Terms, c: Terms, d: Terms) {
  let s = transpose(mat4x4<f32>(a.s, b.s, c.s, d.s));
  let v = transpose(mat4x4<f32>(a.v, b.v, c.v, d.v));
  bump(h, s[0], v[0]);
  if (ROWS > 1u) {
    bump(2u + h, s[1], v[1]);
  }
  if (ROWS > 2u) {
    bump(4u + h, s[2], v[2]);
    bump(6u + h, s[3], v[3]);
  }
}

/** Batch column b0 + j (columns past the batch re-read the last one; never stored). */
fn col(b0: u32, j: u32) -> u32 {
  return min(b0 + j, p.batch - 1u);
}

/**
 * Adds loaded piece pc for batch columns b0..b0+BT-1: the piece's weights are decoded once per
 * column from registers, each column with its own quantized X, so W is read once per BT columns.
 */
fn add_piece(pe: Piece, pc: u32, b0: u32) {
  let t0 = terms(pe, pc, b0);
  if (BT == 1u) {
    bump1(0u, t0.s.x, t0.v.x);
    if (ROWS > 1u) {
      bump1(2u, t0.s.y, t0.v.y);
    }
    if (ROWS > 2u) {
      bump1(4u, t0.s.z, t0.v.z);
      bump1(6u, t0.s.w, t0.v.w);
    }
    return;
  }
  bump4(0u, t0, terms(pe, pc, col(b0, 1u)), terms(pe, pc, col(b0, 2u)), terms(pe, pc, col(b0, 3u)));
  if (BT > 4u) {
    bump4(1u, terms(pe, pc, col(b0, 4u)), terms(pe, pc, col(b0, 5u)), terms(pe, pc, col(b0, 6u)), terms(pe, pc, col(b0, 7u)));
  }
}

// quantize_x (XQ = 0): eight invocations per block, one X vec4 each, so a subgroup's X loads are
// contiguous and a block's serial work is one vec4's. amax and S meet in workgroup memory (any subgroup
// size works); the result is bit for bit quant_block's (max and the integer sum do not depend on order).
// It replaced one invocation per block (quant_block), which lost every one of 26 cases on the H100 by
// 0.2-1 µs (bench/notes/gemv.md, session 3).
var<workgroup> q8m: array<f32, 64>;
var<workgroup> q8w: array<u32, 64>;
var<workgroup> q8s: array<i32, 64>;

/** Invocation 8·(b·qb + j) + t quantizes X vec4 8j + t of row b (block j of batch column b). */
@compute @workgroup_size(64)
fn quantize_x(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let total = 8u * p.batch * qp.qb;
  // Invocations past the end take part in the barriers only.
  let i = min(gid.x, total - 1u);
  let b = i / (8u * qp.qb);
  let v = i % (8u * qp.qb);
  let xv = x_vec(b, v);
  let a = abs(xv);
  q8m[li] = max(max(a.x, a.y), max(a.z, a.w));
  workgroupBarrier();
  let g = li & ~7u;
  let amax = max(max(max(q8m[g], q8m[g + 1u]), max(q8m[g + 2u], q8m[g + 3u])), max(max(q8m[g + 4u], q8m[g + 5u]), max(q8m[g + 6u], q8m[g + 7u])));
  let q = quant4(xv, inv_scale(amax));
  q8w[li] = pack4xI8(q);
  q8s[li] = (q.x + q.y) + (q.z + q.w);  // S takes the even vec4s only (quant_block)
  workgroupBarrier();
  let t = li & 7u;
  if (gid.x < total && t < 5u) {
    let j = v / 8u;
    if (t < 4u) {
      // vec2 t of the block: X vec4s 2t (.x) and 2t + 1 (.y).
      gxq[b * qp.qv + 4u * j + t] = vec2<u32>(q8w[g + 2u * t], q8w[g + 2u * t + 1u]);
    } else {
      let sum = (q8s[g] + q8s[g + 2u]) + (q8s[g + 4u] + q8s[g + 6u]);
      gxb[b * qp.qb + j] = vec2<f32>(amax * C127, f32(sum));
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) sg: u32) {
  let g = wid.y * p.groups_x + wid.x;
  if (g >= p.sets) {
    return;
  }
  // Row sets g, g + stride, ... (stream_sets in pieces.wgsl): fewer workgroups than sets spread the
  // quantization (XQ = 1) over more rows. The first set's first pieces are loaded before X is
  // quantized, so the weight stream starts while the workgroup quantizes.
  // BT columns per pass over W (BT = 1 when XQ = 1: workgroup memory holds one column of X).
  for (var b = 0u; b < p.batch; b += BT) {
    let a = prefetch(g * ROWS, li);
    var c = a;
    if (UNROLL > 1u) {
      c = prefetch(g * ROWS, li + WG);
    }
    if (XQ == 1u) {
      for (var j = li; j < qp.qb; j += WG) {
        let qb = quant_block(b, j);
        sxq[4u * j] = qb.q[0];
        sxq[4u * j + 1u] = qb.q[1];
        sxq[4u * j + 2u] = qb.q[2];
        sxq[4u * j + 3u] = qb.q[3];
        sxb[j] = qb.ds;
      }
      workgroupBarrier();
    }
    // Ends with a barrier: every read of this column's X is done before the next column's.
    stream_sets(g, b, li, lane, sg, a, c);
  }
}
