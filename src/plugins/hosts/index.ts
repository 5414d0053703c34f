/**
 * The hosts plugin: serve A, AAAA and PTR records from an /etc/hosts style file and/or inline
 * entries in the Corefile. See README.md.
 *
 * One thread reads and watches the file: the control thread (or the only one). It parses each
 * version into one shared table (table.ts) and publishes it with replicated() (src/plugin): every
 * answering thread answers from that same memory, so a 100k-line file costs one copy and one
 * poller, not one per thread. Single-thread mode goes the same way (publish is then a plain
 * assignment): the encoded table is several times smaller than Maps of strings, and one lookup
 * path serves every thread count. The Corefile's inline entries are small and parsed in every
 * thread. The thread that reads the file sets the metrics, so they count the entries once.
 */
import { statSync } from 'node:fs';
import { CorefileError, type Directive } from '../../corefile/types.ts';
import type { BlockInfo, PluginDefinition, SetupContext } from '../../plugin/contract.ts';
import { HostsPlugin } from './handler.ts';
import { HostsIndex, parseHosts } from './hostsfile.ts';
import { HostsTable, parseHostsTable } from './table.ts';
import { replicated } from '../../plugin/replicated.ts';
import { hostsMetrics } from './metrics.ts';
import { parseHostsDirective } from './setup.ts';
import { HostsFileWatcher } from './watch.ts';

/** Blocks that already have a hosts plugin (CoreDNS: "this plugin can only be used once per Server Block"). */
const seenBlocks = new WeakSet<BlockInfo>();

/** The directory relative FILE paths resolve against: the working directory, as CoreDNS's without a `root` plugin (clusterdns has none). */
function rootDir(): string { return process.cwd(); }

function setup(d: Directive, ctx: SetupContext): HostsPlugin {
  if (seenBlocks.has(ctx.block)) throw CorefileError.at(d, 'hosts can only be used once per server block — merge the two hosts directives');
  const cfg = parseHostsDirective(d, ctx.block.zones, rootDir());

  if (d.args.length > 0) {
    try {
      if (statSync(cfg.path).isDirectory()) ctx.log.warning(`Hosts file "${cfg.path}" is a directory`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Missing is a warning, as in CoreDNS; under -validate it is listed (the file may exist only where it runs).
      if (code === 'ENOENT' && ctx.mode === 'validate') ctx.notChecked?.(`file ${cfg.path} does not exist here; not checked (offline validation)`);
      else if (code === 'ENOENT') ctx.log.warning(`File does not exist: ${cfg.path}`);
      else throw CorefileError.at(d, `unable to access hosts file '${cfg.path}': ${(err as Error).message}`);
    }
  }

  const parseOpts = { origins: cfg.origins, autoReverse: cfg.autoReverse };
  const index = new HostsIndex(parseHosts(cfg.inline.join('\n'), parseOpts));
  const file = replicated<SharedArrayBuffer>(ctx, 'file');
  file.onChange((table) => { index.file = new HostsTable(table); });
  let watcher: HostsFileWatcher | undefined;
  if (file.writer) {
    const metrics = hostsMetrics();
    watcher = new HostsFileWatcher(cfg.path, index, parseOpts, ctx.log, (e) => {
      file.publish(e.table);
      metrics.entries.set(index.entries());
      metrics.reloadTimestamp.set(e.mtimeMs / 1000);
    });
    watcher.loadSync();
    // No file (yet): the answering threads start with the inline entries alone.
    if (!file.has) file.publish(parseHostsTable('', parseOpts));
    metrics.entries.set(index.entries());
  }
  seenBlocks.add(ctx.block);
  return new HostsPlugin(cfg, index, file, watcher);
}

export const definition: PluginDefinition = { name: 'hosts', setup };
