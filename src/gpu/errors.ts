/**
 * One error type for everything a user can cause or meet: each carries a code and a sentence that
 * says what happened and what to do. Front ends print `message` and exit non-zero; they never
 * print a stack for a PdbError.
 */
export type PdbErrorCode =
  | 'no-webgpu'
  | 'no-adapter'
  | 'device-lost'
  | 'gpu-error'
  | 'missing-feature'
  | 'over-limits'
  | 'bad-option'
  | 'bad-filter'
  | 'bad-results'
  | 'bad-link'
  | 'verification-failed';

export class PdbError extends Error {
  override readonly name = 'PdbError';
  constructor(
    readonly code: PdbErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A case that cannot run here (missing feature, shape over limits): reported as skipped, with the reason. */
export class SkipCase extends Error {
  override readonly name = 'SkipCase';
}

export function isPdbError(e: unknown): e is PdbError {
  return e instanceof PdbError;
}

/** Narrowing assertion used instead of `!`: throws with the given message when the value is absent. */
export function must<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`internal: ${what} is missing`);
  return value;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
