import { CorefileError } from '../../src/corefile/types.ts';

/** The message of the CorefileError that `fn` throws; fails the test if it throws nothing or something else. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof CorefileError) return e.message;
    throw e;
  }
  throw new Error('expected a CorefileError');
}
