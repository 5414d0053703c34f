/**
 * template: answers queries from Go templates (CoreDNS's plugin/template). For a question in one of
 * a template's zones, of its class and type (ANY on either side matches), the first `match` regex
 * that matches the lower-cased name fills `.Match` and `.Group`, and the rendered answer,
 * additional and authority records go out with the template's rcode, authoritative. A CNAME answer
 * to an A or AAAA question is followed: its target is looked up again (templates first, then the
 * rest of the chain) and those records are added. No regex matching: SERVFAIL, unless the name is
 * under a `fallthrough` zone, when the next template (and then the next plugin) gets it.
 *
 * Every `template` line of a server block is one template, tried in the order written; the first
 * plugin of a block holds them all (as rewrite does), CoreDNS having one handler per block.
 */
import { encode } from '../../dns/codec.ts';
import { classString, typeString } from '../../dns/mnemonics.ts';
import { fieldsOf, replyTo } from '../../dns/message.ts';
import { lowerName, matchZone } from '../../dns/name.ts';
import { Rcode, Type, type Message, type NameData, type ResourceRecord } from '../../dns/types.ts';
import type { BlockInfo, Next, Plugin, PluginDefinition, Request, Result } from '../../plugin/contract.ts';
import { reportError } from '../../plugin/errors.ts';
import { templateData } from './data.ts';
import type { GoTemplate } from './gotemplate/exec.ts';
import { templateMetrics, type TemplateMetrics } from './metrics.ts';
import { parseRR } from './rr.ts';
import { perBlock } from '../../plugin/per-block.ts';
import { parseTemplateDirective, type Template } from './setup.ts';

const ANY = 255;
const EDE = 15;
const MAX_FOLLOW = 8; // CNAME targets followed through templates, at most (a CNAME to itself must end)

type Match = { data: ReturnType<typeof templateData>; zone: string; cls: string; type: string } | 'next' | 'servfail';

class TemplatePlugin implements Plugin {
  readonly name = 'template';
  readonly templates: Template[] = [];
  private readonly block: BlockInfo;
  private readonly metrics: TemplateMetrics = templateMetrics();
  private zones: string[] | undefined; // every template's zones, gathered on the first query (setup is over by then)

  constructor(block: BlockInfo) { this.block = block; }

  serve(req: Request, next: Next): Result {
    return this.answer(req, next, 0);
  }

  private answer(req: Request, next: Next, depth: number): Result {
    this.zones ??= this.templates.flatMap((t) => t.zones);
    if (!matchZone(this.zones, req.qname)) return next(req);
    for (const t of this.templates) {
      const m = this.match(t, req);
      if (m === 'next') continue;
      if (m === 'servfail') return replyTo(req.msg, Rcode.SERVFAIL);
      const server = this.block.server;
      this.metrics.matches.inc({ server, zone: m.zone, view: '', class: m.cls, type: m.type });
      if (req.trace) req.trace.note('template', { template: templateSource.get(t) ?? '', regex: String(m.data.fields.Regex ?? '') });
      if (t.rcode === Rcode.SERVFAIL) return replyTo(req.msg, Rcode.SERVFAIL);
      return this.respond(t, m, req, next, depth);
    }
    return next(req);
  }

  private match(t: Template, req: Request): Match {
    const q = req.question;
    const zone = matchZone(t.zones, req.qname);
    if (!zone) return 'next';
    if (t.qclass !== ANY && q.class !== ANY && q.class !== t.qclass) return 'next';
    if (t.qtype !== ANY && q.type !== ANY && q.type !== t.qtype) return 'next';
    for (let i = 0; i < t.regex.length; i++) {
      const found = t.regex[i]!.exec(req.qname);
      if (!found) continue;
      const groups = Array.from(found, (g) => g ?? '');
      const cls = classString(q.class !== ANY ? q.class : t.qclass);
      const type = typeString(q.type !== ANY ? q.type : t.qtype);
      const group = new Map<string, string>();
      groups.forEach((g, k) => group.set(String(k), g));
      for (const [k, v] of Object.entries(found.groups ?? {})) group.set(k, v ?? '');
      const data = templateData({
        zone, name: req.qname, regex: t.regexSource[i]!, match: groups, group, cls, type, msg: req.msg,
        remote: req.remoteAddress,
      });
      return { data, zone, cls, type };
    }
    return t.fall.through(req.qname) ? 'next' : 'servfail';
  }

