/**
 * Device acquisition: one high-performance adapter, every optional feature pdbench can use, and the
 * adapter's own limits for the sizes that matter (the WebGPU defaults are far lower: 128 MiB
 * bindings, 16 KiB workgroup storage, 256 invocations).
 */
import { PdbError } from './errors';
import type { DeviceInfo, RuntimeInfo } from '../report/schema';

/** Optional features requested when the adapter has them. */
export const OPTIONAL_FEATURES = [
  'timestamp-query',
  'shader-f16',
  'subgroups',
  'chromium-experimental-subgroup-matrix',
] as const;

/** Limits raised to the adapter's maximum. */
export const RAISED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

/** Limits recorded in the results document. */
export const RECORDED_LIMITS = [...RAISED_LIMITS, 'maxUniformBufferBindingSize', 'minStorageBufferOffsetAlignment'] as const;

export type RaisedLimit = (typeof RAISED_LIMITS)[number];

type Limits = Readonly<Record<string, number | undefined>>;

/**
 * Largest storage buffer a kernel can bind, bytes: the smaller of the binding and buffer limits
 * (WebGPU's defaults, 128 MiB and 256 MiB, where a limit is unknown).
 */
export function maxBindingBytes(limits: Limits): number {
  return Math.min(limits.maxStorageBufferBindingSize ?? 134217728, limits.maxBufferSize ?? 268435456);
}

/** Workgroups per dispatch dimension (WebGPU's default 65535 where unknown). */
export function maxWorkgroupsPerDim(limits: Limits): number {
  return limits.maxComputeWorkgroupsPerDimension ?? 65535;
}

/** A subgroup-matrix configuration offered by the adapter (chromium-experimental-subgroup-matrix). */
export interface SubgroupMatrixConfig {
  componentType: string;
  resultComponentType: string;
  M: number;
  N: number;
  K: number;
}

/** Everything a case needs about the device it runs on. */
export interface GpuContext {
  /** The GPU object itself: held so that Dawn's instance outlives every device made from it. */
  readonly gpu: GPU;
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly info: DeviceInfo;
  readonly features: ReadonlySet<string>;
  readonly limits: Readonly<Record<string, number>>;
  readonly subgroupMatrixConfigs: readonly SubgroupMatrixConfig[];
  readonly runtime: RuntimeInfo;
  /** Resolves (never rejects) with the loss reason when the device is lost. */
  readonly lost: Promise<GPUDeviceLostInfo>;
  /** Set once the device is lost; every later run refuses to start. */
  lostMessage: string | null;
  /**
   * Brings the GPU to its working clocks before something is timed (set by the runner while its
   * machine-state probe exists; the autotune calls it). Absent: nothing to do.
   */
  warmUp?: () => Promise<void>;
}

const SOFTWARE_HINTS = /swiftshader|llvmpipe|lavapipe|warp|basic render|software/i;

/** Reads adapter info into the results-document shape; software adapters are flagged. */
export function describeAdapter(adapter: GPUAdapter): DeviceInfo {
  const info = adapter.info;
  // `isFallbackAdapter` moved from GPUAdapter to GPUAdapterInfo; read whichever exists.
  const fallback = Boolean(
    (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
      (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter,
  );
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  const sub = info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    subgroup_min_size: sub.subgroupMinSize ?? null,
    subgroup_max_size: sub.subgroupMaxSize ?? null,
    is_fallback: fallback,
    software: fallback || SOFTWARE_HINTS.test(text),
  };
}

export interface AcquireOptions {
  runtime: RuntimeInfo;
  /** Features the run cannot do without (missing ones fail with a clear error). */
  requireFeatures?: readonly string[];
  /** Never request these even if present (to test fallbacks). */
  disableFeatures?: readonly string[];
}

/** Gets the high-performance adapter and a device with all usable features and raised limits. */
export async function acquireGpu(gpu: GPU | undefined, opts: AcquireOptions): Promise<GpuContext> {
  if (!gpu) {
    throw new PdbError(
      'no-webgpu',
      'WebGPU is not available here (navigator.gpu is missing): use Chrome 113+ or Edge over https or http://127.0.0.1, see the README for enabling it on Linux.',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new PdbError(
      'no-adapter',
      opts.runtime.kind === 'node'
        ? 'Dawn found no GPU adapter: install the Vulkan loader (libvulkan1) and your GPU driver, or run on the CPU with --software (SwiftShader, from Debian\'s chromium package).'
        : 'The browser offers no WebGPU adapter: enable hardware acceleration (chrome://gpu shows the reason), or start Chrome with --enable-unsafe-webgpu; see the README for your OS.',
    );
  }
  const disabled = new Set(opts.disableFeatures ?? []);
  for (const f of opts.requireFeatures ?? []) {
    if (!adapter.features.has(f)) {
      throw new PdbError('missing-feature', `This adapter lacks the WebGPU feature '${f}' that the run requires: pick other cases or another GPU.`);
    }
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f) && !disabled.has(f)) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  const limits: Record<string, number> = {};
  for (const name of RECORDED_LIMITS) {
    const value = (device.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') limits[name] = value;
  }
  const configsRaw = (adapter.info as GPUAdapterInfo & { subgroupMatrixConfigs?: Iterable<SubgroupMatrixConfig> }).subgroupMatrixConfigs;
  const subgroupMatrixConfigs = configsRaw
    ? [...configsRaw].map((c) => ({
        componentType: String(c.componentType),
        resultComponentType: String(c.resultComponentType),
        M: Number(c.M),
        N: Number(c.N),
        K: Number(c.K),
      }))
    : [];
  const ctx: GpuContext = {
    gpu,
    adapter,
    device,
    info: describeAdapter(adapter),
    features: new Set([...device.features].map(String)),
    limits,
    subgroupMatrixConfigs,
    runtime: opts.runtime,
    lostMessage: null,
    lost: device.lost.then((info) => {
      ctx.lostMessage = info.message || info.reason || 'unknown reason';
      return info;
    }),
  };
  return ctx;
}
