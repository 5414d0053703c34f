/**
 * Let a signal through to its process.on() listener although Node keeps it blocked: under
 * --disable-sigusr1 Node never unblocks SIGUSR1 (it does so only when it starts the inspector's signal
 * thread), so without this a SIGUSR1 reload would never arrive. See signals.c. Call it only after the
 * listener is installed: an unblocked SIGUSR1 without one terminates the process.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const ADDON = fileURLToPath(new URL('./build/signals.node', import.meta.url));

/** '' when `sig` now reaches this thread's listeners, else why not. */
export function unblockSignal(sig: 'SIGUSR1'): string {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (!existsSync(ADDON)) return `${ADDON} not built (npm install builds it)`;
  try {
    const m = createRequire(import.meta.url)(ADDON) as { unblockSignal(signo: number): boolean };
    return m.unblockSignal(constants.signals[sig]) ? '' : 'pthread_sigmask failed';
  } catch (e) {
    return (e as Error).message;
  }
}
