/**
 * Presets, in a module of their own so that kernel families can name the type without importing
 * the registry that imports them:
 *   test  — tiny shapes, seconds on a software adapter (CI);
 *   quick — real working sets, a minute on a GPU;
 *   full  — the reference sweep (what BENCHMARKS.md reports).
 */
export const PRESETS = ['test', 'quick', 'full'] as const;
export type Preset = (typeof PRESETS)[number];

export function isPreset(s: string): s is Preset {
  return (PRESETS as readonly string[]).includes(s);
}
