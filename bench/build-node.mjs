// Bundles the Node runner into one ESM file, dist-node/pdbench.mjs, with only the `webgpu` package
// left external, so the GPU machine kit (../shared/device/pack.sh dist-node) can carry it.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** `import src from './x.wgsl?raw'` as text, the way Vite reads it. */
const rawPlugin = {
  name: 'raw',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({ path: resolve(args.resolveDir, args.path.replace(/\?raw$/, '')), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, async (args) => ({ contents: await readFile(args.path, 'utf8'), loader: 'text', resolveDir: dirname(args.path) }));
  },
};

await build({
  entryPoints: ['bench/cli.ts'],
  outfile: 'dist-node/pdbench.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['webgpu'],
  plugins: [rawPlugin],
  sourcemap: false,
  logLevel: 'warning',
  // esbuild's ESM output needs `require` for node built-ins pulled in by CommonJS dependencies.
  banner: { js: "import { createRequire as __pdbCreateRequire } from 'node:module'; const require = __pdbCreateRequire(import.meta.url);" },
});
