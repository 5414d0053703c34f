/**
 * The file plugin: serves zones from RFC 1035 zone files, authoritatively, as CoreDNS's
 * plugin/file does (see README.md). A question goes to the longest of the plugin's zones that
 * contains it; names outside them go to the next plugin. AXFR/IXFR are refused (there is no
 * transfer plugin). A CNAME whose target the zone cannot answer is followed: inside this plugin's
 * zones directly, else through the rest of the chain (CoreDNS asks its whole server).
 *
 * Every role (single, control, each worker) reads and reloads its own copy of the zone: zone
 * files are small, and this keeps each worker independent of the main thread. Only the non-worker
 * side logs, so a multi-worker server says each thing once.
 */
import { encode } from '../../dns/codec.ts';
import { fieldsOf, replyTo } from '../../dns/message.ts';
import { Rcode, type Message, type ResourceRecord } from '../../dns/types.ts';
import { CorefileError, type Directive } from '../../corefile/types.ts';
import type { Next, Plugin, PluginDefinition, Request, Result, SetupContext } from '../../plugin/contract.ts';
import { ZoneFileError } from './lexer.ts';
import { lookup, MAX_CHAIN, type Answer } from './lookup.ts';
import { lower } from './names.ts';
import { parseZone } from './parse.ts';
import { readZoneFileSync, UserFileError } from './read.ts';
import { ZoneReloader, type ZoneSlot } from './reload.ts';
import { parseFileDirective, type FileConfig } from './setup.ts';
import { parentName } from './zone.ts';

const AXFR = 252, IXFR = 251;

function copy(rrs: readonly ResourceRecord[]): ResourceRecord[] {
  return rrs.map((rr) => ({ ...rr }));
}

export class FilePlugin implements Plugin {
  readonly name = 'file';
  readonly slots = new Map<string, ZoneSlot>();
  private readonly cfg: FileConfig;
  /** The reload check (its check() is what the timer runs; tests call it directly). */
  readonly reloader: ZoneReloader;

  constructor(cfg: FileConfig, slots: ZoneSlot[], reloader: ZoneReloader) {
    this.cfg = cfg;
    for (const s of slots) this.slots.set(s.origin, s);
    this.reloader = reloader;
  }

  /** The slot of the longest zone containing `name`. */
  private slotFor(name: string): ZoneSlot | undefined {
    for (let n = name; ; n = parentName(n)) {
      const s = this.slots.get(n);
      if (s) return s;
      if (n === '.') return undefined;
    }
  }

  serve(req: Request, next: Next): Result {
    const slot = this.slotFor(req.qname);
    if (!slot) return next(req);
    if (req.qtype === AXFR || req.qtype === IXFR) return replyTo(req.msg, Rcode.REFUSED);
    const zone = slot.zone;
    if (!zone?.soa) return replyTo(req.msg, Rcode.SERVFAIL); // the file has not been read yet
    const res = lookup(zone, req.qname, req.qtype);
    if (req.trace) req.trace.note('file', { file: this.cfg.path, zone: slot.origin, serial: zone.soa.data.serial, result: res.result });
    if (res.result === 'nxdomain' && this.cfg.fall.through(req.qname)) return next(req);
    if (res.chase !== undefined) return this.chase(req, next, res, 0);
    return reply(req, res);
  }

  /** Resolve a CNAME target the zone's records do not hold, and answer with what it gives. */
  private async chase(req: Request, next: Next, res: Answer, depth: number): Promise<Message> {
    const target = res.chase!;
    const slot = this.slotFor(target);
    let found: ResourceRecord[] = [];
    let result: Answer['result'] = 'success';
    if (slot?.zone?.soa && depth < MAX_CHAIN) {
      const sub = lookup(slot.zone, target, req.qtype);
      if (sub.chase !== undefined) {
        const m = await this.chase(req, next, sub, depth + 1);
        found = m.answers;
        result = m.rcode === Rcode.NXDOMAIN ? 'nxdomain' : m.rcode === Rcode.SERVFAIL ? 'servfail' : 'success';
      } else {
        found = sub.answer;
        result = sub.result === 'nxdomain' ? 'nxdomain' : 'success';
      }
    } else if (!slot) {
      try {
        const m = await next(withQuestion(req, target));
        const msg = fieldsOf(m);
        found = msg.answers;
        result = msg.rcode === Rcode.NXDOMAIN ? 'nxdomain' : msg.rcode === Rcode.SERVFAIL ? 'servfail' : 'success';
      } catch {
        result = 'servfail';
      }
    }
    return reply(req, { ...res, answer: [...res.answer, ...found], result, chase: undefined });
  }

