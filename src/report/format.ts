/** Text renderings of a results document: a console table, Markdown and CSV, all derived from the doc. */
import { utilization } from './roofline';
import type { CaseResult, ResultsDoc } from './schema';
import { describeSweeps } from './sweep';

/** Number with 3 significant digits (k/M suffixes avoided: units are in the column name). */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  return x.toPrecision(digits);
}

export function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`;
}

export interface Row {
  id: string;
  status: string;
  median_ms: string;
  spread_ms: string;
  tflops: string;
  gbps: string;
  of_peak: string;
  of_ceiling: string;
  max_rel_err: string;
  clock: string;
  note: string;
}

export const COLUMNS: readonly [keyof Row, string][] = [
  ['id', 'case'],
  ['status', 'status'],
  ['median_ms', 'median ms'],
  ['spread_ms', 'p10–p90 ms'],
  ['tflops', 'TFLOP/s'],
  ['gbps', 'GB/s'],
  ['of_peak', '% peak'],
  ['of_ceiling', '% ceiling'],
  ['max_rel_err', 'max rel err'],
  ['clock', 'clock'],
  ['note', 'note'],
];

/**
 * What the machine-state probe saw, in words: '' when the first attempt was healthy (or no probe ran),
 * else how many times the case was re-timed and, when it never recovered, that its figure is from a
 * slowed machine (the lowest probe of the kept attempt as a share of the run's best).
 */
export function machineNote(r: CaseResult): string {
  const m = r.machine;
  if (!m || m.probe_gbps.length === 0) return '';
  const n = m.probe_gbps.length;
  if (m.degraded) {
    const [b0, b1] = m.probe_gbps[n - 1] ?? [0, 0];
    const [f0, f1] = m.probe_gflops[n - 1] ?? [0, 0];
    const copy = m.probe_best_gbps > 0 ? Math.min(b0, b1) / m.probe_best_gbps : 0;
    const fma = m.probe_best_gflops > 0 ? Math.min(f0, f1) / m.probe_best_gflops : 0;
    return `machine degraded while timed: probe copy at ${pct(copy)}, FMA at ${pct(fma)} of their best after ${n} attempt(s)`;
  }
  if (n > 1) return `re-timed ${n - 1}× (probe was low)`;
  return '';
}

/** One display row per result; utilization is against the peak and the measured ceiling. */
export function toRow(r: CaseResult, doc: ResultsDoc): Row {
  const software = doc.context.device.software;
  const u = utilization(r, doc.ceilings, software ? null : doc.context.peaks);
  const note =
    r.status === 'ok' ? [u?.suspect ? `over 100% (${u.metric}): suspect` : '', machineNote(r)].filter((s) => s.length > 0).join('; ') : (r.reason ?? '');
  return {
    id: r.id,
    status: r.status,
    median_ms: fmt(r.time?.median_ms ?? null, 4),
    spread_ms: r.time ? `${fmt(r.time.p10_ms, 3)}–${fmt(r.time.p90_ms, 3)} (n=${r.time.samples})` : '—',
    tflops: r.gflops === null ? '—' : fmt(r.gflops / 1000),
    gbps: fmt(r.gbps),
    of_peak: u ? pct(u.ofPeak) + (u.ofPeak !== null ? ` ${u.metric === 'gflops' ? 'F' : 'B'}` : '') : '—',
    of_ceiling: u ? pct(u.ofCeiling) : '—',
    max_rel_err: r.verification ? r.verification.max_rel_err.toExponential(1) : '—',
    clock: r.clock ?? '—',
    note,
  };
}

/** One-paragraph header: device, runtime, timer, ceilings, peaks. */
export function describeContext(doc: ResultsDoc): string[] {
  const c = doc.context;
  const d = c.device;
  const dev = [d.vendor, d.architecture, d.device, d.description].filter((s) => s.length > 0).join(' / ') || 'unknown adapter';
  const rt = c.runtime.kind === 'node' ? `Node ${c.runtime.node_version ?? '?'} + Dawn ${c.runtime.dawn_version ?? '?'}${c.runtime.dawn_flags?.length ? ` (${c.runtime.dawn_flags.join(' ')})` : ''}` : `browser: ${c.runtime.user_agent ?? '?'}`;
  const timer = c.timer.kind === 'timestamp' ? `timestamp queries${c.timer.resolution_ns !== null ? `, step ${c.timer.resolution_ns} ns` : ''}${c.timer.quantized ? (c.runtime.kind === 'node' ? ' (quantized: drop the timestamp_quantization Dawn toggle for full resolution)' : ' (quantized: start Chrome with --enable-webgpu-developer-features for full resolution)') : ''}` : 'wall clock (no timestamp-query)';
  const ceil = doc.ceilings;
  const lines = [
    `device: ${dev}${d.software ? '  [SOFTWARE adapter: figures are not rated against any peak]' : ''}`,
    `runtime: ${rt}`,
    `timer: ${timer}; preset ${c.preset}, seed ${c.seed}, pdbench ${c.suite_version}, ${c.date}`,
    `measured ceilings: copy ${fmt(ceil.copy_gbps)} GB/s, f32 FMA ${fmt(ceil.fma_f32_gflops === null ? null : ceil.fma_f32_gflops / 1000)} TFLOP/s, f16 FMA ${fmt(ceil.fma_f16_gflops === null ? null : ceil.fma_f16_gflops / 1000)} TFLOP/s`,
    c.peaks
      ? `theoretical peaks (${c.peaks.name}; ${c.peaks.source}): f32 ${fmt(c.peaks.f32_gflops === null ? null : c.peaks.f32_gflops / 1000)} TFLOP/s, f16 ${fmt(c.peaks.f16_gflops === null ? null : c.peaks.f16_gflops / 1000)} TFLOP/s, f16 matrix units ${fmt(c.peaks.f16_matrix_gflops === null ? null : c.peaks.f16_matrix_gflops / 1000)} TFLOP/s, ${fmt(c.peaks.bandwidth_gbps)} GB/s`
      : 'theoretical peaks: none known for this adapter (give them with --peak-f32/--peak-f16/--peak-f16-matrix/--peak-bw)',
  ];
  const probed = doc.results.filter((r) => r.machine !== undefined);
  if (probed.length > 0) {
    const best = Math.max(...probed.map((r) => r.machine?.probe_best_gbps ?? 0));
    const bestF = Math.max(...probed.map((r) => r.machine?.probe_best_gflops ?? 0));
    const retimed = probed.filter((r) => (r.machine?.probe_gbps.length ?? 0) > 1).length;
    const degraded = probed.filter((r) => r.machine?.degraded === true).length;
    lines.push(
      `machine probe: a short copy and FMA run around each case, best ${fmt(best)} GB/s and ${fmt(bestF / 1000)} TFLOP/s; ${retimed} of ${probed.length} cases re-timed because it ran below 85% of its best, ${degraded} flagged as timed on a degraded machine`,
    );
  }
  return lines;
}

/** Fixed-width console table. */
export function formatTable(doc: ResultsDoc): string {
  const rows = doc.results.map((r) => toRow(r, doc));
  const widths = COLUMNS.map(([k, title]) => Math.max(title.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(COLUMNS.map(([, t]) => t)), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(COLUMNS.map(([k]) => r[k])))].join('\n');
}

/** Markdown table (for BENCHMARKS.md and issue comments). */
export function toMarkdown(doc: ResultsDoc): string {
  const rows = doc.results.map((r) => toRow(r, doc));
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    ...describeContext(doc).map((l) => `- ${esc(l)}`),
    '',
    `| ${COLUMNS.map(([, t]) => t).join(' | ')} |`,
    `|${COLUMNS.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${COLUMNS.map(([k]) => esc(r[k])).join(' | ')} |`),
    ...sweepLines(doc).map((l) => esc(l)),
  ].join('\n');
}

/** Batch-sweep summaries (src/report/sweep.ts) after a blank line, or nothing. */
export function sweepLines(doc: ResultsDoc): string[] {
  const lines = describeSweeps(doc);
  return lines.length > 0 ? ['', ...lines.map((l) => `- ${l}`)] : [];
}

/** CSV with raw numbers (no formatting), one line per result. */
export function toCsv(doc: ResultsDoc): string {
  const head = ['id', 'family', 'variant', 'dtype', 'phase', 'status', 'median_ms', 'p10_ms', 'p90_ms', 'samples', 'batch', 'gflops', 'gbps', 'flops', 'bytes', 'clock', 'max_abs_err', 'max_rel_err', 'probe_attempts', 'machine_degraded', 'reason'];
  const q = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = doc.results.map((r) =>
    [r.id, r.family, r.variant, r.dtype, r.phase, r.status, r.time?.median_ms, r.time?.p10_ms, r.time?.p90_ms, r.time?.samples, r.time?.batch, r.gflops, r.gbps, r.flops, r.bytes, r.clock, r.verification?.max_abs_err, r.verification?.max_rel_err, r.machine?.probe_gbps.length, r.machine?.degraded, r.reason].map(q).join(','),
  );
  return [head.join(','), ...lines].join('\n') + '\n';
}
