/**
 * trimMalloc(): glibc's malloc_trim(0) through the small addon memory.c (built at `npm ci`), which
 * gives the free pages inside malloc's heaps back to the kernel. Used after a busy spell, when the
 * thread is quiet (src/server/idle-memory.ts). Without the addon (no compiler at install, not Linux,
 * not glibc) it does nothing: freed malloc memory then stays resident, as it always did.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ADDON = fileURLToPath(new URL('./build/memory.node', import.meta.url));
let addon: { trimMalloc(): boolean } | null | undefined;   // null: not available

/** true when malloc gave memory back; false when it had none to give or the addon is missing. */
export function trimMalloc(): boolean {
  if (addon === undefined) {
    addon = null;
    if (process.platform === 'linux' && existsSync(ADDON)) {
      try { addon = createRequire(import.meta.url)(ADDON) as { trimMalloc(): boolean }; } catch { /* stays null */ }
    }
  }
  return addon?.trimMalloc() ?? false;
}