  ready(): boolean { return true; }

  start(): void { this.reloader.start(this.cfg.reloadMs); }

  async close(): Promise<void> { await this.reloader.stop(); }
}

function reply(req: Request, res: Answer): Message {
  if (res.result === 'servfail' && res.answer.length === 0) return replyTo(req.msg, Rcode.SERVFAIL);
  const m = replyTo(req.msg, res.result === 'nxdomain' ? Rcode.NXDOMAIN : res.result === 'servfail' ? Rcode.SERVFAIL : Rcode.NOERROR);
  m.aa = res.result !== 'delegation';
  m.answers = copy(res.answer);
  m.authority = copy(res.authority);
  m.additional = copy(res.additional);
  return m;
}

/** The same query asking for `name` (CoreDNS's upstream lookup of a CNAME target); its own errors. */
function withQuestion(req: Request, name: string): Request {
  const question = { name, type: req.qtype, class: req.qclass };
  const msg: Message = { ...req.msg, questions: [question], answers: [], authority: [], additional: [] };
  delete msg.wire;
  return { ...req, msg, question, qname: lower(name), wire: encode(msg), meta: new Map() };
}

/** The directory relative DBFILE paths resolve against: the working directory, as CoreDNS's without a `root` plugin (clusterdns has none). */
function rootDir(): string { return process.cwd(); }

function setup(d: Directive, ctx: SetupContext): FilePlugin {
  const cfg = parseFileDirective(d, ctx.block.zones, rootDir());
  // Every thread reads the file alike; the operator reads about it once (silent in answering threads).
  const log = ctx.controlLog;
  const slots: ZoneSlot[] = cfg.origins.map((origin) => ({ origin, zone: undefined }));
  const reloader = new ZoneReloader(cfg.path, slots, cfg.reloadByMtime, log);
  let read: ReturnType<typeof readZoneFileSync> | undefined;
  try {
    read = readZoneFileSync(cfg.path);
  } catch (err) {
    const why = (err as Error).message; // names the file
    const missing = err instanceof UserFileError && err.code === 'ENOENT';
    if (missing && ctx.mode === 'validate') ctx.notChecked?.(`zone file ${cfg.path} does not exist here; not checked (offline validation)`);
    else if (missing && cfg.reloadMs > 0) log?.warning(`Failed to open "${why}": trying again in ${cfg.reloadText}`);
    else throw CorefileError.at(d, `file: cannot read zone file ${why}`);
  }
  if (read) {
    for (const slot of slots) {
      try {
        slot.zone = parseZone(read.text, { origin: slot.origin, file: cfg.path, readInclude: (p) => readZoneFileSync(p).text });
      } catch (err) {
        if (err instanceof ZoneFileError) throw new CorefileError(err.file, err.line, `${err.detail} (zone ${slot.origin} of the file plugin at ${d.file}:${d.line})`);
        throw err;
      }
      const soa = slot.zone.soa!;
      if (soa.name !== slot.origin) {
        log?.warning(`${slot.zone.soaAt!.file}:${slot.zone.soaAt!.line}: the SOA record is at ${soa.name}, not at the zone's origin ${slot.origin} — name the zone in the file directive (file DBFILE ZONE) or fix $ORIGIN`);
      }
    }
    reloader.loaded(read.stats);
  }
  return new FilePlugin(cfg, slots, reloader);
}

export const definition: PluginDefinition = { name: 'file', setup };
