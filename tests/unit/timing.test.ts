import { describe, expect, it } from 'vitest';
import { timestampInfo, type SpanTimer } from '../../src/gpu/timer';
import { TUNE_WARM_MS, rankCandidates } from '../../src/suite/autotune';
import { calibrate } from '../../src/suite/runner';
import { Rng } from '../../src/util/rng';

/** A timestamp clock over a kernel of `execNs` (±10% jitter), rounded down to multiples of `stepNs`. */
function fakeTimer(execNs: number, stepNs: number): SpanTimer & { batches: number[] } {
  const rng = new Rng(5);
  const seen: bigint[] = [];
  const batches: number[] = [];
  return {
    kind: 'timestamp',
    batches,
    async measure(_encode, batch, spans) {
      batches.push(batch);
      const out: number[] = [];
      for (let s = 0; s < spans; s++) {
        const ns = Math.floor((batch * execNs * rng.uniform(0.9, 1.1)) / stepNs) * stepNs;
        if (ns > 0) {
          seen.push(BigInt(ns));
          out.push(ns / 1e6);
        }
      }
      return out;
    },
    info: () => timestampInfo(seen),
    destroy() {},
  };
}

describe('clock step and batch calibration', () => {
  it('reads the step of a clock from the GCD of varying spans', () => {
    expect(timestampInfo([300000n, 500000n, 200000n, 900000n])).toEqual({ kind: 'timestamp', resolution_ns: 100000, quantized: true });
    expect(timestampInfo([1000n, 1032n, 1064n, 1096n])).toEqual({ kind: 'timestamp', resolution_ns: 8, quantized: false });
    // Identical spans or too few say nothing about the step.
    expect(timestampInfo([100000n, 100000n, 100000n, 100000n]).resolution_ns).toBeNull();
    expect(timestampInfo([300000n, 500000n]).resolution_ns).toBeNull();
  });

  it('makes spans at least 100 steps long on a 100 µs clock (Chrome without developer features)', async () => {
    const timer = fakeTimer(7_000, 100_000);
    const { batch, perExecMs } = await calibrate(timer, { encode: () => {} }, { minSpanMs: 2, maxBatch: 4096 });
    expect(timer.info().quantized).toBe(true);
    expect(timer.info().resolution_ns).toBe(100_000);
    // 100 steps = 10 ms; at 7 µs ± 10% an execution, that needs at least ~1300 executions.
    expect(batch * 0.007 * 0.9).toBeGreaterThanOrEqual(10 * 0.95);
    expect(perExecMs).toBeGreaterThan(0.0055);
    expect(perExecMs).toBeLessThan(0.0085);
    // Spans below the step read as zero and are dropped; calibration grew the batch past them.
    expect(timer.batches[0]).toBe(1);
  });

  it('needs only the minimum span on a fine clock, and stops at the batch cap', async () => {
    const fine = fakeTimer(7_000, 1);
    const { batch } = await calibrate(fine, { encode: () => {} }, { minSpanMs: 2, maxBatch: 4096 });
    expect(batch * 0.007 * 1.1).toBeGreaterThanOrEqual(2);
    expect(batch).toBeLessThan(1000);
    const capped = await calibrate(fakeTimer(10, 1), { encode: () => {} }, { minSpanMs: 2, maxBatch: 64 });
    expect(capped.batch).toBe(64);
  });
});

describe('autotune across a clock step', () => {
  /**
   * A timestamp clock whose GPU runs 3× slow for the first `slowCalls` measurements (a low SM clock after
   * idle) and at full speed afterwards; each candidate's encode records its own per-execution cost.
   */
  function steppedClock(slowCalls: number): { timer: SpanTimer; costOf: Map<unknown, number> } {
    const costOf = new Map<unknown, number>();
    let calls = 0;
    const timer: SpanTimer = {
      kind: 'timestamp',
      async measure(encode, batch, spans) {
        const slow = calls++ < slowCalls ? 3 : 1;
        const cost = costOf.get(encode) ?? 1;
        return Array.from({ length: spans }, () => batch * cost * slow);
      },
      info: () => ({ kind: 'timestamp', resolution_ns: 32, quantized: false }),
      destroy() {},
    };
    return { timer, costOf };
  }

  it('picks the truly fastest candidate when the first pass starts on a slow clock', async () => {
    const { timer, costOf } = steppedClock(6);
    const fast = { config: 'fast', encode: () => {} };
    const slow = { config: 'slow', encode: () => {} };
    costOf.set(fast.encode, 1.0);
    costOf.set(slow.encode, 1.5);
    // Warm-up (3 calls) and the forward pass's first candidate run on the slow clock: 'fast' times 3.0
    // against 'slow' 1.5; the reverse pass times it again at full speed.
    const r = await rankCandidates(timer, [fast, slow], 4, 3, true, TUNE_WARM_MS);
    expect(r.best.config).toBe('fast');
    expect(r.timings).toEqual([1.0, 1.5]);
    // One pass only (software adapters, where timings mean nothing): the slow clock decides.
    const { timer: t2, costOf: c2 } = steppedClock(2);
    c2.set(fast.encode, 1.0);
    c2.set(slow.encode, 1.5);
    expect((await rankCandidates(t2, [fast, slow], 4, 3, false, 0)).best.config).toBe('slow');
  });
});
