import { defineConfig } from 'vite';

// WebGPU needs a secure context: serve on 127.0.0.1 (localhost counts as secure), never file://.
export default defineConfig({
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  preview: { host: '127.0.0.1', port: 4173, strictPort: false },
  build: { target: 'es2022', outDir: 'dist', chunkSizeWarningLimit: 300 },
});
