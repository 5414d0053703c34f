// errors: logs the errors the chain reports as CoreDNS does
// (`[ERROR] plugin/errors: RCODE NAME TYPE: plugin/X: no next plugin found`), folds matching
// errors into one line per period with `consolidate`, and checks its options.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { goDuration } from '../../../src/plugins/errors/index.ts';
import { until } from '../../support/wait.ts';

describe('errors', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(`. {\n  errors\n  chaos\n}\nexample.org {\n  errors {\n    consolidate 1s "no next plugin found$" warning\n    stacktrace\n  }\n  chaos\n}\nexample.net {\n  chaos\n}\n`);
  });
  afterAll(() => s.stop());

  it('logs the error of a query that falls off the end of the chain, name lower-cased', async () => {
    const r = await query(s.port, 'Some.Name.Test', 'AAAA');
    expect(r.header.rcode).toBe(2);
    expect(await until(() => s.logs.includes('[ERROR] plugin/errors: 2 some.name.test. AAAA: plugin/chaos: no next plugin found'), 1000), s.logs.join('\n')).toBe(true);
  });

  it('logs nothing without the errors plugin, or for answers without errors', async () => {
    const n = s.logs.length;
    expect((await query(s.port, 'x.example.net', 'A')).header.rcode).toBe(2);
    expect((await query(s.port, 'version.bind', 'TXT', { class: 3 })).header.rcode).toBe(0);
    expect(s.logs.slice(n)).toEqual([]);
  });

  it('consolidates matching errors into one line per period at the given level', async () => {
    const n = s.logs.length;
    for (let i = 0; i < 5; i++) expect((await query(s.port, `c${i}.example.org`, 'A')).header.rcode).toBe(2);
    expect(s.logs.slice(n).filter((l) => l.includes('plugin/errors'))).toEqual([]);
    expect(await until(() => s.logs.slice(n).some((l) => l.includes('errors like')), 3000, 50)).toBe(true);
    expect(s.logs.slice(n)).toEqual(["[WARNING] plugin/errors: 5 errors like 'no next plugin found$' occurred in last 1s"]);
  });

  it('writes periods as Go does', () => {
    expect([500, 1000, 1500, 30_000, 60_000, 300_000, 90_000, 3_600_000].map(goDuration)).toEqual(['500ms', '1s', '1.5s', '30s', '1m0s', '5m0s', '1m30s', '1h0m0s']);
  });

  it('rejects bad consolidate lines with FILE:LINE', async () => {
    for (const [opt, re] of [
      ['consolidate 1s', /:3: errors: consolidate needs DURATION REGEXP \[LEVEL\]/],
      ['consolidate 1s "(" ', /:3: errors: invalid regular expression/],
      ['consolidate 1s x loud', /:3: errors: unknown log level "loud"/],
      ['consolidate soon x', /:3: .*invalid duration "soon"/],
      ['verbose', /:3: errors: unknown option 'verbose'/],
    ] as const) {
      expect(await s.reload(`. {\n  errors {\n    ${opt}\n  }\n}\n`)).toBe(false);
      expect(s.logs.at(-1)).toMatch(re);
    }
  });
});
