/**
 * loadbalance: randomize the order of A, AAAA and MX records (round_robin, the default), or move a
 * weighted pick to the top (weighted WEIGHTFILE), optionally preferring addresses in given subnets.
 * See README.md. Syntax (CoreDNS's plugin/loadbalance/setup.go):
 *
 *   loadbalance [round_robin | weighted WEIGHTFILE] {
 *       reload DURATION      # weighted only (default 30s, 0 disables)
 *       prefer CIDR...       # round_robin only
 *   }
 */
import { isAbsolute, resolve } from 'node:path';
import { parseCidr, type Cidr } from '../../corefile/cidr.ts';
import { CorefileError, type Directive } from '../../corefile/types.ts';
import { Type } from '../../dns/types.ts';
import type { PluginDefinition, SetupContext } from '../../plugin/contract.ts';
import { parseDuration as parseGoDuration } from '../../plugin/duration.ts';
import { LoadBalancePlugin, type Policy } from './handler.ts';
import { preferSubnets, roundRobin } from './shuffle.ts';
import { WeightedRoundRobin, WeightFileError } from './weighted.ts';

const WEIGHTED_QTYPES: ReadonlySet<number> = new Set([Type.A, Type.AAAA, Type.SRV]);

/** The directory relative FILE paths resolve against: the working directory, as CoreDNS's without a `root` plugin (clusterdns has none). */
function rootDir(): string { return process.cwd(); }

function roundRobinPolicy(d: Directive): Policy {
  const subnets: Cidr[] = [];
  for (const opt of d.block ?? []) {
    if (opt.name !== 'prefer') throw CorefileError.at(opt, `unknown property '${opt.name}' — round_robin takes only prefer CIDR...`);
    for (const text of opt.args) {
      const net = parseCidr(text);
      if (!net) throw CorefileError.at(opt, `invalid CIDR "${text}" — write it like 10.0.0.0/8 or fd00::/8`);
      subnets.push(net);
    }
  }
  if (subnets.length === 0) return { section: roundRobin, authority: true };
  return { section: (rrs) => preferSubnets(roundRobin(rrs), subnets), authority: true };
}

function weightedPolicy(d: Directive, ctx: SetupContext): { policy: Policy; weighted: WeightedRoundRobin; reloadMs: number } {
  if (d.args.length < 2) throw CorefileError.at(d, 'missing weight file argument — write loadbalance weighted FILE');
  if (d.args.length > 2) throw CorefileError.at(d, 'unexpected argument(s) after the weight file');
  const file = isAbsolute(d.args[1]!) ? d.args[1]! : resolve(rootDir(), d.args[1]!);
  let reloadMs = 30_000;
  for (const opt of d.block ?? []) {
    if (opt.name !== 'reload') throw CorefileError.at(opt, `unknown property '${opt.name}' — weighted takes only reload DURATION`);
    if (opt.args.length < 1) throw CorefileError.at(opt, 'reload duration value is missing');
    if (opt.args.length > 1) throw CorefileError.at(opt, 'unexpected argument after the reload duration');
    const ms = parseGoDuration(opt.args[0]!);
    if (ms === undefined || ms < 0) throw CorefileError.at(opt, `invalid reload duration '${opt.args[0]}' — write it like 10s or 1m`);
    reloadMs = ms;
  }
  const weighted = new WeightedRoundRobin(file, ctx.log);
  try {
    weighted.loadSync();
  } catch (err) {
    if (err instanceof WeightFileError) throw CorefileError.at(d, err.message);
    if (reloadMs === 0) throw CorefileError.at(d, `weight file open error: ${(err as Error).message}`);
    ctx.log.warning(`Failed to open weight file:${(err as Error).message}. Will try again in ${reloadMs / 1000}s`);
  }
  return { policy: { section: (rrs) => weighted.section(rrs), authority: false, qtypes: WEIGHTED_QTYPES }, weighted, reloadMs };
}

function setup(d: Directive, ctx: SetupContext): LoadBalancePlugin {
  const policy = d.args[0] ?? 'round_robin';
  if (policy === 'round_robin') {
    if (d.args.length > 1) throw CorefileError.at(d, `unknown property for round_robin: '${d.args[1]}'`);
    return new LoadBalancePlugin(roundRobinPolicy(d));
  }
  if (policy === 'weighted') {
    const w = weightedPolicy(d, ctx);
    return new LoadBalancePlugin(w.policy, { start: () => w.weighted.start(w.reloadMs), close: () => w.weighted.stop() });
  }
  throw CorefileError.at(d, `unknown policy: ${policy} — use round_robin or weighted FILE`);
}

export const definition: PluginDefinition = { name: 'loadbalance', setup };
