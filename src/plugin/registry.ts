/**
 * The plugin registry. Each plugin lives in src/plugins/<name>/index.ts and exports `definition`;
 * the registry finds them by name from the canonical order, so adding a plugin is adding a folder.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PluginDefinition } from './contract.ts';
import { PLUGIN_ORDER } from './order.ts';

const pluginsDir = fileURLToPath(new URL('../plugins/', import.meta.url));
// .ts when run from the sources (tests, type stripping), .js when run compiled from dist/ (src/build.mjs).
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
let loaded: Promise<Map<string, PluginDefinition>> | undefined;

/** All plugins this build has, keyed by directive name, in execution order. */
export function loadPlugins(): Promise<Map<string, PluginDefinition>> {
  loaded ??= (async () => {
    const out = new Map<string, PluginDefinition>();
    for (const name of PLUGIN_ORDER) {
      const file = `${pluginsDir}${name}/index${ext}`;
      if (!existsSync(file)) continue;
      const mod = (await import(file)) as { definition?: PluginDefinition };
      if (!mod.definition) throw new Error(`src/plugins/${name}/index.ts does not export "definition"`);
      out.set(name, mod.definition);
    }
    return out;
  })();
  return loaded;
}
