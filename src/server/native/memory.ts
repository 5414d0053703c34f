/**
 * trimMalloc(): glibc's malloc_trim(0) through the small addon memory.c (built at `npm ci`), which
 * gives the free pages inside malloc's heaps back to the kernel. Used after a busy spell, when the
 * thread is quiet (src/server/idle-memory.ts). Without the addon (no compiler at install, not Linux,
 * not glibc) it does nothing: freed malloc memory then stays resident, as it always did.
 */
import { loadAddon } from './addon.ts';

/** true when malloc gave memory back; false when it had none to give or the addon is missing. */
export function trimMalloc(): boolean {
  return loadAddon<{ trimMalloc(): boolean }>('memory').addon?.trimMalloc() ?? false;
}
