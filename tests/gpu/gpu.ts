/** Shared GPU context for the Dawn tier: one device per test file, SwiftShader where there is no GPU. */
import { createNodeGpu } from '../../bench/dawn';
import { splitFlags } from '../../bench/options';
import { acquireGpu, type GpuContext } from '../../src/gpu/device';
import { DEFAULT_RUN, type RunOptions } from '../../src/suite/runner';

let ctx: Promise<GpuContext> | null = null;

export function testGpu(): Promise<GpuContext> {
  if (!ctx) {
    const { gpu, runtime } = createNodeGpu(splitFlags(process.env.PDB_DAWN_FLAGS));
    ctx = acquireGpu(gpu, { runtime });
  }
  return ctx;
}

/** Few, short spans: the tier tests correctness and plumbing, never speed. */
export const TEST_RUN: RunOptions = { ...DEFAULT_RUN, trials: 3, warmup: 1, minSpanMs: 0.5, maxBatch: 8, preset: 'test' };
