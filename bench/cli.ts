/**
 * The Node runner: the suite on Dawn's `webgpu` package. Prints a table (progress on stderr) and
 * writes the results document. Bundled by bench/build-node.mjs into dist-node/pdbench.mjs.
 */
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { acquireGpu, type GpuContext } from '../src/gpu/device';
import { PdbError, errorMessage, isPdbError } from '../src/gpu/errors';
import { userPeaks } from '../src/peaks/database';
import { describeContext, formatTable, machineNote, sweepLines, toCsv, toMarkdown } from '../src/report/format';
import { parseResultsDoc, type ResultsDoc } from '../src/report/schema';
import { casesFor } from '../src/suite/registry';
import { DEFAULT_RUN, runSuite } from '../src/suite/runner';
import { createNodeGpu } from './dawn';
import { USAGE, parseCli, type CliOptions } from './options';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Fails before any work if an output file could not be written (no directory), so nothing is lost late. */
function checkOutputs(opts: CliOptions): void {
  for (const f of [opts.out, opts.csv, opts.md]) {
    if (f === undefined) continue;
    const dir = dirname(resolve(f));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new PdbError('bad-option', `Cannot write ${f}: the folder ${dir} does not exist; create it or choose another path.`);
  }
}

/** Writes a file whole or not at all: to a temporary name first, then renamed over the target. */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(argv: readonly string[]): Promise<number> {
  const opts = parseCli(argv, process.env);
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  checkOutputs(opts);
  if (opts.software) {
    if (!existsSync(SWIFTSHADER_ICD)) throw new PdbError('no-adapter', `--software needs SwiftShader's Vulkan ICD at ${SWIFTSHADER_ICD} (Debian: apt-get install chromium).`);
    // Read by the Vulkan loader when Dawn creates its instance, which happens after this point.
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  const { gpu, runtime } = createNodeGpu(opts.dawnFlags);
  let ctx: GpuContext | null = null;
  try {
    ctx = await acquireGpu(gpu, { runtime, requireFeatures: opts.requireFeatures });
    const cases = casesFor(opts.preset, ctx.limits, opts.filter);
    if (cases.length === 0) {
      throw new PdbError('bad-filter', `The filter ${JSON.stringify(opts.filter ?? '')} selects no case of preset ${opts.preset}; run with --list to see the case ids.`);
    }
    if (opts.list) {
      process.stdout.write(`${cases.map((c) => c.id).join('\n')}\n`);
      return 0;
    }
    const doc: ResultsDoc = await runSuite(ctx, cases, {
      ...DEFAULT_RUN,
      seed: opts.seed,
      trials: opts.trials,
      warmup: opts.warmup,
      wallClock: opts.wallClock,
      probe: opts.probe ? 'auto' : 'off',
      preset: opts.preset,
      onProgress: ({ index, total, id, result }) => {
        if (!result) return;
        const fig = result.gflops !== null ? `${(result.gflops / 1000).toPrecision(3)} TFLOP/s` : result.gbps !== null ? `${result.gbps.toPrecision(4)} GB/s` : '';
        const tuned = result.config?.tile ?? result.config?.form;
        const machine = machineNote(result);
        progress(`[${index + 1}/${total}] ${id}  ${result.status}${fig ? `  ${fig}` : ''}${tuned !== undefined ? `  [${tuned}]` : ''}${machine ? `  {${machine}}` : ''}${result.reason ? `  (${result.reason})` : ''}`);
      },
    });
    if (Object.keys(opts.peaks).length > 0) doc.context.peaks = userPeaks(opts.peaks);
    // What is written is what a reader will accept: validate before writing anything.
    parseResultsDoc(JSON.parse(JSON.stringify(doc)));
    if (opts.out) writeAtomic(opts.out, `${JSON.stringify(doc, null, 1)}\n`);
    if (opts.csv) writeAtomic(opts.csv, toCsv(doc));
    if (opts.md) writeAtomic(opts.md, `${toMarkdown(doc)}\n`);
    if (opts.json) process.stdout.write(`${JSON.stringify(doc, null, 1)}\n`);
    else process.stdout.write(`${describeContext(doc).join('\n')}\n\n${formatTable(doc)}\n${sweepLines(doc).map((l) => `${l}\n`).join('')}`);
    const bad = doc.results.filter((r) => r.status === 'failed' || r.status === 'error');
    if (bad.length > 0) progress(`${bad.length} case(s) failed or errored: ${bad.map((r) => r.id).join(', ')}`);
    return bad.length > 0 ? 1 : 0;
  } finally {
    ctx?.device.destroy();
  }
}

const EXIT_FOR: Record<string, number> = { 'bad-option': 2, 'bad-filter': 2, 'no-webgpu': 3, 'no-adapter': 3, 'device-lost': 3, 'missing-feature': 3 };

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (isPdbError(e)) {
      process.stderr.write(`pdbench: ${e.message}\n`);
      process.exit(EXIT_FOR[e.code] ?? 1);
    }
    process.stderr.write(`pdbench: unexpected error: ${errorMessage(e)}\n${e instanceof Error ? (e.stack ?? '') : ''}\n`);
    process.exit(1);
  },
);
