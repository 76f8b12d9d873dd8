// Shared by every GEMV kernel (appended by buildGemvWgsl after the kernel and before formats.wgsl):
// bindings, and the work on one 16-byte unit column u of ROWS rows for BT batch columns.
//
// Accumulators are private variables that are only ever indexed by constants: every helper below is
// called with literal row and sub-vector indices, so once inlined each access is a register. Loops
// over function arrays would leave that to the driver's unroller; where it declined (int4's 8
// sub-vectors, 4+ batch columns) the arrays went to local memory and the kernel ran 3-10x slower on
// the H100.
override ROWS: u32 = 1u;  // rows per pass: 1, 2 or 4
override BT: u32 = 1u;    // batch columns per pass: 1, 4 or 8

struct Params {
  n: u32,         // rows of W = outputs per batch column
  units: u32,     // 16-byte units per weight row
  batch: u32,     // batch columns B
  groups_x: u32,  // workgroups along x of the grid that indexes by it
  splits: u32,    // split-K chunks per row (1 = no split)
  chunk: u32,     // units per chunk
  sets: u32,      // row sets: ceil(n / ROWS)
  stride: u32,    // row-set kernels: workgroups in the grid, the stride of their loop over row sets
}

@group(0) @binding(0) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

// acc[2r + h]: row r, batch columns 4h..4h+3 (BT = 1 uses .x). For int4, `blk` holds the current
// block's sums and is added into acc times the block scale once per block (1 multiply per block, not
// per weight); the other formats accumulate straight into blk and never use acc.
var<private> acc: array<vec4<f32>, 8>;
var<private> blk: array<vec4<f32>, 8>;
// X sub-vectors of the tile's batch columns, as matrix columns: wv * xa = four dot products.
var<private> xa: mat4x4<f32>;
var<private> xb: mat4x4<f32>;

fn clear_acc() {
  acc = array<vec4<f32>, 8>();
  blk = array<vec4<f32>, 8>();
}

/** Start of X row b0 + j in vec4s; columns past the batch read the last one and are never stored. */
fn x_row(b0: u32, j: u32) -> u32 {
  return min(b0 + j, p.batch - 1u) * p.units * subs();
}

fn load_x(b0: u32, xi: u32) {
  xa[0] = x[x_row(b0, 0u) + xi];
  if (BT > 1u) {
    xa[1] = x[x_row(b0, 1u) + xi];
    xa[2] = x[x_row(b0, 2u) + xi];
    xa[3] = x[x_row(b0, 3u) + xi];
  }
  if (BT > 4u) {
    xb[0] = x[x_row(b0, 4u) + xi];
    xb[1] = x[x_row(b0, 5u) + xi];
    xb[2] = x[x_row(b0, 6u) + xi];
    xb[3] = x[x_row(b0, 7u) + xi];
  }
}

fn fma_row(r: u32, wv: vec4<f32>) {
  if (BT == 1u) {
    // A chain of fused multiply-adds: 4 instructions per 4 weights, where dot() then += takes 5
    // (decode is about as cheap, so this is a fifth of the floating-point work of int4 and int8).
    let x0 = xa[0];
    blk[2u * r].x = fma(wv.w, x0.w, fma(wv.z, x0.z, fma(wv.y, x0.y, fma(wv.x, x0.x, blk[2u * r].x))));
  } else {
    blk[2u * r] += wv * xa;
  }
  if (BT > 4u) {
    blk[2u * r + 1u] += wv * xb;
  }
}

fn sub_step(s: u32, b0: u32, xi: u32, w0: vec4<u32>, w1: vec4<u32>, w2: vec4<u32>, w3: vec4<u32>) {
  load_x(b0, xi + s);
  fma_row(0u, decode(w0, s));
  if (ROWS > 1u) {
    fma_row(1u, decode(w1, s));
  }
  if (ROWS > 2u) {
    fma_row(2u, decode(w2, s));
    fma_row(3u, decode(w3, s));
  }
}

/** Adds unit column u of rows row0..row0+ROWS-1 (rows past N re-read the last row, never stored). */
fn add_unit(row0: u32, u: u32, b0: u32) {
  let last = p.n - 1u;
  let i0 = min(row0, last) * p.units + u;
  var i1 = i0;
  var i2 = i0;
  var i3 = i0;
  let w0 = w[i0];
  var w1 = vec4<u32>();
  var w2 = vec4<u32>();
  var w3 = vec4<u32>();
  if (ROWS > 1u) {
    i1 = min(row0 + 1u, last) * p.units + u;
    w1 = w[i1];
  }
  if (ROWS > 2u) {
    i2 = min(row0 + 2u, last) * p.units + u;
    i3 = min(row0 + 3u, last) * p.units + u;
    w2 = w[i2];
    w3 = w[i3];
  }
  let xi = u * subs();
  sub_step(0u, b0, xi, w0, w1, w2, w3);
  if (subs() > 1u) {
    sub_step(1u, b0, xi, w0, w1, w2, w3);
  }
  if (subs() > 2u) {
    sub_step(2u, b0, xi, w0, w1, w2, w3);
    sub_step(3u, b0, xi, w0, w1, w2, w3);
  }
  if (subs() > 4u) {
    sub_step(4u, b0, xi, w0, w1, w2, w3);
    sub_step(5u, b0, xi, w0, w1, w2, w3);
    sub_step(6u, b0, xi, w0, w1, w2, w3);
    sub_step(7u, b0, xi, w0, w1, w2, w3);
  }
  if (FORMAT == 3u) {
    scale_block(vec4<f32>(unit_scale(i0), unit_scale(i1), unit_scale(i2), unit_scale(i3)));
  }
}

/** int4: adds the current block sums of rows 0-3 into acc times their block scales d, and clears them. */
fn scale_block(d: vec4<f32>) {
  acc[0] += d.x * blk[0];
  acc[1] += d.x * blk[1];
  acc[2] += d.y * blk[2];
  acc[3] += d.y * blk[3];
  acc[4] += d.z * blk[4];
  acc[5] += d.z * blk[5];
  acc[6] += d.w * blk[6];
  acc[7] += d.w * blk[7];
  blk = array<vec4<f32>, 8>();
}

/** This invocation's sums for row r, batch columns 4h..4h+3 (h = 0, 1). */
fn total(i: u32) -> vec4<f32> {
  if (FORMAT == 3u) {
    return acc[i];
  }
  return blk[i];
}

fn put(base: u32, row: u32, b0: u32, j: u32, v: f32) {
  if (b0 + j < p.batch) {
    out[(base + b0 + j) * p.n + row] = v;
  }
}

/** Stores row `row`'s sums for batch columns b0..b0+BT-1 at out[(base + b) * n + row], times the row scale. */
fn put_row(base: u32, row: u32, b0: u32, lo: vec4<f32>, hi: vec4<f32>) {
  if (row >= p.n) {
    return;
  }
  let rs = row_scale(row);
  put(base, row, b0, 0u, lo.x * rs);
  if (BT > 1u) {
    put(base, row, b0, 1u, lo.y * rs);
    put(base, row, b0, 2u, lo.z * rs);
    put(base, row, b0, 3u, lo.w * rs);
  }
  if (BT > 4u) {
    put(base, row, b0, 4u, hi.x * rs);
    put(base, row, b0, 5u, hi.y * rs);
    put(base, row, b0, 6u, hi.z * rs);
    put(base, row, b0, 7u, hi.w * rs);
  }
}
