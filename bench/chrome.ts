/** Launches Chrome/Chromium for WebGPU through puppeteer-core (which never downloads a browser). */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';
import { PdbError } from '../src/gpu/errors';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];

/** The browser binary: PDB_CHROME, then PUPPETEER_EXECUTABLE_PATH, then the usual install paths. */
export function findChrome(env: Readonly<Record<string, string | undefined>> = process.env): string {
  for (const p of [env.PDB_CHROME, env.PUPPETEER_EXECUTABLE_PATH, ...CANDIDATES]) if (p && existsSync(p)) return p;
  throw new PdbError('no-webgpu', 'No Chrome or Chromium found: install one (Debian/Ubuntu: apt-get install chromium) or set PDB_CHROME to its path.');
}

/**
 * Flags: WebGPU on (also where the GPU blocklist would refuse it), full-resolution timestamps
 * (Chrome otherwise quantizes them to 100 µs), and no background network (the CI network is closed).
 */
export function chromeArgs(opts: { software?: boolean } = {}): string[] {
  const args = [
    '--enable-unsafe-webgpu',
    '--enable-webgpu-developer-features',
    '--disable-dawn-features=timestamp_quantization',
    '--ignore-gpu-blocklist',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-features=Translate,MediaRouter',
  ];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  if (process.platform === 'linux') args.push('--enable-features=Vulkan');
  if (opts.software) args.push('--use-webgpu-adapter=swiftshader');
  return args;
}

export async function launchChrome(opts: { software?: boolean; headless?: boolean } = {}): Promise<Browser> {
  return puppeteer.launch({ executablePath: findChrome(), headless: opts.headless ?? true, args: chromeArgs(opts) });
}
