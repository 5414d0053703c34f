/**
 * errors: logs the errors plugins report while answering (CoreDNS's plugin/errors), as
 * `[ERROR] plugin/errors: RCODE QNAME. QTYPE: message`. `consolidate DURATION REGEXP [LEVEL]`
 * folds repeats of matching errors into one line per period; `stacktrace` is accepted (our
 * panics always log their stack).
 */
import type { PluginDefinition, Request, Next, Logger } from '../../plugin/contract.ts';
import type { Message } from '../../dns/types.ts';
import { typeName } from '../../dns/types.ts';
import { CorefileError } from '../../corefile/types.ts';
import { maxArgs, parseDuration, unknownOption } from '../../plugin/args.ts';
import { reportedErrors } from '../../plugin/errors.ts';
import { formatDuration as goDuration } from '../../plugin/duration.ts';

export { goDuration };

interface Consolidate { ms: number; re: RegExp; pattern: string; level: 'warning' | 'error' | 'info' | 'debug'; count: number; timer?: NodeJS.Timeout }

export const definition: PluginDefinition = {
  name: 'errors',
  setup(d, ctx) {
    maxArgs(d, 0, 'errors { consolidate DURATION REGEXP [LEVEL]; stacktrace }');
    const rules: Consolidate[] = [];
    for (const opt of d.block ?? []) {
      if (opt.name === 'stacktrace') continue;
      if (opt.name !== 'consolidate') unknownOption(d, opt, ['consolidate', 'stacktrace']);
      if (opt.args.length < 2 || opt.args.length > 3) throw CorefileError.at(opt, 'errors: consolidate needs DURATION REGEXP [LEVEL]');
      let re: RegExp;
      try { re = new RegExp(opt.args[1]!); } catch { throw CorefileError.at(opt, `errors: invalid regular expression ${opt.args[1]}`); }
      const level = (opt.args[2] ?? 'error').replace(/^warn$/, 'warning');
      if (!['warning', 'error', 'info', 'debug'].includes(level)) throw CorefileError.at(opt, `errors: unknown log level "${opt.args[2]}" — use warning, error, info or debug`);
      rules.push({ ms: parseDuration(opt, opt.args[0]!), re, pattern: opt.args[1]!, level: level as Consolidate['level'], count: 0 });
    }
    const log = ctx.log;
    const emit = (req: Request, res: Message) => {
      for (const err of reportedErrors(req)) {
        const line = `${res.rcode} ${req.qname} ${typeName(req.qtype)}: ${err.message}`; // CoreDNS: state.Name(), lower-cased
        const rule = rules.find((r) => r.re.test(line));
        if (!rule) { log.error(line); continue; }
        if (rule.count++ === 0) {
          rule.timer = setTimeout(() => { flush(log, rule); }, rule.ms);
          rule.timer.unref();
        }
      }
    };
    return {
      name: 'errors',
      serve(req: Request, next: Next) {
        const r = next(req);
        if (r instanceof Promise) return r.then((res) => { emit(req, res); return res; });
        emit(req, r);
        return r;
      },
      close() { for (const r of rules) { clearTimeout(r.timer); if (r.count > 0) flush(log, r); } },
    };
  },
};

function flush(log: Logger, r: Consolidate): void {
  const n = r.count;
  r.count = 0;
  // The pattern as written (RegExp.source would print `/` as `\/`).
  log[r.level](`${n} errors like '${r.pattern}' occurred in last ${goDuration(r.ms)}`);
}
