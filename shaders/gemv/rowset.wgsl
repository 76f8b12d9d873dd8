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
// workgroup has at most WG / 4 of them. Shared code: bindings, sub_step, put_row in accumulate.wgsl;
// pieces, the K loop and the workgroup reduction in pieces.wgsl (also used by q8x.wgsl).
enable subgroups;
// subgroupAdd is reached by every lane of the workgroup after the K loop (nothing returns early except
// whole workgroups); the analysis cannot see that the K loop's lane-dependent trip count has ended.
diagnostic(off, subgroup_uniformity);

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

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) sg: u32) {
  let rset = wid.y * p.groups_x + wid.x;
  if (rset >= p.sets) {
    return;
  }
  // Row sets rset, rset + stride, ... (one unless the grid is smaller than the sets: stream_sets).
  for (var b0 = 0u; b0 < p.batch; b0 += BT) {
    let a = prefetch(rset * ROWS, li);
    var c = a;
    if (UNROLL > 1u) {
      c = prefetch(rset * ROWS, li + WG);
    }
    stream_sets(rset, b0, li, lane, sg, a, c);
  }
}
