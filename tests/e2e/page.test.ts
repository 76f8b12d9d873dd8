/**
 * End to end: the real page served by Vite on 127.0.0.1, in headless Chromium through Puppeteer,
 * gets a WebGPU adapter (SwiftShader without a GPU) and produces a verified copy result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'puppeteer-core';
import { createServer, type ViteDevServer } from 'vite';
import { launchChrome } from '../../bench/chrome';
import { parseResultsDoc } from '../../src/report/schema';
import type { PageState } from '../../src/ui/main';

let server: ViteDevServer;
let browser: Browser;
let base = '';

beforeAll(async () => {
  server = await createServer({ configFile: 'vite.config.ts', logLevel: 'error', server: { port: 0, host: '127.0.0.1' } });
  await server.listen();
  base = server.resolvedUrls?.local[0] ?? '';
  browser = await launchChrome({ software: !process.env.PDB_TEST_HARDWARE });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
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
  it('gets an adapter and produces a verified copy result', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const state = await runPage('preset=test&filter=%5Eceiling%2Fcopy&trials=3&autorun=1');
    expect(state.error).toBeNull();
    expect(state.state).toBe('done');
    const doc = parseResultsDoc(state.doc);
    expect(doc.context.runtime.kind).toBe('browser');
    expect(doc.context.runtime.user_agent).toMatch(/Chrome/);
    expect(doc.results).toHaveLength(1);
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
