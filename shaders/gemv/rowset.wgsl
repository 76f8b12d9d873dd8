// Row-set GEMV: one workgroup per set of ROWS consecutive rows; all WG invocations stride over K
// together, so a workgroup reads each of its rows as one contiguous stream and X once per row set.
//
// Lanes take "pieces": PW consecutive u32 words of a 16-byte unit, whose elements are whole X vec4s.
//   f32, f16   — a piece is always one unit (PW = 4): 4 / 8 elements = 1 / 2 X vec4.
//   int8, int4 — PW = 1, 2 or 4 words: word c of unit u holds elements 16u+4c..+3 (int8) or
//                32u+8c..+7 (int4: low nibbles 8c..8c+3, high 8c+4..8c+7 of the block, formats.wgsl),
//                so piece p covers elements [4·xpp·p, 4·xpp·(p+1)) with xpp = PW (int8), 2·PW (int4).
// Consecutive invocations take consecutive pieces, so one load instruction of a 32-lane subgroup reads
// 32·4·PW contiguous bytes per row, and its lanes' X vec4 lie at a 16·xpp-byte stride. The trade:
// small pieces make X loads contiguous (int8 PW = 1) or nearly (int4 PW = 1: 32 B stride), where a
// whole int4 unit per lane (PW = 4, the `subgroup` kernel's pattern) reads 128 B of X per lane at a
// 128-byte lane stride, 32 L1 lines per X load; large pieces take fewer load, address and int4
// block-scale instructions per weight (one scale per piece: a piece lies inside one block). On the
// H100 int4 is bound by instructions per weight more than by X traffic, and PW = 2 won every B = 1
// int4 autotune (bench/notes/gemv.md, run 4); PW is tuned per device.
// Each X vec4 serves the ROWS rows of the set. UNROLL pieces per lane are loaded before any is used,
// to keep ROWS × UNROLL loads in flight per lane (an int4 word is only 4 B).
// Sums: subgroupAdd within each subgroup, then the subgroups' sums are added in workgroup memory.
// The subgroup size comes from the subgroup_size builtin; WebGPU subgroups have 4 to 128 lanes, so a
// workgroup has at most WG / 4 of them. Shared code (bindings, sub_step, put_row) is in accumulate.wgsl.
enable subgroups;
// subgroupAdd is reached by every lane of the workgroup after the K loop (nothing returns early except
// whole workgroups); the analysis cannot see that the K loop's lane-dependent trip count has ended.
diagnostic(off, subgroup_uniformity);

override WG: u32 = 256u;
override UNROLL: u32 = 1u;  // pieces per lane loaded together: 1, 2 or 4
override PW: u32 = 4u;      // u32 words per piece for int8/int4: 1, 2 or 4 (f32 and f16 use 4)

// Subgroup sums: red[8 * subgroup + 2r + h] = row r, batch columns 4h..4h+3 (8 slots × WG / 4 subgroups).
var<workgroup> red: array<vec4<f32>, 2u * WG>;

/** Words per piece: PW for int8/int4, the whole unit for f32 and f16. */
fn words() -> u32 {
  return select(4u, PW, FORMAT >= 2u);
}

/** Pieces per 16-byte unit: 4 / words(). */
fn ppu() -> u32 {
  return 4u / words();
}

/** X vec4s per piece: subs() / ppu() (1 to 8). */
fn xpp() -> u32 {
  return subs() / ppu();
}

/** One piece of ROWS rows: q[r] = row r's words (the first words() components), d = int4 block scales. */
struct Piece {
  q: array<vec4<u32>, 4>,
  d: vec4<f32>,
}

/**
 * Piece c (of ppu()) of unit i, its words first: decode(·, s) for s < xpp() reads only those
 * (sub-vector s lies in word s for int8 and s / 2 for int4).
 */
fn piece_words(i: u32, c: u32) -> vec4<u32> {
  if (words() == 1u) {
    return vec4<u32>(w[i][c], 0u, 0u, 0u);
  }
  if (words() == 2u) {
    return vec4<u32>(w[i][2u * c], w[i][2u * c + 1u], 0u, 0u);
  }
  return w[i];
}

