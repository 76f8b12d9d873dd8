// Lane pieces of the row-set kernels (rowset.wgsl, q8x.wgsl), appended after the kernel by
// buildGemvWgsl: a workgroup owns a set of ROWS rows, its WG invocations stride over the row's pieces
// (PW consecutive u32 words of a 16-byte unit, rowset.wgsl explains the trade), and the subgroups'
// sums meet in workgroup memory. Each kernel defines add_piece(piece, pc, b0), the arithmetic on one
// loaded piece; the K loop, the reduction and the loop over row sets are the same for both.
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

/**
 * Adds the pieces start, start + WG, ... of rows row0..row0+ROWS-1 for batch columns from b0 (an
 * invocation owns pieces li + i·WG): UNROLL pieces are loaded before any is used (then a remainder
 * loop of single pieces).
 */
fn k_loop(row0: u32, b0: u32, start: u32) {
  let pieces = p.units * ppu();
  var pc = start;
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

/**
 * Adds the workgroup's partial sums of rows row0..row0+ROWS-1 and stores them (put_row) for batch
 * columns from b0. Every invocation of the workgroup must call it (it has barriers).
 */
fn reduce_rows(row0: u32, b0: u32, li: u32, lane: u32, sg: u32) {
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

/** Piece pc of rows row0.. when the row has it (rows shorter than WG pieces leave lanes idle). */
fn prefetch(row0: u32, pc: u32) -> Piece {
  if (pc < p.units * ppu()) {
    return load_piece(row0, pc);
  }
  return Piece();
}

/**
 * Row sets g, g + p.stride, ... for batch columns from b0, with pieces li and li + WG of set g already
 * loaded (a, c; c only read when UNROLL > 1). Software-pipelined: the next set's first pieces are
 * loaded before this set's reduction, so a workgroup that owns several sets keeps its loads in flight
 * while it reduces (one workgroup per set would stop streaming at every reduction and launch).
 */
fn stream_sets(g: u32, b0: u32, li: u32, lane: u32, sg: u32, first_a: Piece, first_c: Piece) {
  let pieces = p.units * ppu();
  let pre = min(UNROLL, 2u);
  var rs = g;
  var a = first_a;
  var c = first_c;
  loop {
    clear_acc();
    if (li < pieces) {
      add_piece(a, li, b0);
    }
    if (pre > 1u && li + WG < pieces) {
      add_piece(c, li + WG, b0);
    }
    k_loop(rs * ROWS, b0, li + pre * WG);
    let next = rs + p.stride;
    if (next < p.sets) {
      a = prefetch(next * ROWS, li);
      if (pre > 1u) {
        c = prefetch(next * ROWS, li + WG);
      }
    }
    reduce_rows(rs * ROWS, b0, li, lane, sg);
    rs = next;
    if (rs >= p.sets) {
      break;
    }
  }
}
