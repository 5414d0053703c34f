/**
 * Parse a `hosts` directive (CoreDNS's plugin/hosts/setup.go is the reference):
 *
 *   hosts [FILE [ZONES...]] {
 *       [INLINE]
 *       ttl SECONDS
 *       no_reverse
 *       reload DURATION
 *       fallthrough [ZONES...]
 *       fallthrough_unsupported
 *   }
 *
 * Any block line that is not an option is an inline hosts entry, until a `fallthrough` line has
 * been seen; after it, an unknown line is an error (as CoreDNS).
 */
import { isAbsolute, resolve } from 'node:path';
import { CorefileError, type Directive } from '../../corefile/types.ts';
import { Fallthrough, parseFallthrough } from '../../plugin/fallthrough.ts';
import { parseDuration as parseGoDuration } from '../../plugin/duration.ts';
import { normalizeZoneArg } from '../../plugin/zones.ts';

export interface HostsConfig {
  path: string;                 // the hosts file, resolved against the root directory
  origins: string[];            // zones answered for (lower-case, absolute)
  inline: string[];             // inline hosts lines from the block
  ttl: number;
  autoReverse: boolean;
  reloadMs: number;             // 0 disables the periodic check
  fall: Fallthrough;
  fallthroughUnsupported: boolean;
}

export const DEFAULT_PATH = '/etc/hosts';
export const DEFAULT_TTL = 3600;
export const DEFAULT_RELOAD_MS = 5000;

function oneArg(d: Directive, what: string): string {
  if (d.args.length !== 1) throw CorefileError.at(d, `${d.name} needs ${what}`);
  return d.args[0]!;
}

export function parseHostsDirective(d: Directive, blockZones: readonly string[], rootDir: string): HostsConfig {
  const cfg: HostsConfig = {
    path: DEFAULT_PATH,
    origins: [...blockZones],
    inline: [],
    ttl: DEFAULT_TTL,
    autoReverse: true,
    reloadMs: DEFAULT_RELOAD_MS,
    fall: Fallthrough.none,
    fallthroughUnsupported: false,
  };
  const args = [...d.args];
  if (args.length > 0) {
    const file = args.shift()!;
    cfg.path = isAbsolute(file) ? file : resolve(rootDir, file);
  }
  if (args.length > 0) cfg.origins = args.flatMap(normalizeZoneArg);

  let unsupportedLine: Directive | undefined;
  for (const opt of d.block ?? []) {
    switch (opt.name) {
      case 'fallthrough':
        cfg.fall = parseFallthrough(opt.args);
        break;
      case 'fallthrough_unsupported':
        if (opt.args.length > 0) throw CorefileError.at(opt, 'fallthrough_unsupported takes no arguments — it uses the zones of fallthrough');
        cfg.fallthroughUnsupported = true;
        unsupportedLine = opt;
        break;
      case 'no_reverse':
        if (opt.args.length > 0) throw CorefileError.at(opt, 'no_reverse takes no arguments');
        cfg.autoReverse = false;
        break;
      case 'ttl': {
        const text = oneArg(opt, 'a time in seconds, e.g. "ttl 300"');
        if (!/^[+-]?\d+$/.test(text)) throw CorefileError.at(opt, `ttl needs a number of seconds, not '${text}'`);
        const ttl = Number(text);
        if (ttl <= 0 || ttl > 65535) throw CorefileError.at(opt, `ttl provided is invalid: ${text} — use 1 to 65535 seconds`);
        cfg.ttl = ttl;
        break;
      }
      case 'reload': {
        const text = oneArg(opt, 'a duration (zero seconds to disable), e.g. "reload 10s"');
        const ms = parseGoDuration(text);
        if (ms === undefined) throw CorefileError.at(opt, `invalid duration for reload '${text}' — write it like 5s, 300ms or 1m30s`);
        if (ms < 0) throw CorefileError.at(opt, `invalid negative duration for reload '${text}'`);
        cfg.reloadMs = ms;
        break;
      }
      default:
        if (!cfg.fall.enabled) {
          cfg.inline.push([opt.name, ...opt.args].join(' '));
          break;
        }
        throw CorefileError.at(opt, `unknown property '${opt.name}' — inline hosts entries must come before fallthrough`);
    }
  }
  if (cfg.fallthroughUnsupported && !cfg.fall.enabled) {
    throw CorefileError.at(unsupportedLine ?? d, 'fallthrough_unsupported requires fallthrough — add a fallthrough line');
  }
  return cfg;
}
