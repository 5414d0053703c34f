/**
 * log: one line per query in CoreDNS's Common Log Format (CoreDNS's plugin/log):
 *   {remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}
 * `log [NAMES...] [FORMAT] { class all|denial|error|success }`. Recorded after the response is
 * written, so {rsize} and {duration} are the real ones.
 */
import type { Request } from '../../plugin/contract.ts';
import { parts } from '../../plugin/parts.ts';
import type { Message } from '../../dns/types.ts';
import { className, rcodeName, Type, typeName } from '../../dns/types.ts';
import { CorefileError } from '../../corefile/types.ts';
import { fqdn, isSubdomain, lowerName } from '../../dns/name.ts';
import { unknownOption } from '../../plugin/args.ts';
import { isNoResponse } from '../../plugin/noresponse.ts';
import { performance } from 'node:perf_hooks';

export const COMMON_FORMAT = '{remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}';
const COMBINED_FORMAT = COMMON_FORMAT + ' "{>opcode}"';

type Cls = 'all' | 'denial' | 'error' | 'success';

/**
 * CoreDNS's response.Classify(response.Typify(msg)): NOERROR with answers, without a SOA (whoami)
 * or as a delegation is success; NXDOMAIN or NODATA *with* a SOA in authority is denial;
 * everything else (SERVFAIL, REFUSED, an NXDOMAIN without SOA, ...) is error.
 */
function classOf(res: Message): Cls {
  if (isNoResponse(res)) return 'error';   // nothing written (acl drop): Typify(nil) is OtherError
  if (res.rcode === 0 && res.answers.length > 0) return 'success';
  const soa = res.authority.some((r) => r.type === Type.SOA);
  if (soa && (res.rcode === 0 || res.rcode === 3)) return 'denial';
  return res.rcode === 0 ? 'success' : 'error';
}

function flags(m: Message): string {
  const f: string[] = [];
  if (m.qr) f.push('qr');
  if (m.aa) f.push('aa');
  if (m.tc) f.push('tc');
  if (m.rd) f.push('rd');
  if (m.ra) f.push('ra');
  if (m.z) f.push('z');
  if (m.ad) f.push('ad');
  if (m.cd) f.push('cd');
  return f.join(',');
}

export function formatLine(format: string, req: Request, res: Message, size: number, seconds: number): string {
  return format.replace(/\{(>?[a-z]+)\}/g, (all, key: string) => {
    switch (key) {
      case 'remote': return req.remoteAddress.includes(':') ? `[${req.remoteAddress}]` : req.remoteAddress;
      case 'port': return String(req.remotePort);
      case '>id': return String(req.msg.id);
      case 'type': return typeName(req.qtype);
      case 'class': return className(req.qclass);
      case 'name': return req.qname;                 // CoreDNS: state.Name(), lower-cased
      case 'proto': return req.protocol;
      case 'size': return String(req.wire.length);
      case '>do': return String(req.do);
      case '>bufsize': return String(req.size);       // CoreDNS: state.Size(): 65535 on TCP, at least 512 on UDP
      case 'rcode': return rcodeName(res.rcode);
      case '>rflags': return isNoResponse(res) ? '-' : flags(res);   // nothing written: CoreDNS's EmptyValue
      case 'rsize': return String(size);
      case 'duration': return `${seconds.toFixed(9).replace(/0+$/, '').replace(/\.$/, '')}s`;
      case '>opcode': return String(req.msg.opcode);
      case 'local': return req.localAddress;
      default: return all;
    }
  });
}

// Observes the responses of the threads that answer queries: only an answering part.
export const definition = parts({
  name: 'log',
  parse(d) {
    let names = ['.'];
    let format = COMMON_FORMAT;
    const args = [...d.args];
    if (args.length > 0) {
      const last = args[args.length - 1]!;
      if (last.includes('{')) { format = last; args.pop(); }
      else if (last === '{common}') { args.pop(); }
      else if (last === '{combined}') { format = COMBINED_FORMAT; args.pop(); }
      if (args.length > 0) names = args.map((n) => lowerName(fqdn(n)));
    }
    if (format === '{common}') format = COMMON_FORMAT;
    if (format === '{combined}') format = COMBINED_FORMAT;
    const classes = new Set<Cls>();
    for (const opt of d.block ?? []) {
      if (opt.name !== 'class') unknownOption(d, opt, ['class']);
      if (opt.args.length === 0) throw CorefileError.at(opt, 'log: class needs at least one of all, denial, error, success');
      for (const c of opt.args) {
        if (!['all', 'denial', 'error', 'success'].includes(c)) throw CorefileError.at(opt, `log: unknown class "${c}" — use all, denial, error or success`);
        classes.add(c as Cls);
      }
    }
    if (classes.size === 0) classes.add('all');
    return { names, format, classes };
  },
  answering({ names, format, classes }, ctx) {
    const sink = ctx.server.logSink;
    const write = (line: string) => sink.write(`[INFO] ${line}`);
    ctx.block.observers.push((req, res, size, _writer, start) => {
      if (!names.some((n) => isSubdomain(req.qname, n))) return;
      if (!classes.has('all') && !classes.has(classOf(res))) return;
      write(formatLine(format, req, res, size, (performance.now() - start) / 1000));
    });
    return { name: 'log' };
  },
});
