/**
 * GPU timing. With `timestamp-query`, each span is one compute pass whose beginning and end write
 * timestamps, holding `batch` executions of a case; without it, the wall clock brackets submit and
 * `onSubmittedWorkDone`. The clock used is recorded with every figure.
 */
import { gcdAll } from '../report/stats';
import type { Clock, TimerInfo } from '../report/schema';
import { MapMode, Usage } from './flags';

/** Records one execution of a case into the pass. */
export type Encode = (pass: GPUComputePassEncoder) => void;

export interface SpanTimer {
  readonly kind: Clock;
  /** Runs `spans` spans of `batch` executions; returns each span's duration in ms (non-positive spans dropped). */
  measure(encode: Encode, batch: number, spans: number): Promise<number[]>;
  /** What was learned about the clock so far. */
  info(): TimerInfo;
  destroy(): void;
}

/** Spans in one submission at most, so a command buffer stays well inside driver watchdogs. */
const MAX_SPANS_PER_SUBMIT = 64;
/** Quantization at or above this step (ns) marks a coarsened clock (Chrome rounds to 100 µs). */
const QUANTIZED_NS = 10_000n;

/**
 * What spans (ns) tell about a timestamp clock: its step is the GCD of the spans seen, and a step of
 * 10 µs or more marks a coarsened clock. Only spans that vary tell the step (the GCD of identical
 * spans is the span itself), so fewer than 4 spans or a single distinct value say nothing.
 */
export function timestampInfo(spans: readonly bigint[]): TimerInfo {
  const distinct = new Set(spans.map(String));
  if (spans.length < 4 || distinct.size < 2) return { kind: 'timestamp', resolution_ns: null, quantized: false };
  const g = gcdAll(spans);
  return { kind: 'timestamp', resolution_ns: Number(g), quantized: g >= QUANTIZED_NS };
}

class TimestampTimer implements SpanTimer {
  readonly kind = 'timestamp' as const;
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private readonly spansSeen: bigint[] = [];

  constructor(private readonly device: GPUDevice) {
    this.querySet = device.createQuerySet({ label: 'timer', type: 'timestamp', count: 2 * MAX_SPANS_PER_SUBMIT });
    this.resolve = device.createBuffer({ label: 'timer-resolve', size: 16 * MAX_SPANS_PER_SUBMIT, usage: Usage.QUERY_RESOLVE | Usage.COPY_SRC });
  }

  async measure(encode: Encode, batch: number, spans: number): Promise<number[]> {
    const out: number[] = [];
    for (let done = 0; done < spans; ) {
      const n = Math.min(MAX_SPANS_PER_SUBMIT, spans - done);
      const staging = this.device.createBuffer({ label: 'timer-read', size: 16 * n, usage: Usage.MAP_READ | Usage.COPY_DST });
      const enc = this.device.createCommandEncoder({ label: 'timed' });
      for (let s = 0; s < n; s++) {
        const pass = enc.beginComputePass({
          label: 'timed-span',
          timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * s, endOfPassWriteIndex: 2 * s + 1 },
        });
        for (let b = 0; b < batch; b++) encode(pass);
        pass.end();
      }
      enc.resolveQuerySet(this.querySet, 0, 2 * n, this.resolve, 0);
      enc.copyBufferToBuffer(this.resolve, 0, staging, 0, 16 * n);
      this.device.queue.submit([enc.finish()]);
      await staging.mapAsync(MapMode.READ);
      const ts = new BigUint64Array(staging.getMappedRange().slice(0));
      staging.unmap();
      staging.destroy();
      for (let s = 0; s < n; s++) {
        const t0 = ts[2 * s] ?? 0n;
        const t1 = ts[2 * s + 1] ?? 0n;
        // Timestamps may be zero, equal or even go backwards (spec: implementations may clamp or
        // reorder); such spans carry no information and are discarded.
        if (t1 > t0) {
          const d = t1 - t0;
          this.spansSeen.push(d);
          out.push(Number(d) / 1e6);
        }
      }
      done += n;
    }
    return out;
  }

  info(): TimerInfo {
    return timestampInfo(this.spansSeen);
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
  }
}

class WallTimer implements SpanTimer {
  readonly kind = 'wall' as const;
  constructor(private readonly device: GPUDevice) {}

  async measure(encode: Encode, batch: number, spans: number): Promise<number[]> {
    const out: number[] = [];
    for (let s = 0; s < spans; s++) {
      const enc = this.device.createCommandEncoder({ label: 'timed-wall' });
      const pass = enc.beginComputePass({ label: 'timed-span' });
      for (let b = 0; b < batch; b++) encode(pass);
      pass.end();
      const cmd = enc.finish();
      // Drain earlier work first so the span holds this batch alone.
      await this.device.queue.onSubmittedWorkDone();
      const t0 = performance.now();
      this.device.queue.submit([cmd]);
      await this.device.queue.onSubmittedWorkDone();
      const ms = performance.now() - t0;
      if (ms > 0) out.push(ms);
    }
    return out;
  }

  info(): TimerInfo {
    return { kind: 'wall', resolution_ns: null, quantized: false };
  }

  destroy(): void {}
}

/**
 * Keeps the GPU busy with `encode` until at least `ms` of measured span time has passed, timing
 * `spans` spans of `batch` executions per call, for at most `maxCalls` calls (GPU clocks follow load).
 */
export async function busyFor(timer: SpanTimer, encode: Encode, batch: number, ms: number, spans: number, maxCalls: number): Promise<void> {
  let done = 0;
  for (let i = 0; i < maxCalls && done < ms; i++) done += (await timer.measure(encode, batch, spans)).reduce((a, b) => a + b, 0);
}

/** Timestamp timer when the device has `timestamp-query` (and it is not disabled), else the wall clock. */
export function createTimer(device: GPUDevice, preferWall = false): SpanTimer {
  if (!preferWall && device.features.has('timestamp-query')) return new TimestampTimer(device);
  return new WallTimer(device);
}
