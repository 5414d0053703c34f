// The "Writing a plugin" guide (src/plugin/README.md) cannot drift from the code: every link in it
// leads to a file that exists, every code block marked `<!-- from FILE -->` is still in FILE (the
// same lines, in order, next to each other; indentation aside), and its whoami Corefile, run in a
// real server and asked over a real UDP socket, gets the answer the guide describes.
import dgram from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { buildQuery, decodeWithDns2, TYPE } from '../support/dns-client.ts';

const GUIDE = resolve('src/plugin/README.md');
const text = readFileSync(GUIDE, 'utf8');

/** Relative link targets of the guide ([text](target)), anchors dropped, resolved from its folder. */
function linkTargets(md: string, from: string): string[] {
  const out: string[] = [];
  for (const m of md.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!.split('#')[0]!;
    if (target === '' || /^[a-z]+:/i.test(target)) continue;
    out.push(resolve(dirname(from), target));
  }
  return out;
}

/** The guide's quoted blocks: the file each names and the block's lines (trimmed, blank ones dropped). */
function quotes(md: string): { file: string; lines: string[] }[] {
  const out: { file: string; lines: string[] }[] = [];
  for (const m of md.matchAll(/<!-- from (\S+) -->\n```\w*\n([\s\S]*?)```/g)) {
    out.push({ file: m[1]!, lines: m[2]!.split('\n').map((l) => l.trim()).filter((l) => l !== '') });
  }
  return out;
}

/** True when `lines` occur in `source` as consecutive non-blank lines (indentation aside). */
function quoted(source: string, lines: string[]): boolean {
  const src = source.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  for (let i = 0; i + lines.length <= src.length; i++) {
    if (lines.every((l, j) => src[i + j] === l)) return true;
  }
  return false;
}

describe('the plugin guide', () => {
  it('links only to files that exist', () => {
    const targets = linkTargets(text, GUIDE);
    expect(targets.length).toBeGreaterThan(10);
    expect(targets.filter((t) => !existsSync(t))).toEqual([]);
  });

  it('is linked from the repository README and from the contract', () => {
    expect(linkTargets(readFileSync('README.md', 'utf8'), resolve('README.md'))).toContain(GUIDE);
    expect(readFileSync('src/plugin/contract.ts', 'utf8')).toContain('src/plugin/README.md');
  });

  it('the link check sees a missing file', () => {
    expect(linkTargets('see [x](no-such-file.ts) and [y](https://example.org)', GUIDE).filter((t) => !existsSync(t)))
      .toEqual([resolve('src/plugin/no-such-file.ts')]);
  });

  it('quotes code exactly as it is in the files it names', () => {
    const qs = quotes(text);
    expect(qs.length).toBeGreaterThanOrEqual(6);
    const stale = qs.filter((q) => !existsSync(q.file) || !quoted(readFileSync(q.file, 'utf8'), q.lines)).map((q) => `${q.file}: ${q.lines[0]}`);
    expect(stale).toEqual([]);
  });

  it('the quote check sees an edited line and lines out of order', () => {
    const src = 'a\n  b\n\n  c\nd\n';
    expect(quoted(src, ['b', 'c'])).toBe(true);
    expect(quoted(src, ['b', 'c2'])).toBe(false);
    expect(quoted(src, ['c', 'b'])).toBe(false);
    expect(quoted(src, ['a', 'c'])).toBe(false);
  });

  describe("its whoami Corefile in a real server", () => {
    let s: TestServer;
    beforeAll(async () => {
      const corefile = /```corefile\n([\s\S]*?)```/.exec(text)?.[1];
      expect(corefile).toContain('whoami');
      s = await startTestServer(corefile!);
    });
    afterAll(() => s?.stop());

    it('answers as the guide says', async () => {
      const sock = dgram.createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
      const got = new Promise<Buffer | null>((done) => {
        const t = setTimeout(() => done(null), 2000);
        sock.once('message', (m) => { clearTimeout(t); done(m); });
      });
      sock.send(buildQuery('example.org', 'A'), s.port, '127.0.0.1');
      const raw = await got;
      const port = sock.address().port;
      sock.close();
      expect(raw).not.toBeNull();
      const r = decodeWithDns2(raw!);
      expect(r.header.rcode).toBe(0);
      expect(r.header.aa).toBe(1);
      expect(r.answers).toEqual([]);
      const a = r.additionals.find((x) => x.type === TYPE.A)!;
      expect([a.name, a.ttl, a.address]).toEqual(['example.org', 0, '127.0.0.1']);
      const srv = r.additionals.find((x) => x.type === TYPE.SRV)!;
      expect([srv.name, srv.ttl, srv.priority, srv.weight, srv.port, srv.target]).toEqual(['_udp.example.org', 0, 0, 0, port, '']);
      expect(text).toContain('`example.org. 0 IN A 127.0.0.1`');
    });
  });
});
