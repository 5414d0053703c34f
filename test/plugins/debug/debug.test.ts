// debug: [DEBUG] lines appear only while a Corefile that is being served has `debug`, across
// reloads too. hosts logs "[DEBUG] plugin/hosts: Parsed hosts file into N entries" each time it
// (re)reads its file: editing the file makes a debug line on demand, at any time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { query } from '../../support/dns-client.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { setupContext } from '../../support/setup-context.ts';
import { eventually } from '../../support/wait.ts';
import { definition } from '../../../src/plugins/debug/index.ts';
import { directive } from '../forward/helpers.ts';

const servers: TestServer[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await s.stop(); });

const dir = mkdtempSync(join(tmpdir(), 'debug-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const hostsFile = new Map<TestServer, string>();

const corefile = (debug: boolean, file: string) => `example.org {\n${debug ? '  debug\n' : ''}  hosts ${file} {\n    reload 50ms\n  }\n}\n`;

async function start(debug: boolean): Promise<TestServer> {
  const file = join(dir, `hosts${++files}`);
  writeFileSync(file, '10.0.0.1 a.example.org\n');
  const s = await startTestServer(corefile(debug, file));
  servers.push(s);
  hostsFile.set(s, file);
  return s;
}

/** Edit the hosts file (one more entry each time) and wait until the server answers from it. */
async function reread(s: TestServer, n: number): Promise<void> {
  const lines = Array.from({ length: n }, (_, i) => `10.0.1.${i + 1} h${i + 1}.example.org`);
  writeFileSync(hostsFile.get(s)!, `10.0.0.1 a.example.org\n${lines.join('\n')}\n`);
  await eventually(async () => (await query(s.port, `h${n}.example.org`, 'A')).answers.length, (c) => c === 1, 3000, `h${n} answered`);
}

const debugLines = (s: TestServer) => s.logs.filter((l) => l.startsWith('[DEBUG]'));

describe('debug', () => {
  it('turns [DEBUG] lines on; without it there are none', async () => {
    const quiet = await start(false);
    await reread(quiet, 1);
    expect(debugLines(quiet)).toEqual([]);
    await quiet.stop();
    servers.splice(servers.indexOf(quiet), 1);

    const loud = await start(true);
    expect(debugLines(loud)).toEqual(['[DEBUG] plugin/hosts: Parsed hosts file into 2 entries']);
    await reread(loud, 1);
    expect(debugLines(loud).at(-1)).toBe('[DEBUG] plugin/hosts: Parsed hosts file into 4 entries');
  });

  it('stays on through a reload to a Corefile that still has it', async () => {
    const s = await start(true);
    expect(await s.reload(`${corefile(true, hostsFile.get(s)!)}# reloaded\n`)).toBe(true);
    const before = debugLines(s).length;
    await reread(s, 1);   // after the old generation closed
    expect(debugLines(s).slice(before)).toEqual(['[DEBUG] plugin/hosts: Parsed hosts file into 4 entries']);
  });

  it('is off again once the Corefile served no longer has it', async () => {
    const s = await start(true);
    expect(await s.reload(corefile(false, hostsFile.get(s)!))).toBe(true);
    const before = debugLines(s).length;
    await reread(s, 1);
    expect(debugLines(s).slice(before)).toEqual([]);
  });

  it('takes no arguments and no block: FILE:LINE errors', () => {
    const ctx = setupContext();
    expect(() => definition.setup(directive('debug on'), ctx)).toThrow(/^\/tmp\/Corefile:2: debug: too many arguments/);
    expect(() => definition.setup(directive('debug {\n  on\n}'), ctx)).toThrow(/^\/tmp\/Corefile:3: debug: unexpected option 'on'/);
  });
});
