/** The Node runner as users run it: the bundled CLI in a child process, on SwiftShader. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseResultsDoc } from '../../src/report/schema';

const CLI = 'dist-node/pdbench.mjs';

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  // Vulkan and SwiftShader print loader noise on stderr; pdbench's own lines start with its name.
  const own = r.stderr.split('\n').filter((l) => l.startsWith('pdbench:'));
  return { status: r.status, stdout: r.stdout, own };
}

beforeAll(() => {
  const b = spawnSync(process.execPath, ['bench/build-node.mjs'], { encoding: 'utf8' });
  expect(b.status, b.stderr).toBe(0);
});

describe('pdbench CLI (Node + Dawn)', () => {
  it('runs a filtered preset, prints the table and writes a valid document, CSV and Markdown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdb-'));
    const out = join(dir, 'r.json');
    const r = cli(['--software', '--preset', 'test', '--filter', '^ceiling/copy', '--trials', '3', '--out', out, '--csv', join(dir, 'r.csv'), '--md', join(dir, 'r.md')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/SOFTWARE adapter/);
    expect(r.stdout).toMatch(/ceiling\/copy\/f32\/bytes=\d+\s+ok/);
    const doc = parseResultsDoc(JSON.parse(readFileSync(out, 'utf8')));
    expect(doc.results.map((x) => x.status)).toEqual(['ok']);
    expect(doc.context.runtime.kind).toBe('node');
    expect(doc.context.runtime.dawn_flags).toContain('disable-dawn-features=timestamp_quantization');
    expect(readFileSync(join(dir, 'r.csv'), 'utf8').split('\n')[1]).toMatch(/^ceiling\/copy/);
    expect(readFileSync(join(dir, 'r.md'), 'utf8')).toMatch(/\| ceiling\/copy/);
    expect(readdirSync(dir).sort()).toEqual(['r.csv', 'r.json', 'r.md']);
  });

  it('lists case ids without running', () => {
    const r = cli(['--software', '--preset', 'test', '--list', '--filter', '^ceiling/']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(expect.arrayContaining([expect.stringMatching(/^ceiling\/copy\/f32\/bytes=/), expect.stringMatching(/^ceiling\/fma\/f32\//)]));
  });

  it.each([
    [['--filer', 'x'], 2, /Unknown option '--filer'/],
    [['--filter', '(oops'], 2, /not a valid regular expression/],
    [['--software', '--preset', 'test', '--filter', 'no-such-case'], 2, /selects no case/],
    [['--software', '--preset', 'test', '--require-feature', 'chromium-experimental-subgroup-matrix'], 3, /lacks the WebGPU feature 'chromium-experimental-subgroup-matrix'/],
  ])('%j: one clear sentence, exit %i, nothing written', (args, code, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'pdb-'));
    const r = cli([...args, '--out', join(dir, 'r.json')]);
    expect(r.status).toBe(code);
    expect(r.own).toHaveLength(1);
    expect(r.own[0]).toMatch(message);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('says so when there is no adapter at all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdb-'));
    const r = cli(['--preset', 'test', '--out', join(dir, 'r.json')], { VK_ICD_FILENAMES: join(dir, 'no-such-icd.json') });
    expect(r.status).toBe(3);
    expect(r.own[0]).toMatch(/found no GPU adapter.*--software/);
    expect(existsSync(join(dir, 'r.json'))).toBe(false);
  });
});
