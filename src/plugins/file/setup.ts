/**
 * Parse a `file` directive (CoreDNS's plugin/file/setup.go is the reference):
 *
 *   file DBFILE [ZONES...] {
 *       reload DURATION        # default 1m; 0 disables
 *       reload_by_mtime        # reload when the file's modification time changes, serial or not
 *       fallthrough [ZONES...]
 *       upstream [ADDRESS...]  # accepted and ignored, as CoreDNS does
 *   }
 *
 * DBFILE relative paths resolve against the root plugin's directory, else the working directory.
 * ZONES default to the server block's zones; CIDRs become their reverse zones.
 */
import { isAbsolute, resolve } from 'node:path';
import { CorefileError, type Directive } from '../../corefile/types.ts';
import { parseDuration } from '../../plugin/duration.ts';
import { Fallthrough, parseFallthrough } from '../../plugin/fallthrough.ts';
import { normalizeZoneArg } from '../../plugin/zones.ts';

export interface FileConfig {
  path: string;
  origins: string[];       // lower-case absolute, in the order written
  reloadMs: number;        // 0: no reloading
  reloadText: string;      // as written (for log lines)
  reloadByMtime: boolean;
  fall: Fallthrough;
}

export const DEFAULT_RELOAD_MS = 60_000;

export function parseFileDirective(d: Directive, blockZones: readonly string[], rootDir: string): FileConfig {
  if (d.args.length === 0) throw CorefileError.at(d, 'file needs the zone file to serve: file DBFILE [ZONES...]');
  const [file, ...zones] = d.args;
  const cfg: FileConfig = {
    path: isAbsolute(file!) ? file! : resolve(rootDir, file!),
    origins: zones.length > 0 ? [...new Set(zones.flatMap(normalizeZoneArg))] : [...blockZones],
    reloadMs: DEFAULT_RELOAD_MS,
    reloadText: '1m0s',
    reloadByMtime: false,
    fall: Fallthrough.none,
  };
  for (const opt of d.block ?? []) {
    switch (opt.name) {
      case 'reload': {
        if (opt.args.length !== 1) throw CorefileError.at(opt, 'reload needs a duration (0 disables), e.g. "reload 30s"');
        const ms = parseDuration(opt.args[0]!);
        if (ms === undefined) throw CorefileError.at(opt, `invalid duration for reload '${opt.args[0]}' — write it like 30s, 1m or 1h`);
        if (ms < 0) throw CorefileError.at(opt, `invalid negative duration for reload '${opt.args[0]}'`);
        cfg.reloadMs = ms;
        cfg.reloadText = opt.args[0]!;
        break;
      }
      case 'reload_by_mtime':
        if (opt.args.length > 0) throw CorefileError.at(opt, 'reload_by_mtime takes no arguments');
        cfg.reloadByMtime = true;
        break;
      case 'fallthrough':
        cfg.fall = parseFallthrough(opt.args);
        break;
      case 'upstream':
        break; // accepted and ignored, as CoreDNS does since CNAME targets are always looked up
      default:
        throw CorefileError.at(opt, `unknown property '${opt.name}' — file takes reload, reload_by_mtime, fallthrough`);
    }
  }
  return cfg;
}
