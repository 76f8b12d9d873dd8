/**
 * Error scopes and device loss as one piece of infrastructure: every GPU step of every case runs
 * inside `guarded`, so a validation error, an out-of-memory or a lost device surfaces as one
 * PdbError naming the step, instead of a silent wrong number.
 */
import { PdbError, errorMessage, isPdbError } from './errors';
import type { GpuContext } from './device';

const FILTERS: readonly GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];

/** Throws if the device is already lost. */
export function assertAlive(ctx: GpuContext): void {
  if (ctx.lostMessage !== null) {
    throw new PdbError('device-lost', `The GPU device was lost (${ctx.lostMessage}); reload the page or rerun the command to get a new device.`);
  }
}

/**
 * Runs `fn` inside validation, out-of-memory and internal error scopes and fails with the first
 * GPU error, or with the device-loss reason if the device is lost meanwhile.
 */
export async function guarded<T>(ctx: GpuContext, step: string, fn: () => Promise<T> | T): Promise<T> {
  assertAlive(ctx);
  const { device } = ctx;
  for (const f of FILTERS) device.pushErrorScope(f);
  let value: T | undefined;
  let thrown: unknown = null;
  try {
    value = await Promise.race([
      Promise.resolve().then(fn),
      ctx.lost.then((info): never => {
        throw new PdbError('device-lost', `The GPU device was lost during ${step} (${info.message || info.reason}); rerun to get a new device.`);
      }),
    ]);
  } catch (e) {
    thrown = e;
  }
  // Pop in reverse order of the pushes; all three are popped even after a failure.
  const errors: (GPUError | null)[] = [];
  for (let i = FILTERS.length - 1; i >= 0; i--) {
    errors.push(await device.popErrorScope().catch(() => null));
  }
  const gpuError = errors.find((e) => e !== null);
  if (gpuError) {
    const kind = (typeof GPUOutOfMemoryError !== 'undefined' && gpuError instanceof GPUOutOfMemoryError) || /out of memory/i.test(gpuError.message) ? 'out of memory' : 'GPU error';
    throw new PdbError('gpu-error', `${kind} during ${step}: ${gpuError.message.trim()}`);
  }
  if (thrown !== null) {
    if (isPdbError(thrown) || thrown instanceof Error) throw thrown;
    throw new Error(errorMessage(thrown));
  }
  return value as T;
}
