/** WGSL sources are imported as text (Vite `?raw`; the Node bundle's esbuild plugin does the same). */
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}
