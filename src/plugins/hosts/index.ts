/**
 * The hosts plugin: serve A, AAAA and PTR records from an /etc/hosts style file and/or inline
 * entries in the Corefile. See README.md.
 *
 * Every role (single, control, each data worker) reads and watches its own copy of the file: it is
 * cheap (a stat per reload interval; 100k entries parse in well under a second) and keeps each
 * worker independent of the main thread. Only the non-data side sets the metrics, so a
 * multi-worker server does not count the entries once per worker.
 */
import { statSync } from 'node:fs';
import { CorefileError, type Directive } from '../../corefile/types.ts';
import type { BlockInfo, PluginDefinition, SetupContext } from '../../plugin/contract.ts';
import { HostsPlugin } from './handler.ts';
import { HostsIndex, parseHosts } from './hostsfile.ts';
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
  const metrics = ctx.role === 'data' ? undefined : hostsMetrics();
  const watcher = new HostsFileWatcher(cfg.path, index, parseOpts, ctx.log, (e) => {
    metrics?.entries.set(e.entries);
    metrics?.reloadTimestamp.set(e.mtimeMs / 1000);
  });
  watcher.loadSync();
  metrics?.entries.set(index.entries());
  seenBlocks.add(ctx.block);
  return new HostsPlugin(cfg, index, watcher);
}

export const definition: PluginDefinition = { name: 'hosts', setup };
