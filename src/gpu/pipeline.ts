/**
 * Compute pipelines, cached per device by a key made only of specialization inputs (WGSL text,
 * entry point, override constants): problem sizes live in uniforms, so one pipeline serves all shapes.
 */
const caches = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();
const modules = new WeakMap<GPUDevice, Map<string, Promise<GPUShaderModule>>>();

export interface PipelineDesc {
  label: string;
  code: string;
  entryPoint: string;
  constants?: Readonly<Record<string, number>>;
}

/**
 * The module for this WGSL, compiled and checked once per device. Compilation info is asked for
 * once per module: asking again for a module already used by a pipeline crashed Chrome 156's
 * renderer on SwiftShader.
 */
function shaderModule(device: GPUDevice, label: string, code: string): Promise<GPUShaderModule> {
  let map = modules.get(device);
  if (!map) modules.set(device, (map = new Map()));
  let mod = map.get(code);
  if (!mod) {
    const m = device.createShaderModule({ label, code });
    mod = m.getCompilationInfo().then((info) => {
      const errors = info.messages.filter((msg) => msg.type === 'error');
      if (errors.length > 0) {
        const text = errors.map((msg) => `${msg.lineNum}:${msg.linePos} ${msg.message}`).join('; ');
        throw new Error(`WGSL of ${label} does not compile: ${text}`);
      }
      return m;
    });
    map.set(code, mod);
  }
  return mod;
}

function cacheKey(d: PipelineDesc): string {
  const consts = Object.entries(d.constants ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${d.entryPoint}|${consts}|${d.code}`;
}

/** Returns the cached pipeline for this specialization, compiling it (asynchronously) on first use. */
export async function getPipeline(device: GPUDevice, d: PipelineDesc): Promise<GPUComputePipeline> {
  let map = caches.get(device);
  if (!map) caches.set(device, (map = new Map()));
  const key = cacheKey(d);
  const hit = map.get(key);
  if (hit) return hit;
  const module = await shaderModule(device, d.label, d.code);
  const pipeline = await device.createComputePipelineAsync({
    label: d.label,
    layout: 'auto',
    compute: { module, entryPoint: d.entryPoint, ...(d.constants ? { constants: { ...d.constants } } : {}) },
  });
  map.set(key, pipeline);
  return pipeline;
}

/** Bind group for group 0 with the buffers in binding order 0, 1, 2, ... */
export function bindBuffers(device: GPUDevice, pipeline: GPUComputePipeline, label: string, buffers: readonly GPUBuffer[]): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

/** Splits a 1-D workgroup count over x and y so neither exceeds the per-dimension limit. */
export function dispatch2d(groups: number, maxPerDim: number): [number, number] {
  if (groups <= maxPerDim) return [Math.max(1, groups), 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y];
}
