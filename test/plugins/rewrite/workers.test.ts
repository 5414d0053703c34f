// rewrite and template with two answering worker threads: each thread builds its own rule list
// (the first plugin of the block collects every line) and answers the same.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../../support/dns-client.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer(`. {
    rewrite stop name exact a.example b.example
    rewrite name exact b.example c.example
    rewrite continue name exact x.example y.example
    rewrite name exact y.example c.example
    template IN A b.example {
      answer "{{ .Name }} 60 IN A 10.0.0.2"
    }
    template IN A c.example {
      answer "{{ .Name }} 60 IN A 10.0.0.3"
    }
    template IN A {
      rcode NXDOMAIN
    }
}
`, { workers: 2 });
});
afterAll(async () => { await srv?.stop(); });

describe('rewrite and template with workers', () => {
  it('the rewrite lines of a block are one list on every thread: `stop` ends it, `continue` goes on', async () => {
    for (let i = 0; i < 40; i++) {
      const protocol = i % 2 ? 'tcp' : 'udp';
      // a → b and stop: the b → c line must not run (it would if each line were its own plugin)
      const p = await query(srv.port, 'a.example', 'A', { protocol });
      expect(p.header.rcode).toBe(0);
      expect(p.questions[0]!.name).toBe('a.example');
      expect(p.answers.map((r) => [r.name, r.address])).toEqual([['a.example', '10.0.0.2']]);
      // x → y (continue), then y → c
      const q = await query(srv.port, 'x.example', 'A', { protocol });
      expect(q.answers.map((r) => r.address)).toEqual(['10.0.0.3']);
      const nx = await query(srv.port, 'other.example', 'A');
      expect(nx.header.rcode).toBe(3);
    }
  });
});
