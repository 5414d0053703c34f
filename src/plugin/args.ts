/** Small parsers for directive arguments, each failing with a FILE:LINE CorefileError. */
import type { Directive } from '../corefile/types.ts';
import { CorefileError } from '../corefile/types.ts';
import { parseDuration as goDuration } from './duration.ts';

/** A Go duration ("5s", "1m30s", "250ms", "0") in milliseconds, or undefined if malformed. */
export const durationMs = goDuration;

export function parseDuration(d: Directive, s: string, what = 'duration'): number {
  const ms = durationMs(s);
  if (ms === undefined) throw CorefileError.at(d, `${d.name}: invalid ${what} "${s}" — use a Go duration such as 5s, 500ms or 1m`);
  return ms;
}

export function parseIntIn(d: Directive, s: string, min: number, max: number, what: string): number {
  const n = Number(s);
  if (!/^-?\d+$/.test(s) || n < min || n > max) throw CorefileError.at(d, `${d.name}: invalid ${what} "${s}" — expected a whole number from ${min} to ${max}`);
  return n;
}

export function maxArgs(d: Directive, n: number, usage: string): void {
  if (d.args.length > n) throw CorefileError.at(d, `${d.name}: too many arguments — usage: ${usage}`);
}

export function noBlock(d: Directive, usage: string): void {
  if (d.block && d.block.length > 0) throw CorefileError.at(d.block[0]!, `${d.name}: unexpected option '${d.block[0]!.name}' — usage: ${usage}`);
}

/** Throw for an option a plugin's block does not know. */
export function unknownOption(parent: Directive, opt: Directive, known: readonly string[]): never {
  throw CorefileError.at(opt, `${parent.name}: unknown option '${opt.name}' — expected one of: ${known.join(', ')}`);
}

/**
 * The one error for a second line of a directive that may appear once per server block
 * (PluginDefinition.oncePerBlock, checked by the generation): as CoreDNS's plugin.ErrOnce.
 */
export function onlyOncePerBlock(d: Directive, first: Directive): CorefileError {
  return CorefileError.at(d, `${d.name}: can only be used once per Server Block — remove this line or merge it into the one at line ${first.line}`);
}
