// The end of both split-K decode kernels (decode-split.wgsl, decode-split-deep.wgsl), prepended by
// buildSplitWgsl: the KL key lanes' partial P·V sums and probability sums are added in workgroup memory
// (red_o, red_l, declared by each kernel), then the chunk's partial output, maximum and sum are written
// for decode-reduce.wgsl. Called once per workgroup from uniform control flow (it holds barriers).
fn put_partials(acc: array<vec4<f32>, 16>, lsum: array<f32, MAXG>, mx: array<f32, MAXG>, kl: u32, cw: u32, t: u32, split: u32, h0: u32) {
  // Sum the KL key lanes: one lane per round adds its partial (each slot has one writer per round).
  for (var r = 0u; r < KL; r++) {
    if (kl == r) {
      for (var g = 0u; g < GH; g++) {
        for (var sub = 0u; sub < WIDE / 4u; sub++) {
          let i = g * D4 + cw * (WIDE / 4u) + sub;
          if (r == 0u) {
            red_o[i] = acc[g * (WIDE / 4u) + sub];
          } else {
            red_o[i] += acc[g * (WIDE / 4u) + sub];
          }
        }
        if (cw == 0u) {
          if (r == 0u) {
            red_l[g] = lsum[g];
          } else {
            red_l[g] += lsum[g];
          }
        }
      }
    }
    workgroupBarrier();
  }

  for (var e = t; e < Q_LEN; e += WG) {
    o_part[(split * params.heads + h0) * D4 + e] = red_o[e];
  }
  if (t < GH) {
    ml_part[split * params.heads + h0 + t] = vec2<f32>(mx[t], red_l[t]);
  }
}
