/**
 * WebGPU usage and map-mode bits, as fixed by the spec (GPUBufferUsage, GPUMapMode). Defined here so
 * that core modules never read browser globals at import time (Dawn for Node installs them later).
 */
export const Usage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  QUERY_RESOLVE: 0x0200,
} as const;

export const MapMode = { READ: 0x0001, WRITE: 0x0002 } as const;
