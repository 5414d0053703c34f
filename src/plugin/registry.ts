/**
 * The plugin registry. Each plugin lives in src/plugins/<name>/index.ts and exports `definition`;
 * the registry finds them by name from the canonical order, so adding a plugin is adding a folder.
 *
 * A plugin's module is imported only when a Corefile uses it (loadPlugins(names)): a server loads
 * the code of its own plugins, not of all of them. That keeps what one plugin needs out of every
 * other server: the HTTP stack of health/ready/prometheus (node:http, http2, webstreams, undici),
 * the Kubernetes client, forward's TLS — a hosts-only server, one thread, is ~15 MiB smaller for it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PluginDefinition } from './contract.ts';
import { PLUGIN_ORDER } from './order.ts';

const pluginsDir = fileURLToPath(new URL('../plugins/', import.meta.url));
// .ts when run from the sources (tests, type stripping), .js when run compiled from dist/ (src/build.mjs).
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const loaded = new Map<string, Promise<PluginDefinition | undefined>>();

/** The definition of plugin `name`, imported on first use; undefined when this build has no such plugin. */
function load(name: string): Promise<PluginDefinition | undefined> {
  let p = loaded.get(name);
  if (!p) {
    p = (async () => {
      const file = `${pluginsDir}${name}/index${ext}`;
      if (!existsSync(file)) return undefined;
      const mod = (await import(file)) as { definition?: PluginDefinition };
      if (!mod.definition) throw new Error(`src/plugins/${name}/index.ts does not export "definition"`);
      return mod.definition;
    })();
    loaded.set(name, p);
  }
  return p;
}

/**
 * The plugins this build has, keyed by directive name, in execution order: all of them, or only
 * those among `names` (the directives a Corefile uses) — only those are imported.
 */
export async function loadPlugins(names?: Iterable<string>): Promise<Map<string, PluginDefinition>> {
  const wanted = names === undefined ? undefined : new Set(names);
  const out = new Map<string, PluginDefinition>();
  for (const name of PLUGIN_ORDER) {
    if (wanted && !wanted.has(name)) continue;
    const def = await load(name);
    if (def) out.set(name, def);
  }
  return out;
}
