/** The registry: every kernel spec, and the cases each preset (suite/presets.ts) runs. */
import { copySpec, fmaF16Spec, fmaF32Spec, maxCopyBytes } from '../kernels/ceilings';
import { makeCase, type BenchCase, type KernelSpec } from '../kernels/spec';
import { PdbError } from '../gpu/errors';
import { ATTENTION_SPECS, attentionCases } from '../kernels/attention';
import { GEMM_SPECS, gemmCases } from '../kernels/gemm';
import { GEMV_SPECS, gemvCases } from '../kernels/gemv';
import { KV_SPECS, kvCases } from '../kernels/kv-cache';
import type { Preset } from './presets';

export { PRESETS, isPreset, type Preset } from './presets';

/** Every spec, for listings. */
export const SPECS: readonly KernelSpec[] = [
  copySpec,
  fmaF32Spec,
  fmaF16Spec,
  ...GEMM_SPECS,
  ...GEMV_SPECS,
  ...ATTENTION_SPECS,
  ...KV_SPECS,
] as unknown as readonly KernelSpec[];

/** Device limits that shape the case list (a run clamps working sets to them). */
export type CaseLimits = Readonly<Record<string, number | undefined>>;

const MiB = 1024 * 1024;

function ceilingCases(preset: Preset, limits: CaseLimits): BenchCase[] {
  // Copy: working set far above any last-level cache (H100 L2 is 50 MB); 1 GiB per buffer as
  // PyTorch's reference copy uses, clamped to the binding limit.
  const want = { test: 4 * MiB, quick: 256 * MiB, full: 1024 * MiB }[preset];
  const bytes = Math.min(want, maxCopyBytes(limits));
  // FMA: 2^24 invocations are ~62 waves of a 132-SM GPU, so the partly filled last wave costs ~1.5%
  // (at 2^21, ~8 waves, it cost 3%: 60.1 vs 62 TFLOP/s on the H100); 512 steps is a ~4.5 ms dispatch there.
  const fma = { test: { threads: 4096, steps: 32 }, quick: { threads: 1 << 22, steps: 512 }, full: { threads: 1 << 24, steps: 512 } }[preset];
  return [makeCase(copySpec, { bytes }), makeCase(fmaF32Spec, fma), makeCase(fmaF16Spec, fma)];
}

/** Cases of a preset for a device with these limits, optionally filtered by a regex over case ids. */
export function casesFor(preset: Preset, limits: CaseLimits, filter?: string): BenchCase[] {
  // Ceilings first: every later case is rated against them. Then prefill, decode, the KV cache.
  const all = [...ceilingCases(preset, limits), ...gemmCases(preset), ...gemvCases(preset), ...attentionCases(preset), ...kvCases(preset)];
  if (filter === undefined || filter === '') return all;
  const re = compileFilter(filter);
  return all.filter((c) => re.test(c.id));
}

/** Compiles a --filter expression, with a clear error for a bad one. */
export function compileFilter(filter: string): RegExp {
  try {
    return new RegExp(filter);
  } catch (e) {
    throw new PdbError('bad-filter', `The filter ${JSON.stringify(filter)} is not a valid regular expression (${e instanceof Error ? e.message : String(e)}); example: --filter 'ceiling/copy'.`);
  }
}
