/** Command-line options of the Node runner: parsed strictly, so a typo is an error, never ignored. */
import { parseArgs } from 'node:util';
import { PdbError } from '../src/gpu/errors';
import { PRESETS, compileFilter, isPreset, type Preset } from '../src/suite/registry';
import { DEFAULT_RUN } from '../src/suite/runner';

export interface CliOptions {
  runtime: 'node';
  preset: Preset;
  filter: string | undefined;
  out: string | undefined;
  csv: string | undefined;
  md: string | undefined;
  trials: number;
  warmup: number;
  seed: number;
  dawnFlags: string[];
  wallClock: boolean;
  probe: boolean;
  software: boolean;
  list: boolean;
  help: boolean;
  json: boolean;
  requireFeatures: string[];
  peaks: { f32_gflops?: number; f16_gflops?: number; f16_matrix_gflops?: number; bandwidth_gbps?: number };
}

export const USAGE = `pdbench — WebGPU benchmarks of LLM prefill (GEMM, flash attention) and decode (GEMV, decode attention, KV cache)

usage: npm run bench -- [options]        (or: node dist-node/pdbench.mjs [options])

  --runtime node          run on Dawn for Node (the 'webgpu' package); the only runtime of this CLI so far
  --preset NAME           test | quick | full (default quick): test is tiny, full is the reference sweep
  --filter REGEX          run only cases whose id matches, e.g. '^ceiling/' or 'gemv/.*/int4'
  --list                  print the case ids the preset and filter select, then exit
  --out FILE              write the results document (JSON, schema pdbench/results@1)
  --csv FILE              also write the results as CSV
  --md FILE               also write the results as a Markdown table
  --json                  print the results document to stdout instead of the table
  --trials N              timed spans per case (default ${DEFAULT_RUN.trials})
  --warmup N              warm-up spans per case (default ${DEFAULT_RUN.warmup})
  --seed N                seed of every input and verification sample (default ${DEFAULT_RUN.seed})
  --wall-clock            time with the wall clock even when timestamp queries exist
  --no-probe              do not time a short copy around each case (on by default on hardware GPUs: a case
                          timed while the copy runs below 85% of its best rate is re-timed, up to 3 times,
                          and flagged 'machine degraded' if it never recovers)
  --dawn-flag FLAG        Dawn toggle, repeatable (e.g. enable-dawn-features=allow_unsafe_apis); PDB_DAWN_FLAGS adds more
  --software              use SwiftShader (a software Vulkan) instead of the GPU: correct but slow, never rated
  --require-feature NAME  fail unless the adapter has this WebGPU feature (repeatable)
  --peak-f32 GFLOPS       theoretical f32 peak to rate against (overrides the built-in database)
  --peak-f16 GFLOPS       theoretical f16 peak (vector units)
  --peak-f16-matrix GFLOPS  theoretical f16 matrix-unit (tensor core) peak, for subgroup-matrix kernels
  --peak-bw GBPS          theoretical memory bandwidth
  -h, --help              this text

exit status: 0 all cases verified (or skipped with a reason), 1 a case failed verification or errored,
2 bad command line, 3 no usable GPU (no adapter, lost device, missing feature).`;

/** Dawn toggles from a whitespace-separated list (PDB_DAWN_FLAGS, or one --dawn-flag value). */
export function splitFlags(list: string | undefined): string[] {
  return (list ?? '').split(/\s+/).filter((f) => f.length > 0);
}

function bad(msg: string): never {
  throw new PdbError('bad-option', `${msg} (see --help).`);
}

function int(name: string, v: string | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min) bad(`--${name} needs a whole number ≥ ${min}, got ${JSON.stringify(v)}`);
  return Number(v);
}

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) bad(`--${name} needs a positive number, got ${JSON.stringify(v)}`);
  return n;
}

/** Parses argv (without node and script); throws PdbError('bad-option' | 'bad-filter') on bad input. */
export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        runtime: { type: 'string' },
        preset: { type: 'string' },
        filter: { type: 'string' },
        list: { type: 'boolean' },
        out: { type: 'string' },
        csv: { type: 'string' },
        md: { type: 'string' },
        json: { type: 'boolean' },
        trials: { type: 'string' },
        warmup: { type: 'string' },
        seed: { type: 'string' },
        'wall-clock': { type: 'boolean' },
        'no-probe': { type: 'boolean' },
        'dawn-flag': { type: 'string', multiple: true },
        software: { type: 'boolean' },
        'require-feature': { type: 'string', multiple: true },
        'peak-f32': { type: 'string' },
        'peak-f16': { type: 'string' },
        'peak-f16-matrix': { type: 'string' },
        'peak-bw': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    // node:util reports e.g. "Unknown option '--filer'"; keep its words, add the way out.
    bad(e instanceof Error ? e.message.replace(/\.\s*$/, '').split('\n')[0] ?? 'bad option' : 'bad option');
  }
  const v = parsed.values;
  const runtime = v.runtime ?? 'node';
  if (runtime !== 'node') bad(`--runtime ${JSON.stringify(runtime)} is not available in this CLI: use --runtime node, or open the page (npm run dev) to run in Chrome`);
  const preset = v.preset ?? 'quick';
  if (!isPreset(preset)) bad(`--preset must be one of ${PRESETS.join(', ')}, got ${JSON.stringify(preset)}`);
  if (v.filter !== undefined) compileFilter(v.filter);
  const flags = [...splitFlags(env.PDB_DAWN_FLAGS), ...(v['dawn-flag'] ?? []).flatMap(splitFlags)];
  const peaks: CliOptions['peaks'] = {};
  const f32 = positive('peak-f32', v['peak-f32']);
  const f16 = positive('peak-f16', v['peak-f16']);
  const f16m = positive('peak-f16-matrix', v['peak-f16-matrix']);
  const bw = positive('peak-bw', v['peak-bw']);
  if (f32 !== undefined) peaks.f32_gflops = f32;
  if (f16 !== undefined) peaks.f16_gflops = f16;
  if (f16m !== undefined) peaks.f16_matrix_gflops = f16m;
  if (bw !== undefined) peaks.bandwidth_gbps = bw;
  return {
    runtime: 'node',
    preset,
    filter: v.filter,
    out: v.out,
    csv: v.csv,
    md: v.md,
    json: v.json ?? false,
    trials: int('trials', v.trials, DEFAULT_RUN.trials, 1),
    warmup: int('warmup', v.warmup, DEFAULT_RUN.warmup, 0),
    seed: int('seed', v.seed, DEFAULT_RUN.seed, 0),
    dawnFlags: [...new Set(flags)],
    wallClock: v['wall-clock'] ?? false,
    probe: !(v['no-probe'] ?? false),
    software: v.software ?? false,
    list: v.list ?? false,
    help: v.help ?? false,
    requireFeatures: v['require-feature'] ?? [],
    peaks,
  };
}
