// Parameter types are derived from the step schemas; these assertions fail the type check (test/typecheck.test.ts)
// when a schema and the type its step's code expects drift apart.

import { describe, expect, it } from 'vitest';
import type { FailParams } from '../../src/steps/generic/fail.js';
import type { PauseParams } from '../../src/steps/generic/pause.js';
import type { ShellParams } from '../../src/steps/generic/shell.js';
import type { SleepParams } from '../../src/steps/generic/sleep.js';
import { sleepStep } from '../../src/steps/generic/sleep.js';
import type { StepInput } from '../../src/steps/types.js';

/** true only when A and B are the same type (mutually assignable is not enough for optional vs required). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Flattens intersections (Omit<…> & {…}) so Equal compares the resulting shape. */
type Flat<T> = T extends unknown ? { [K in keyof T]: T[K] } : never;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

describe('step parameter types follow their schemas', () => {
  it('generic', () => {
    assertType<Equal<FailParams, { message: string }>>();
    assertType<Equal<PauseParams, { message: string }>>();
    assertType<Equal<ShellParams, { run: string; command?: string[]; workingDirectory?: string } | { command: string[]; run?: string; workingDirectory?: string }>>();
    assertType<Equal<StepInput<typeof sleepStep.schema>, { duration: string | number }>>();
    assertType<Equal<Flat<SleepParams>, { durationMs: number }>>();
    expect(sleepStep.normalize!({ duration: '1m' })).toEqual({ durationMs: 60_000 });
  });
});
