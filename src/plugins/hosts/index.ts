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
 * Placement is declared (parts(): a control part that reads, an answering part that looks up).
 */
import { statSync } from 'node:fs';
import { CorefileError, type Directive } from '../../corefile/types.ts';
import type { SetupContext } from '../../plugin/contract.ts';
import { parts } from '../../plugin/parts.ts';
import { HostsPlugin } from './handler.ts';
import { HostsIndex, parseHosts } from './hostsfile.ts';
import { HostsTable, parseHostsTable } from './table.ts';
import { replicated, type Replicated } from '../../plugin/replicated.ts';
import { hostsMetrics } from './metrics.ts';
import { parseHostsDirective, type HostsConfig } from './setup.ts';
import { HostsFileWatcher } from './watch.ts';

/** The directory relative FILE paths resolve against: the working directory, as CoreDNS's without a `root` plugin (clusterdns has none). */
function rootDir(): string { return process.cwd(); }

interface Parsed {
  cfg: HostsConfig;
  /** What a look at the file found at setup: said once, by the control part. */
  access: 'ok' | 'directory' | 'missing';
  /** In one thread, the control part's table channel, which the answering part reads directly. */
  here: { file?: Replicated<SharedArrayBuffer> };
}

function parse(d: Directive, zones: readonly string[]): Parsed {
  const cfg = parseHostsDirective(d, zones, rootDir());
  let access: Parsed['access'] = 'ok';
  if (d.args.length > 0) {
    try {
      if (statSync(cfg.path).isDirectory()) access = 'directory';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') access = 'missing';
      else throw CorefileError.at(d, `unable to access hosts file '${cfg.path}': ${(err as Error).message}`);
    }
  }
  return { cfg, access, here: {} };
}

function inlineIndex(cfg: HostsConfig): HostsIndex {
  return new HostsIndex(parseHosts(cfg.inline.join('\n'), { origins: cfg.origins, autoReverse: cfg.autoReverse }));
}

/**
 * Two parts. The control part (the control thread, or the only one) reads and watches the file,
 * sets the metrics and publishes each version's table; the answering part (every thread that
 * answers) looks up in the latest table and the Corefile's inline entries. CoreDNS: "this plugin
 * can only be used once per Server Block".
 */
export const definition = parts({
  name: 'hosts',
  oncePerBlock: true,
  parse: (d: Directive, ctx: SetupContext): Parsed => parse(d, ctx.block.zones),
  control({ cfg, access, here }, ctx) {
    // Missing is a warning, as in CoreDNS; under -validate it is listed (the file may exist only where it runs).
    if (access === 'directory') ctx.log.warning(`Hosts file "${cfg.path}" is a directory`);
    else if (access === 'missing' && ctx.mode === 'validate') ctx.notChecked?.(`file ${cfg.path} does not exist here; not checked (offline validation)`);
    else if (access === 'missing') ctx.log.warning(`File does not exist: ${cfg.path}`);
    const parseOpts = { origins: cfg.origins, autoReverse: cfg.autoReverse };
    const index = inlineIndex(cfg);            // for the entries gauge and log lines (file + inline)
    const file = replicated<SharedArrayBuffer>(ctx, 'file');
    file.onChange((table) => { index.file = new HostsTable(table); });
    const metrics = hostsMetrics();
    const watcher = new HostsFileWatcher(cfg.path, index, parseOpts, ctx.log, (e) => {
      file.publish(e.table);
      metrics.entries.set(index.entries());
      metrics.reloadTimestamp.set(e.mtimeMs / 1000);
    });
    watcher.loadSync();
    // No file (yet): the answering threads start with the inline entries alone.
    if (!file.has) file.publish(parseHostsTable('', parseOpts));
    metrics.entries.set(index.entries());
    here.file = file;
    return {
      name: 'hosts',
      start: () => watcher.start(cfg.reloadMs),
      async close() { file.close(); await watcher.stop(); },
    };
  },
  answering({ cfg, here }, ctx) {
    const index = inlineIndex(cfg);
    const file = here.file ?? replicated<SharedArrayBuffer>(ctx, 'file');
    if (file.value) index.file = new HostsTable(file.value);
    file.onChange((table) => { index.file = new HostsTable(table); });
    return new HostsPlugin(cfg, index, file);
  },
});
