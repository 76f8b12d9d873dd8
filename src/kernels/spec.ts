/**
 * The kernel spec: one per kernel variant, gathered in the registry. A spec knows its WGSL, what it
 * needs from the device, its FLOP and byte formulas (compulsory traffic: each input read once,
 * each output written once), its tolerance, and how to build an instance for a shape, which holds the
 * GPU resources and a float64 reference for any output element.
 */
import type { GpuContext } from '../gpu/device';
import type { Phase } from '../report/schema';
import type { Rng } from '../util/rng';

export type Shape = Readonly<Record<string, number>>;

export interface Tolerance {
  abs: number;
  rel: number;
}

/** A built case: GPU resources for one shape plus the CPU reference over the same inputs. */
export interface KernelInstance {
  /** Records one execution of the operation (one or more dispatches) into a compute pass. */
  encode(pass: GPUComputePassEncoder): void;
  /** Number of output elements. */
  readonly outputCount: number;
  /** Reads output elements at `indices` (sorted, distinct) after at least one execution. */
  readOutputs(indices: readonly number[]): Promise<ArrayLike<number>>;
  /** float64 reference value of output element `index`, computed from the same inputs. */
  reference(index: number): number;
  /** Specialization actually used (tile sizes, autotune winner...), recorded in the result. */
  readonly config?: Readonly<Record<string, string | number>>;
  /** Frees every GPU resource the instance owns. */
  destroy(): void;
}

export interface KernelSpec<S extends Shape = Shape> {
  family: string;
  variant: string;
  dtype: string;
  phase: Phase;
  /** One line for listings and the page. */
  description: string;
  /** WGSL source(s) of the kernel (for listings; `build` compiles them). */
  wgsl: readonly string[];
  /** Features without which the case is skipped, with that reason. */
  requires: readonly string[];
  /** Throws SkipCase when the shape does not fit this device (limits, memory, configs). */
  check?(ctx: GpuContext, shape: S): void;
  flops(shape: S): number;
  bytes(shape: S): number;
  tolerance(shape: S): Tolerance;
  build(ctx: GpuContext, shape: S, rng: Rng): Promise<KernelInstance>;
}

/** One runnable case: a spec at a shape. */
export interface BenchCase {
  readonly id: string;
  readonly spec: KernelSpec;
  readonly shape: Shape;
}

/** Canonical shape key: `m=2048,n=4096,k=4096` in the spec's own key order. */
export function shapeKey(shape: Shape): string {
  return Object.entries(shape)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Case id from parameters: `family/variant/dtype/shape`. The same string names the case everywhere. */
export function caseId(spec: Pick<KernelSpec, 'family' | 'variant' | 'dtype'>, shape: Shape): string {
  return `${spec.family}/${spec.variant}/${spec.dtype}/${shapeKey(shape)}`;
}

export function makeCase<S extends Shape>(spec: KernelSpec<S>, shape: S): BenchCase {
  return { id: caseId(spec, shape), spec: spec as unknown as KernelSpec, shape };
}
