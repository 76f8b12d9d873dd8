/**
 * End to end: the real page, built by Vite and served by its preview server on 127.0.0.1 (the
 * production bundle users get; the dev server would reload the page when it optimizes a dependency
 * mid-run), in headless Chromium through Puppeteer, gets a WebGPU adapter (SwiftShader without a
 * GPU) and produces a verified copy result.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'puppeteer-core';
import { build, preview, type PreviewServer } from 'vite';
import { launchChrome } from '../../bench/chrome';
import { parseResultsDoc } from '../../src/report/schema';
import type { PageState } from '../../src/ui/main';

let server: PreviewServer;
let browser: Browser;
let base = '';

beforeAll(async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'pdb-page-'));
  await build({ configFile: 'vite.config.ts', logLevel: 'error', build: { outDir, emptyOutDir: true } });
  server = await preview({ configFile: 'vite.config.ts', logLevel: 'error', build: { outDir }, preview: { port: 0, host: '127.0.0.1' } });
  base = server.resolvedUrls?.local[0] ?? '';
  browser = await launchChrome({ software: !process.env.PDB_TEST_HARDWARE });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve, reject) => server?.httpServer.close((e) => (e ? reject(e) : resolve())));
});

async function runPage(query: string): Promise<PageState> {
  const page = await browser.newPage();
  try {
    await page.goto(`${base}?${query}`);
    await page.waitForFunction(() => ['done', 'error'].includes(window.__pdbench?.state ?? ''), { timeout: 150_000 });
    return await page.evaluate(() => window.__pdbench);
  } finally {
    await page.close();
  }
}

describe('the page in headless Chromium', () => {
  it('gets an adapter and produces verified copy and FMA ceilings', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const state = await runPage('preset=test&filter=%5Eceiling%2F(copy%7Cfma%2Ff32)&trials=3&autorun=1');
    expect(state.error).toBeNull();
    expect(state.state).toBe('done');
    const doc = parseResultsDoc(state.doc);
    expect(doc.context.runtime.kind).toBe('browser');
    expect(doc.context.runtime.user_agent).toMatch(/Chrome/);
    expect(doc.results).toHaveLength(2);
    // The FMA case autotunes over several pipelines of one module (this once crashed Chrome's renderer).
    expect(doc.results[1]?.status).toBe('ok');
    expect(doc.results[1]?.verification?.passed).toBe(true);
    const copy = doc.results[0];
    expect(copy?.id).toMatch(/^ceiling\/copy\/f32\/bytes=\d+$/);
    expect(copy?.status).toBe('ok');
    expect(copy?.verification?.passed).toBe(true);
    expect(copy?.gbps).toBeGreaterThan(0);
    expect(doc.ceilings.copy_gbps).toBe(copy?.gbps);
  });

  it('says what is wrong with a bad filter and runs nothing', async () => {
    const state = await runPage('preset=test&filter=%28unclosed&autorun=1');
    expect(state.state).toBe('error');
    expect(state.error).toMatch(/not a valid regular expression/);
    expect(state.doc).toBeNull();
  });
});