  /** Render one section's templates into records; undefined (after counting and reporting) on failure. */
  private render(t: GoTemplate, section: string, m: Exclude<Match, string>, req: Request): ResourceRecord | undefined {
    const labels = { server: this.block.server, zone: m.zone, view: '', class: m.cls, type: m.type, section, template: t.toString() };
    let text: string;
    try {
      text = t.execute(m.data);
    } catch (e) {
      this.metrics.templateFailures.inc(labels);
      reportError(req, e as Error);
      return undefined;
    }
    try {
      return parseRR(text);
    } catch (e) {
      this.metrics.rrFailures.inc(labels);
      reportError(req, e as Error);
      return undefined;
    }
  }

  private respond(t: Template, m: Exclude<Match, string>, req: Request, next: Next, depth: number): Result {
    const msg = replyTo(req.msg, t.rcode);
    msg.aa = true;
    const follow: [number, string][] = [];
    for (const tpl of t.answer) {
      const rr = this.render(tpl, 'answer', m, req);
      if (!rr) return replyTo(req.msg, Rcode.SERVFAIL);
      msg.answers.push(rr);
      if ((req.qtype === Type.A || req.qtype === Type.AAAA) && rr.type === Type.CNAME && depth < MAX_FOLLOW) {
        follow.push([msg.answers.length, (rr.data as NameData).target]);
      }
    }
    for (const [section, list] of [['additional', t.additional], ['authority', t.authority]] as const) {
      for (const tpl of list) {
        const rr = this.render(tpl, section, m, req);
        if (!rr) return replyTo(req.msg, Rcode.SERVFAIL);
        (section === 'additional' ? msg.additional : msg.authority).push(rr);
      }
    }
    if (t.ederror) {
      const text = Buffer.from(t.ederror.reason, 'utf8');
      const data = Buffer.alloc(2 + text.length);
      data.writeUInt16BE(t.ederror.code, 0);
      text.copy(data, 2);
      msg.edns = { udpSize: 4096, extendedRcode: 0, version: 0, do: true, options: [{ code: EDE, data }] };
    }
    if (follow.length === 0) return msg;
    return this.follow(msg, follow, req, next, depth);
  }

  /** Look each CNAME target up (templates, then the rest of the chain) and put its answers after the CNAME. */
  private async follow(msg: Message, targets: [number, string][], req: Request, next: Next, depth: number): Promise<Message> {
    const found: ResourceRecord[][] = [];
    for (const [, target] of targets) {
      try {
        const res = await this.answer(lookup(req, target), next, depth + 1);
        found.push(fieldsOf(res).answers);
      } catch {
        found.push([]);
      }
    }
    const answers: ResourceRecord[] = [];
    let from = 0;
    targets.forEach(([after], i) => { answers.push(...msg.answers.slice(from, after), ...found[i]!); from = after; });
    answers.push(...msg.answers.slice(from));
    msg.answers = answers;
    return msg;
  }
}

/** The same query, asking for `name` (CoreDNS's upstream lookup of a CNAME target). */
function lookup(req: Request, name: string): Request {
  const question = { name, type: req.qtype, class: req.qclass };
  const msg: Message = { ...req.msg, questions: [question] };
  return { ...req, msg, question, qname: lowerName(name), wire: encode(msg), meta: new Map() };
}

/** Each template's Corefile line, for explained queries (GET /explain). */
const templateSource = new WeakMap<Template, string>();

export const definition: PluginDefinition = {
  name: 'template',
  setup(d, ctx) {
    const t = parseTemplateDirective(d, ctx.block.zones);
    templateSource.set(t, `${d.file}:${d.line}: template ${d.args.join(' ')}`);
    const { plugin, first } = perBlock(ctx, 'template', () => new TemplatePlugin(ctx.block));
    plugin.templates.push(t);
    return first ? plugin : { name: 'template' }; // no serve: the block's first template plugin tries every template
  },
};
