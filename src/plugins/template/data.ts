/**
 * What a template sees (CoreDNS's templateData): `.Zone .Name .Regex .Match .Group .Class .Type
 * .Message .Question .Remote` and the method `.Meta`, as Go values — `.Message` and `.Question`
 * carry miekg/dns's field names (`.Message.Id`, `.Question.Qtype`, ...).
 */
import { classString, typeString } from '../../dns/mnemonics.ts';
import { rcodeName, type Message, type Question } from '../../dns/types.ts';
import { GoStruct } from './gotemplate/values.ts';

const OPCODES = ['QUERY', 'IQUERY', 'STATUS', '', 'NOTIFY', 'UPDATE'];

function question(q: Question): GoStruct {
  return new GoStruct('*dns.Question', { Name: q.name, Qtype: q.type, Qclass: q.class },
    {}, () => `;${q.name}\t${classString(q.class)}\t ${typeString(q.type)}`);
}

/** The query as a *dns.Msg: header fields (also under MsgHdr) and the question section; no records. */
function message(m: Message): GoStruct {
  const hdr = {
    Id: m.id, Response: m.qr, Opcode: m.opcode, Authoritative: m.aa, Truncated: m.tc, RecursionDesired: m.rd,
    RecursionAvailable: m.ra, Zero: m.z, AuthenticatedData: m.ad, CheckingDisabled: m.cd, Rcode: m.rcode,
  };
  const qs = m.questions.map(question);
  const flags = [['qr', m.qr], ['aa', m.aa], ['tc', m.tc], ['rd', m.rd], ['ra', m.ra], ['ad', m.ad], ['cd', m.cd]]
    .filter(([, on]) => on).map(([f]) => f).join(' ');
  const text = () => `;; opcode: ${OPCODES[m.opcode] || m.opcode}, status: ${rcodeName(m.rcode)}, id: ${m.id}\n`
    + `;; flags: ${flags}; QUERY: ${qs.length}, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 0\n\n`
    + `;; QUESTION SECTION:\n${qs.map((q) => q.stringer!()).join('\n')}\n`;
  return new GoStruct('*dns.Msg', { ...hdr, MsgHdr: new GoStruct('dns.MsgHdr', hdr), Compress: false, Question: qs, Answer: [], Ns: [], Extra: [] }, {}, text);
}

export interface TemplateFacts {
  zone: string; name: string; regex: string; match: string[]; group: Map<string, string>;
  cls: string; type: string; msg: Message; remote: string;
}

export function templateData(f: TemplateFacts): GoStruct {
  return new GoStruct('*template.templateData', {
    Zone: f.zone, Name: f.name, Regex: f.regex, Match: f.match, Group: f.group, Class: f.cls, Type: f.type,
    Message: message(f.msg), Question: question(f.msg.questions[0]!), Remote: f.remote,
  }, {
    // no metadata plugin in clusterdns: every label is empty, as CoreDNS gives a label nobody sets
    Meta: (...args: unknown[]) => {
      if (args.length !== 1 || typeof args[0] !== 'string') throw new Error(`wrong number of args for Meta: want 1 got ${args.length}`);
      return '';
    },
  });
}
