import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// GPU tests run on Dawn. Without a GPU (CI) they use SwiftShader, the Vulkan software ICD that
// Debian's chromium ships; PDB_TEST_HARDWARE=1 keeps the system's Vulkan driver instead.
const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.PDB_TEST_HARDWARE && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = swiftshader;
// Chromium also ships libvulkan.so.1; forked workers read LD_LIBRARY_PATH at start-up, so this
// helps where the libvulkan1 package is missing.
process.env.LD_LIBRARY_PATH = ['/usr/lib/chromium', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
// SwiftShader's Vulkan loader probes Wayland and prints an error per device when XDG_RUNTIME_DIR is
// unset (CI); a private empty one keeps the test log readable.
process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'pdb-xdg-'));

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' } },
      // One worker at a time: SwiftShader already uses every core, and GPU tests share one adapter.
      { extends: true, test: { name: 'gpu', include: ['tests/gpu/**/*.test.ts'], environment: 'node', fileParallelism: false, testTimeout: 120_000, hookTimeout: 60_000 } },
      { extends: true, test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], environment: 'node', fileParallelism: false, testTimeout: 180_000, hookTimeout: 120_000 } },
    ],
  },
});
