// `clusterdns -validate` with file: the zone file is read and parsed offline (a broken one fails
// with its own FILE:LINE); a zone file that does not exist where CI runs is listed as not checked.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dir, zoneFile } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const NODE = resolve(ROOT, 'node_modules/.bin/node');

function validate(corefile: string): Promise<{ code: number | null; stdout: string; stderr: string; file: string }> {
  const file = join(dir, `Corefile.${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, corefile);
  const proc = spawn(NODE, ['src/cli.ts', '-conf', file, '-validate'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [], err: string[] = [];
  proc.stdout.setEncoding('utf8').on('data', (c: string) => out.push(c));
  proc.stderr.setEncoding('utf8').on('data', (c: string) => err.push(c));
  const t = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  return new Promise((r) => proc.on('exit', (code) => { clearTimeout(t); r({ code, stdout: out.join(''), stderr: err.join(''), file }); }));
}

describe('file under -validate', () => {
  it('a good zone file passes; a missing one is listed as not checked', async () => {
    const good = zoneFile('$TTL 60\n@ IN SOA ns h 1 2 3 4 5\n  IN NS ns\nns A 192.0.2.1\n');
    const missing = join(dir, 'db.absent');
    const r = await validate(`example.org {\n    file ${good}\n}\nexample.net {\n    file ${missing}\n}\n`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${r.file}:5: file: zone file ${missing} does not exist here; not checked (offline validation)\n${r.file}: valid\n`);
  });

  it('a broken zone file fails with the zone file FILE:LINE', async () => {
    const bad = zoneFile('$TTL 60\n@ IN SOA ns h 1 2 3 4 5\nwww CNAME\n');
    const r = await validate(`example.org {\n    file ${bad}\n}\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${bad}:3: CNAME record is missing its target (zone example.org. of the file plugin at ${r.file}:2)\n`);
  });
});
