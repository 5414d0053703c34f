/**
 * Let a signal through to its process.on() listener although Node keeps it blocked: under
 * --disable-sigusr1 Node never unblocks SIGUSR1 (it does so only when it starts the inspector's signal
 * thread), so without this a SIGUSR1 reload would never arrive. See signals.c. Call it only after the
 * listener is installed: an unblocked SIGUSR1 without one terminates the process.
 */
import { constants } from 'node:os';
import { loadAddon } from './addon.ts';

/** '' when `sig` now reaches this thread's listeners, else why not. */
export function unblockSignal(sig: 'SIGUSR1'): string {
  const { addon, why } = loadAddon<{ unblockSignal(signo: number): boolean }>('signals');
  if (!addon) return why;
  try {
    return addon.unblockSignal(constants.signals[sig]) ? '' : 'pthread_sigmask failed';
  } catch (e) {
    return (e as Error).message;
  }
}