/** Loads piece pc of rows row0..row0+ROWS-1 (rows past N re-read the last row; never stored). */
fn load_piece(row0: u32, pc: u32) -> Piece {
  let last = p.n - 1u;
  let u = pc / ppu();
  let c = pc % ppu();
  let i0 = min(row0, last) * p.units + u;
  var i1 = i0;
  var i2 = i0;
  var i3 = i0;
  let q0 = piece_words(i0, c);
  var q1 = vec4<u32>();
  var q2 = vec4<u32>();
  var q3 = vec4<u32>();
  if (ROWS > 1u) {
    i1 = min(row0 + 1u, last) * p.units + u;
    q1 = piece_words(i1, c);
  }
  if (ROWS > 2u) {
    i2 = min(row0 + 2u, last) * p.units + u;
    i3 = min(row0 + 3u, last) * p.units + u;
    q2 = piece_words(i2, c);
    q3 = piece_words(i3, c);
  }
  var d = vec4<f32>(1.0);
  if (FORMAT == 3u) {
    // A piece lies inside one block, so its block scale is applied once per piece.
    d = vec4<f32>(unit_scale(i0), unit_scale(i1), unit_scale(i2), unit_scale(i3));
  }
  return Piece(array<vec4<u32>, 4>(q0, q1, q2, q3), d);
}

/** Adds a loaded piece pc for batch columns b0..b0+BT-1. */
fn add_piece(pe: Piece, pc: u32, b0: u32) {
  let xi = pc * xpp();
  sub_step(0u, b0, xi, pe.q[0], pe.q[1], pe.q[2], pe.q[3]);
  if (xpp() > 1u) {
    sub_step(1u, b0, xi, pe.q[0], pe.q[1], pe.q[2], pe.q[3]);
  }
  if (xpp() > 2u) {
    sub_step(2u, b0, xi, pe.q[0], pe.q[1], pe.q[2], pe.q[3]);
    sub_step(3u, b0, xi, pe.q[0], pe.q[1], pe.q[2], pe.q[3]);
  }
  if (xpp() > 4u) {
    sub_step(4u, b0, xi, pe.q[0], pe.q[1], pe.q[2], pe.q[3]);
    sub_step(5u, b0, xi, pe.q[0], pe.q[1], pe.q[2], pe.q[3]);
    sub_step(6u, b0, xi, pe.q[0], pe.q[1], pe.q[2], pe.q[3]);
    sub_step(7u, b0, xi, pe.q[0], pe.q[1], pe.q[2], pe.q[3]);
  }
  if (FORMAT == 3u) {
    scale_block(pe.d);
  }
}

/** Subgroup sum of row r's partial sums, written by lane 0 to the subgroup's slots. */
fn share_row(r: u32, sub: u32, lane: u32) {
  var lo: vec4<f32>;
  if (BT == 1u) {
    // One batch column: only .x carries a sum, so reduce one float instead of four.
    lo = vec4<f32>(subgroupAdd(total(2u * r).x), 0.0, 0.0, 0.0);
  } else {
    lo = subgroupAdd(total(2u * r));
  }
  var hi = vec4<f32>();
  if (BT > 4u) {
    hi = subgroupAdd(total(2u * r + 1u));
  }
  if (lane == 0u) {
    red[8u * sub + 2u * r] = lo;
    red[8u * sub + 2u * r + 1u] = hi;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) sg: u32) {
  let rset = wid.y * p.groups_x + wid.x;
  if (rset >= p.sets) {
    return;
  }
  let row0 = rset * ROWS;
  let pieces = p.units * ppu();
  for (var b0 = 0u; b0 < p.batch; b0 += BT) {
    clear_acc();
    var pc = li;
    if (UNROLL == 4u) {
      for (; pc + 3u * WG < pieces; pc += 4u * WG) {
        let a = load_piece(row0, pc);
        let b = load_piece(row0, pc + WG);
        let c = load_piece(row0, pc + 2u * WG);
        let d = load_piece(row0, pc + 3u * WG);
        add_piece(a, pc, b0);
        add_piece(b, pc + WG, b0);
        add_piece(c, pc + 2u * WG, b0);
        add_piece(d, pc + 3u * WG, b0);
      }
    }
    if (UNROLL >= 2u) {
      for (; pc + WG < pieces; pc += 2u * WG) {
        let a = load_piece(row0, pc);
        let b = load_piece(row0, pc + WG);
        add_piece(a, pc, b0);
        add_piece(b, pc + WG, b0);
      }
    }
    for (; pc < pieces; pc += WG) {
      add_piece(load_piece(row0, pc), pc, b0);
    }
    let sub = li / sg;
    share_row(0u, sub, lane);
    if (ROWS > 1u) {
      share_row(1u, sub, lane);
    }
    if (ROWS > 2u) {
      share_row(2u, sub, lane);
      share_row(3u, sub, lane);
    }
    workgroupBarrier();
    if (li < ROWS) {
      var lo = vec4<f32>();
      var hi = vec4<f32>();
      for (var s = 0u; s < WG / sg; s++) {
        lo += red[8u * s + 2u * li];
        hi += red[8u * s + 2u * li + 1u];
      }
      put_row(0u, row0 + li, b0, lo, hi);
    }
    // The next batch tile overwrites `red`: every read of this one must be done first.
    workgroupBarrier();
  }
}
