/**
 * Loading the project's small N-API addons (build/*.node, built by build.mjs at `npm install` with
 * the system compiler): once per addon and thread, with the reason when one cannot be used here
 * (not Linux, not built, or it failed to load), so each caller can fall back and say why.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Loaded<T> = { addon: T; why: '' } | { addon: undefined; why: string };

const loaded = new Map<string, Loaded<unknown>>();

/** The path of addon `name` (e.g. 'udp' → build/udp.node). */
export function addonPath(name: string): string {
  return fileURLToPath(new URL(`./build/${name}.node`, import.meta.url));
}

/** Addon `name`, loaded on first use. */
export function loadAddon<T>(name: string): Loaded<T> {
  let l = loaded.get(name);
  if (!l) {
    const path = addonPath(name);
    if (process.platform !== 'linux') l = { addon: undefined, why: `not Linux (${process.platform})` };
    else if (!existsSync(path)) l = { addon: undefined, why: `${path} not built (npm install builds it)` };
    else {
      try {
        l = { addon: createRequire(import.meta.url)(path) as unknown, why: '' };
      } catch (e) {
        l = { addon: undefined, why: (e as Error).message };
      }
    }
    loaded.set(name, l);
  }
  return l as Loaded<T>;
}
