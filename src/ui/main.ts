/**
 * The page: acquire the device, choose a preset and filter, run the same suite code as the CLI,
 * show the table and offer the results document. URL parameters preset, filter, trials and
 * autorun=1 drive it headless (the CLI and the end-to-end test use them); the run's state is
 * published on `window.__pdbench` for them.
 */
import { acquireGpu, type GpuContext } from '../gpu/device';
import { errorMessage, isPdbError } from '../gpu/errors';
import { COLUMNS, describeContext, toRow } from '../report/format';
import type { ResultsDoc } from '../report/schema';
import { casesFor, isPreset, type Preset } from '../suite/registry';
import { DEFAULT_RUN, runSuite } from '../suite/runner';

/** What headless drivers read. */
export interface PageState {
  state: 'starting' | 'ready' | 'running' | 'done' | 'error';
  error: string | null;
  doc: ResultsDoc | null;
}

declare global {
  interface Window {
    __pdbench: PageState;
  }
}

const page: PageState = { state: 'starting', error: null, doc: null };
window.__pdbench = page;

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page is missing #${id}`);
  return e as T;
}

const statusEl = el<HTMLParagraphElement>('status');
const runBtn = el<HTMLButtonElement>('run');
const downloadBtn = el<HTMLButtonElement>('download');
const presetSel = el<HTMLSelectElement>('preset');
const filterIn = el<HTMLInputElement>('filter');

function setStatus(text: string, error = false): void {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', error);
}

function fail(message: string): void {
  page.state = 'error';
  page.error = message;
  setStatus(message, true);
}

function renderDevice(ctx: GpuContext): void {
  const d = ctx.info;
  const name = [d.vendor, d.architecture, d.device, d.description].filter((s) => s.length > 0).join(' / ');
  const p = el<HTMLParagraphElement>('device-text');
  p.textContent = `${name || 'unnamed adapter'} — features: ${[...ctx.features].sort().join(', ') || 'none'}`;
  if (d.software) {
    const warn = document.createElement('span');
    warn.className = 'software';
    warn.textContent = ' Software adapter: results are correct but slow, and are never rated against a GPU peak. See the README to enable hardware WebGPU.';
    p.append(warn);
  }
}

function renderResults(doc: ResultsDoc): void {
  const ctxList = el<HTMLUListElement>('context');
  ctxList.replaceChildren(...describeContext(doc).map((line) => Object.assign(document.createElement('li'), { textContent: line })));
  el<HTMLElement>('summary').hidden = false;
  const table = el<HTMLTableElement>('results-table');
  const head = document.createElement('tr');
  for (const [, title] of COLUMNS) head.append(Object.assign(document.createElement('th'), { textContent: title, scope: 'col' }));
  table.tHead?.replaceChildren(head);
  const rows = doc.results.map((r) => {
    const row = toRow(r, doc);
    const tr = document.createElement('tr');
    tr.className = r.status;
    tr.dataset.id = r.id;
    for (const [key] of COLUMNS) tr.append(Object.assign(document.createElement('td'), { textContent: row[key], className: key }));
    return tr;
  });
  table.tBodies[0]?.replaceChildren(...rows);
  el<HTMLElement>('results').hidden = false;
}

function download(doc: ResultsDoc): void {
  const blob = new Blob([JSON.stringify(doc, null, 1)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `pdbench-${doc.context.preset}-${doc.context.date.replace(/[:.]/g, '-')}.json`;
  a.click();
  URL.revokeObjectURL(a.href);
}

async function run(ctx: GpuContext, preset: Preset, filter: string, trials: number): Promise<void> {
  let cases;
  try {
    cases = casesFor(preset, ctx.limits, filter);
  } catch (e) {
    fail(errorMessage(e));
    return;
  }
  if (cases.length === 0) {
    fail(`The filter ${JSON.stringify(filter)} selects no case of preset ${preset}.`);
    return;
  }
  page.state = 'running';
  page.error = null;
  runBtn.disabled = true;
  try {
    const doc = await runSuite(ctx, cases, {
      ...DEFAULT_RUN,
      trials,
      preset,
      onProgress: ({ index, total, id, result }) => setStatus(`${result ? 'done' : 'running'} ${index + 1}/${total}: ${id}${result ? ` — ${result.status}` : ''}`),
    });
    page.doc = doc;
    page.state = 'done';
    renderResults(doc);
    const bad = doc.results.filter((r) => r.status === 'failed' || r.status === 'error').length;
    setStatus(`Finished ${doc.results.length} cases${bad > 0 ? `, ${bad} failed verification or errored` : ''}.`, bad > 0);
    downloadBtn.disabled = false;
    downloadBtn.onclick = () => download(doc);
  } catch (e) {
    fail(isPdbError(e) ? e.message : `Unexpected error: ${errorMessage(e)}`);
  } finally {
    runBtn.disabled = ctx.lostMessage !== null;
  }
}

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const presetParam = params.get('preset');
  if (presetParam !== null) {
    if (!isPreset(presetParam)) return fail(`Unknown preset ${JSON.stringify(presetParam)} in the URL: use test, quick or full.`);
    presetSel.value = presetParam;
  }
  filterIn.value = params.get('filter') ?? '';
  const trialsParam = params.get('trials');
  const trials = trialsParam === null ? DEFAULT_RUN.trials : Number(trialsParam);
  if (!Number.isInteger(trials) || trials < 1) return fail(`trials=${JSON.stringify(trialsParam)} in the URL is not a whole number ≥ 1.`);
  let ctx: GpuContext;
  try {
    ctx = await acquireGpu(navigator.gpu, { runtime: { kind: 'browser', user_agent: navigator.userAgent } });
  } catch (e) {
    el<HTMLParagraphElement>('device-text').textContent = 'No WebGPU device.';
    return fail(errorMessage(e));
  }
  renderDevice(ctx);
  void ctx.lost.then((info) => fail(`The GPU device was lost (${info.message || info.reason}). Reload the page to get a new one.`));
  page.state = 'ready';
  runBtn.disabled = false;
  el<HTMLFormElement>('run-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const preset = presetSel.value;
    if (isPreset(preset)) void run(ctx, preset, filterIn.value.trim(), trials);
  });
  setStatus('Ready.');
  if (params.get('autorun') === '1') {
    const preset = presetSel.value;
    if (isPreset(preset)) await run(ctx, preset, filterIn.value.trim(), trials);
  }
}

void start();
