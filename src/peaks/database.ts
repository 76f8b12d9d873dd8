/**
 * Theoretical peaks from vendor datasheets, matched on the adapter's strings. Non-tensor (vector)
 * f32/f16 rates: WGSL without subgroup-matrix runs on the vector units. Software adapters get none:
 * their figures are never rated against a GPU's peak.
 */
import type { DeviceInfo, Peaks } from '../report/schema';

interface PeakEntry {
  match: RegExp;
  peaks: Peaks;
}

const NVIDIA_H100_SXM = 'NVIDIA H100 Tensor Core GPU datasheet (SXM5: FP32 66.9 TFLOPS, FP16 vector 133.8, FP16 tensor dense 989.4, HBM3 3.35 TB/s)';

const ENTRIES: readonly PeakEntry[] = [
  {
    match: /h100.*(sxm|hbm3)|h100-80gb-hbm3/i,
    peaks: { name: 'NVIDIA H100 SXM5 80GB', source: NVIDIA_H100_SXM, f32_gflops: 66900, f16_gflops: 133800, f16_matrix_gflops: 989400, bandwidth_gbps: 3350 },
  },
  {
    match: /h100.*(pcie|nvl)|h100-pcie/i,
    peaks: { name: 'NVIDIA H100 PCIe 80GB', source: 'NVIDIA H100 datasheet (PCIe: FP32 51.2 TFLOPS, FP16 vector 102.4, FP16 tensor dense 756, HBM2e 2.0 TB/s)', f32_gflops: 51200, f16_gflops: 102400, f16_matrix_gflops: 756000, bandwidth_gbps: 2000 },
  },
  {
    match: /a100/i,
    peaks: { name: 'NVIDIA A100 SXM4 80GB', source: 'NVIDIA A100 datasheet (FP32 19.5 TFLOPS, FP16 vector 78, FP16 tensor dense 312, HBM2e 2.04 TB/s)', f32_gflops: 19500, f16_gflops: 78000, f16_matrix_gflops: 312000, bandwidth_gbps: 2039 },
  },
  {
    match: /rtx 4090|rtx-4090/i,
    peaks: { name: 'NVIDIA GeForce RTX 4090', source: 'NVIDIA Ada whitepaper (FP32 82.6 TFLOPS, FP16 vector 82.6, FP16 tensor with FP32 accumulate dense 165.2, GDDR6X 1008 GB/s)', f32_gflops: 82600, f16_gflops: 82600, f16_matrix_gflops: 165200, bandwidth_gbps: 1008 },
  },
];

/** Peaks for this adapter, or null when unknown or software. */
export function lookupPeaks(info: DeviceInfo): Peaks | null {
  if (info.software) return null;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  return ENTRIES.find((e) => e.match.test(text))?.peaks ?? null;
}

/** Peaks given by the user (each figure optional); they replace the database entry. */
export function userPeaks(p: { f32_gflops?: number; f16_gflops?: number; f16_matrix_gflops?: number; bandwidth_gbps?: number }): Peaks {
  return { name: 'user override', source: 'user', f32_gflops: p.f32_gflops ?? null, f16_gflops: p.f16_gflops ?? null, f16_matrix_gflops: p.f16_matrix_gflops ?? null, bandwidth_gbps: p.bandwidth_gbps ?? null };
}
