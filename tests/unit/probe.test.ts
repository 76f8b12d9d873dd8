import { describe, expect, it } from 'vitest';
import { machineNote, toCsv } from '../../src/report/format';
import type { CaseResult } from '../../src/report/schema';
import { ResultSchema } from '../../src/report/schema';
import { timeWithProbe, warmUntilHealthy, type Probe, type Reading } from '../../src/suite/probe';
import * as v from 'valibot';

/**
 * A probe that returns the given copy rates in order (GB/s) with FMA rates `fma` (default: a steady
 * 60000 GFLOP/s), and remembers the best of each, as the real one does.
 */
function fakeProbe(rates: number[], fma: number[] = []): Probe & { calls: number; heated: number[]; readied: number } {
  const top: Reading = { gbps: 0, gflops: 0 };
  const p = {
    calls: 0,
    async measure() {
      const r = { gbps: rates[p.calls] ?? rates[rates.length - 1] ?? 0, gflops: fma[p.calls] ?? fma[fma.length - 1] ?? 60000 };
      p.calls++;
      top.gbps = Math.max(top.gbps, r.gbps);
      top.gflops = Math.max(top.gflops, r.gflops);
      return r;
    },
    best: () => ({ ...top }),
    heated: [] as number[],
    async heat(ms: number) {
      p.heated.push(ms);
    },
    readied: 0,
    async ready() {
      p.readied++;
      return true;
    },
    destroy() {},
  };
  return p;
}

/** Spans that name their attempt: attempt i returns [i + 1]. */
function attemptsCounter(): { measure: () => Promise<number[]>; count: () => number } {
  let n = 0;
  return { measure: async () => [++n], count: () => n };
}

const fast = {};

describe('the machine-state probe around timed spans', () => {
  it('times once and records the probe when the machine is healthy', async () => {
    const t = attemptsCounter();
    const r = await timeWithProbe(t.measure, fakeProbe([3000, 2990]), fast);
    expect(t.count()).toBe(1);
    expect(r.ms).toEqual([1]);
    expect(r.machine).toEqual({ probe_best_gbps: 3000, probe_best_gflops: 60000, probe_gbps: [[3000, 2990]], probe_gflops: [[60000, 60000]], degraded: false });
  });

  it('re-times while a probe runs below 85% of its best, and keeps the first healthy attempt', async () => {
    const t = attemptsCounter();
    // Attempt 1: healthy before, slowed after (1500 < 0.85 * 3000); attempt 2: healthy on both sides.
    const probe = fakeProbe([3000, 1500, 2950, 2980]);
    const r = await timeWithProbe(t.measure, probe, fast);
    expect(t.count()).toBe(2);
    // The probe is brought to health before each attempt.
    expect(probe.readied).toBe(2);
    expect(r.ms).toEqual([2]);
    expect(r.machine?.probe_gbps).toEqual([
      [3000, 1500],
      [2950, 2980],
    ]);
    expect(r.machine?.degraded).toBe(false);
    expect(machineNote({ machine: r.machine } as CaseResult)).toBe('re-timed 1× (probe was low)');
  });

  it('gives up after the attempts and flags the figure as timed on a degraded machine', async () => {
    const t = attemptsCounter();
    // The best (3000) is seen once; every later probe is at half of it.
    const r = await timeWithProbe(t.measure, fakeProbe([3000, 1500, 1500]), { ...fast, attempts: 3 });
    expect(t.count()).toBe(3);
    expect(r.ms).toEqual([3]);
    expect(r.machine?.degraded).toBe(true);
    expect(r.machine?.probe_gbps).toHaveLength(3);
    expect(machineNote({ machine: r.machine } as CaseResult)).toBe('machine degraded while timed: probe copy at 50.0%, FMA at 100.0% of their best after 3 attempt(s)');
  });

  it('re-times when the arithmetic rate falls (a lower SM clock) even if the copy holds up', async () => {
    const t = attemptsCounter();
    // FMA at 1320/1980 of its best before the first attempt (0.67 < 0.85): re-timed; healthy next.
    const r = await timeWithProbe(t.measure, fakeProbe([3000], [60000, 40000, 59500, 59800]), fast);
    expect(t.count()).toBe(2);
    expect(r.machine?.probe_gflops).toEqual([
      [60000, 40000],
      [59500, 59800],
    ]);
    expect(r.machine?.degraded).toBe(false);
  });

  it('judges against the best rate so far, so a machine that speeds up is not called degraded by its own past', async () => {
    const t = attemptsCounter();
    // Clocks ramping: 2000 then 2900 — the first attempt's 2000 is below 85% of 2900, so it is re-timed once.
    const r = await timeWithProbe(t.measure, fakeProbe([2000, 2900, 2900, 2910]), fast);
    expect(t.count()).toBe(2);
    expect(r.machine?.degraded).toBe(false);
  });

  it('without a probe times once and records nothing', async () => {
    const t = attemptsCounter();
    const r = await timeWithProbe(t.measure, null, fast);
    expect(t.count()).toBe(1);
    expect(r.machine).toBeUndefined();
    expect(machineNote({} as CaseResult)).toBe('');
  });

  it('is part of the results schema (and its CSV), and malformed probe records are rejected', () => {
    const base: CaseResult = {
      id: 'ceiling/copy/f32/bytes=16',
      family: 'ceiling',
      variant: 'copy',
      dtype: 'f32',
      phase: 'ceiling',
      shape: { bytes: 16 },
      flops: 0,
      bytes: 32,
      status: 'ok',
      time: { median_ms: 1, p10_ms: 1, p90_ms: 1, samples: 1, batch: 1 },
      gflops: null,
      gbps: 3e-5,
      clock: 'timestamp',
      verification: null,
      machine: { probe_best_gbps: 3000, probe_best_gflops: 60000, probe_gbps: [[1200, 1300]], probe_gflops: [[59000, 59000]], degraded: true },
    };
    expect(v.safeParse(ResultSchema, base).success).toBe(true);
    expect(v.safeParse(ResultSchema, { ...base, machine: { ...base.machine, probe_gbps: [] } }).success).toBe(false);
    expect(v.safeParse(ResultSchema, { ...base, machine: { ...base.machine, probe_gbps: [[1, -1]] } }).success).toBe(false);
    const doc = { results: [base] } as Parameters<typeof toCsv>[0];
    const [head, row] = toCsv(doc).trim().split('\n');
    const cols = head?.split(',') ?? [];
    const cells = row?.split(',') ?? [];
    expect(cells[cols.indexOf('probe_attempts')]).toBe('1');
    expect(cells[cols.indexOf('machine_degraded')]).toBe('true');
  });

  it('heats until both readings are healthy, and gives up after the heat budget', async () => {
    // Best 3000 / 60000 seen first; then a low clock that recovers on the 3rd reading after heating.
    const probe = fakeProbe([3000, 1600, 2000, 2950], [60000, 10000, 30000, 59000]);
    await probe.measure();
    expect(await warmUntilHealthy(probe, { stepMs: 150, maxMs: 3000 })).toBe(true);
    expect(probe.heated).toEqual([150, 150, 150]);
    // Never recovers: stops after maxMs of heat.
    const stuck = fakeProbe([3000, 1600], [60000, 10000]);
    await stuck.measure();
    expect(await warmUntilHealthy(stuck, { stepMs: 150, maxMs: 600 })).toBe(false);
    expect(stuck.heated).toEqual([150, 150, 150, 150]);
  });
});
