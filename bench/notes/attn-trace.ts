/**
 * Diagnostic for the split-K MHA bimodality (bench/notes/attention.md, "MHA L = 32768 bimodality"):
 * times the same decode instance in short groups of spans, with a 256 MiB copy probe around each
 * group, across the steps that separate the autotune (always fast) from the runner's spans (often at
 * half speed): right after build, after the CPU reference that verification computes, after a CPU-idle
 * pause and after CPU-busy seconds. Prints one JSON document (wall times in ms since start), to be
 * read next to an `nvidia-smi` sample log of the same run.
 *   node attn-trace.mjs [--dawn-flag FLAGS] [--small]   (--small: L = 1024, for a check on SwiftShader)
 * Bundled like the runner: esbuild bench/notes/attn-trace.ts with the raw-text plugin of bench/build-node.mjs.
 */
import { createNodeGpu } from '../dawn';
import { acquireGpu } from '../../src/gpu/device';
import { createTimer } from '../../src/gpu/timer';
import { copySpec } from '../../src/kernels/ceilings';
import { decodeInstance, type DecodeShape, type SplitConfig } from '../../src/kernels/attention';
import type { KernelInstance } from '../../src/kernels/spec';
import { Rng } from '../../src/util/rng';

const flagAt = process.argv.indexOf('--dawn-flag');
const flags = flagAt >= 0 ? (process.argv[flagAt + 1] ?? '').split(' ').filter((f) => f.length > 0) : [];
const { gpu, runtime } = createNodeGpu(flags);
const ctx = await acquireGpu(gpu, { runtime, requireFeatures: [] });
const timer = createTimer(ctx.device);
const t0 = performance.now();
const now = (): number => Math.round(performance.now() - t0);
const events: unknown[] = [];
const note = (e: Record<string, unknown>): void => {
  events.push({ t: now(), ...e });
  process.stderr.write(`${now()} ${String(e.label)}\n`);
};

const small = process.argv.includes('--small');
const PROBE = small ? 4 * 1024 * 1024 : 256 * 1024 * 1024;
const GROUPS = small ? 1 : 6;
const PAUSE_MS = small ? 100 : 2000;
const copy = await copySpec.build(ctx, { bytes: PROBE }, new Rng(1));
async function probe(): Promise<number> {
  const ms = await timer.measure((p) => copy.encode(p), 4, 3);
  ms.sort((a, b) => a - b);
  return Math.round((2 * PROBE * 4) / ((ms[1] ?? NaN) * 1e6));
}

/** `groups` groups of 10 spans of `batch` executions, each group's median per execution (µs), probes around. */
async function trace(label: string, inst: KernelInstance, batch: number, groups: number): Promise<void> {
  const before = await probe();
  const med: number[] = [];
  for (let g = 0; g < groups; g++) {
    const ms = (await timer.measure((p) => inst.encode(p), batch, 10)).map((x) => x / batch).sort((a, b) => a - b);
    med.push(Math.round((ms[5] ?? NaN) * 1e4) / 10);
  }
  const after = await probe();
  note({ label, probe_before_gbps: before, group_median_us: med, probe_after_gbps: after });
}

async function shape(name: string, s: DecodeShape, config: SplitConfig, batch: number, full: boolean): Promise<void> {
  const inst = await decodeInstance(ctx, s, { variant: 'split', paged: false, dtype: 'f16' }, new Rng(7), [config]);
  note({ label: `${name} built`, config: inst.config });
  await trace(`${name} after build`, inst, small ? 1 : batch, GROUPS);
  const r0 = performance.now();
  let sum = 0;
  for (let i = 0; i < inst.outputCount; i++) sum += inst.reference(i);
  note({ label: `${name} CPU reference`, ms: Math.round(performance.now() - r0), checksum: sum });
  await trace(`${name} after reference`, inst, small ? 1 : batch, GROUPS);
  if (!full) {
    inst.destroy();
    return;
  }
  await new Promise((r) => setTimeout(r, PAUSE_MS));
  await trace(`${name} after 2 s idle`, inst, small ? 1 : batch, GROUPS);
  const b0 = performance.now();
  let x = 0;
  while (performance.now() - b0 < PAUSE_MS) x += Math.sqrt(x + 1);
  note({ label: `${name} 2 s CPU busy`, x });
  await trace(`${name} after 2 s CPU busy`, inst, small ? 1 : batch, GROUPS);
  await trace(`${name} again`, inst, small ? 1 : batch, GROUPS);
  inst.destroy();
}

note({ label: 'start', probe_gbps: await probe(), date: new Date().toISOString() });
const L = small ? 256 : 32768;
await shape('MHA', { h: 32, kv: 32, d: 128, l: L }, { kernel: 'deep', chunk: 512, ku: 2, vu: 8 }, 8, true);
await shape('GQA', { h: 32, kv: 8, d: 128, l: L }, { kernel: 'deep', chunk: 256, ku: 4, vu: 8 }, 32, false);
note({ label: 'end', date: new Date().toISOString() });
copy.destroy();
timer.destroy();
console.log(JSON.stringify({ device: ctx.info, events }, null, 1));
process.exit(0);
