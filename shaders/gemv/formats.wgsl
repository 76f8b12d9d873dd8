// Weight formats of the GEMV family, appended to every GEMV kernel by buildGemvWgsl (WGSL has no
// include). A weight row is `units` 16-byte units (vec4<u32>); a unit holds 4 * subs(FORMAT) elements
// and sub-vector s of a unit is its elements 4s..4s+3, in every format:
//   FORMAT 0  f32   4 per unit: word i = element i (IEEE bits).
//   FORMAT 1  f16   8 per unit: word i = elements 2i (low half) and 2i+1 (high half).
//   FORMAT 2  int8 16 per unit: byte j of word i = element 4i+j, two's complement; one f32 scale per row.
//   FORMAT 3  int4 32 per unit (one block): byte j of word i holds element 8i+j in its low nibble and
//             element 8i+4+j in its high nibble, value = d * (nibble - 8); one f16 scale d per block,
//             kept apart from the weights in `sc` (two per u32, block 2i in the low half) so weight
//             units stay 16-byte aligned for vec4 loads.
override FORMAT: u32 = 0u;

// f32 with the bits 0x4B000000 is 2^23; OR-ing an integer m < 2^23 into its mantissa gives exactly
// 2^23 + m, so bytes and nibbles become floats with one integer op and one multiply-add instead of
// an int-to-float conversion (a quarter-rate instruction on NVIDIA, where int4 would be ALU-bound).
// A field at bit p is masked in place (2^23 + m·2^p, p + width <= 23) and scaled back by 2^-p in
// the same multiply-add, which saves the shift that would move it to bit 0.
const MAGIC: u32 = 0x4B000000u;

@group(0) @binding(1) var<storage, read> sc: array<u32>;

/** Sub-vectors of 4 elements in one 16-byte unit: 1, 2, 4 or 8. */
fn subs() -> u32 {
  return 1u << FORMAT;
}

/** Elements 4s..4s+3 of a unit as f32, before any scale. */
fn decode(wq: vec4<u32>, s: u32) -> vec4<f32> {
  if (FORMAT == 0u) {
    return bitcast<vec4<f32>>(wq);
  }
  if (FORMAT == 1u) {
    return decode_f16(wq, s);
  }
  if (FORMAT == 2u) {
    // XOR 0x80 maps a signed byte q to the unsigned q + 128. Bytes 0 and 1 are masked in place (bits
    // 0 and 8), bytes 2 and 3 in the word shifted right by 16: fma(f, 2^-p, -(2^(23-p) + 128)) = q.
    let word = wq[s] ^ 0x80808080u;
    let w16 = word >> 16u;
    let b = (vec4<u32>(word, word, w16, w16) & vec4<u32>(0xFFu, 0xFF00u, 0xFFu, 0xFF00u)) | vec4<u32>(MAGIC);
    return fma(bitcast<vec4<f32>>(b), INT8_SCALE, INT8_OFFSET);
  }
  // int4: each nibble is masked where it lies (bits p..p+3, p <= 19) and OR-ed into 2^23, giving
  // exactly 2^23 + m * 2^p; fma(f, 2^-p, -(2^(23-p) + 8)) = m - 8 exactly (f * 2^-p is exact, and so is
  // the difference of two integers below 2^24). Nibbles at bits 20-31 would reach the exponent, so
  // they are read from the word shifted right by 12. One AND-OR per weight (+ one shift per word)
  // instead of a shift and an AND-OR per byte: int4 decode is most of the kernel's instructions.
  let word = wq[s >> 1u];
  let w12 = word >> 12u;
  if ((s & 1u) == 0u) {
    // Low nibbles of bytes 0-3 (elements 8i..8i+3): bits 0, 8, 16 in place; bits 24-27 at 12.
    let b = (vec4<u32>(word, word, word, w12) & vec4<u32>(0xFu, 0xF00u, 0xF0000u, 0xF000u)) | vec4<u32>(MAGIC);
    return fma(bitcast<vec4<f32>>(b), INT4_LO_SCALE, INT4_LO_OFFSET);
  }
  // High nibbles (elements 8i+4..8i+7): bits 4, 12 in place; bits 20-23 at 8, bits 28-31 at 16.
  let b = (vec4<u32>(word, word, w12, w12) & vec4<u32>(0xF0u, 0xF000u, 0xF00u, 0xF0000u)) | vec4<u32>(MAGIC);
  return fma(bitcast<vec4<f32>>(b), INT4_HI_SCALE, INT4_HI_OFFSET);
}

// int8: 2^-p for byte positions p = 0, 8, 0, 8, and -(2^(23-p) + 128).
const INT8_SCALE = vec4<f32>(1.0, 0.00390625, 1.0, 0.00390625);
const INT8_OFFSET = vec4<f32>(-8388736.0, -32896.0, -8388736.0, -32896.0);
// int4: 2^-p for nibble positions p = 0, 8, 16, 12 (low nibbles) and 4, 12, 8, 16 (high), and
// -(2^(23-p) + 8): the magic number's share after scaling plus the zero point.
const INT4_LO_SCALE = vec4<f32>(1.0, 0.00390625, 0.0000152587890625, 0.000244140625);
const INT4_LO_OFFSET = vec4<f32>(-8388616.0, -32776.0, -136.0, -2056.0);
const INT4_HI_SCALE = vec4<f32>(0.0625, 0.000244140625, 0.00390625, 0.0000152587890625);
const INT4_HI_OFFSET = vec4<f32>(-524296.0, -2056.0, -32776.0, -136.0);

/** Scale of unit `unit` (row * units + u): the int4 block scale, 1 for the other formats. */
fn unit_scale(unit: u32) -> f32 {
  if (FORMAT == 3u) {
    // The wanted half shifted to the low 16 bits, then only .x used: one f16 conversion, not two.
    return unpack2x16float(sc[unit >> 1u] >> (16u * (unit & 1u))).x;
  }
  return 1.0;
}

/** Scale of a whole row: the int8 per-row scale, 1 for the other formats. */
fn row_scale(row: u32) -> f32 {
  if (FORMAT == 2u) {
    return bitcast<f32>(sc[row]);
  }
  return 1.0;
}
