/**
 * readUserFile: only regular files, capped, never blocking on a FIFO, never reading a device or a
 * /proc file, errors that name the file and never its bytes; and the Corefile's `import` through it.
 *
 * A FIFO read that regressed to a blocking open would hang this thread; a child process opens the
 * FIFO for writing after 5 s so such a regression ends (and fails on time) instead of hanging.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LIMITS, readUserFile, readUserFileSync, UserFileError } from '../../src/corefile/files.ts';
import { parseCorefile } from '../../src/corefile/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'userfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rescuers: ChildProcess[] = [];
afterEach(() => { for (const c of rescuers.splice(0)) c.kill('SIGKILL'); });

/** A FIFO at `name`, plus a child that unblocks a blocking reader after 5 s (see the file comment). */
function fifo(name: string): string {
  const p = join(dir, name);
  execFileSync('mkfifo', [p]);
  rescuers.push(spawn('sh', ['-c', `sleep 5; exec 3>"${p}"`], { stdio: 'ignore' }));
  return p;
}

function thrown(f: () => unknown): UserFileError {
  try { f(); } catch (e) { return e as UserFileError; }
  throw new Error('did not throw');
}

describe('readUserFile', () => {
  it('reads a regular text file, sync and async', async () => {
    const p = join(dir, 'hosts');
    writeFileSync(p, '10.0.0.1 a.example\n');
    expect(readUserFileSync(p, 'hosts')).toBe('10.0.0.1 a.example\n');
    const r = await readUserFile(p, 'hosts');
    expect(r.text).toBe('10.0.0.1 a.example\n');
    expect(r.stats.size).toBe(19);
  });

  it('refuses a FIFO at once, without waiting for a writer (sync and async)', async () => {
    const p = fifo('pipe');
    const t0 = Date.now();
    const e = thrown(() => readUserFileSync(p, 'hosts'));
    expect(e).toBeInstanceOf(UserFileError);
    expect(e.message).toBe(`${p}: is a FIFO (named pipe), not a regular file`);
    await expect(readUserFile(p, 'hosts')).rejects.toThrow(/is a FIFO/);
    expect(Date.now() - t0).toBeLessThan(4_000);
  });

  it('refuses /dev/zero (a device) without reading it', () => {
    expect(thrown(() => readUserFileSync('/dev/zero', 'corefile')).message).toBe('/dev/zero: is a character device, not a regular file');
  });

  it('refuses /proc/self/environ, and the error does not contain the environment', () => {
    process.env.USERFILE_TEST_SECRET = 'hunter2-do-not-print';
    const e = thrown(() => readUserFileSync('/proc/self/environ', 'corefile'));
    expect(e.message).toMatch(/^\/proc\/self\/environ: is a kernel pseudo-file/);
    expect(e.message).not.toContain('hunter2');
  });

  it('caps the size: a file over the limit is refused before it is read', () => {
    const p = join(dir, 'big');
    writeFileSync(p, Buffer.alloc(LIMITS.resolvconf + 1, 0x61));
    const e = thrown(() => readUserFileSync(p, 'resolvconf'));
    expect(e.code).toBe('EFBIG');
    expect(e.message).toBe(`${p}: is larger than 64 KiB, the limit for a resolvconf file`);
  });

  it('refuses binary content without quoting it; names a missing file', () => {
    const p = join(dir, 'bin');
    writeFileSync(p, Buffer.from('secret\0value'));
    const e = thrown(() => readUserFileSync(p, 'kubeconfig'));
    expect(e.message).toBe(`${p}: is not a text file (it contains NUL bytes)`);
    expect(thrown(() => readUserFileSync(join(dir, 'nope'), 'hosts')).message).toBe(`${join(dir, 'nope')}: no such file (ENOENT)`);
    expect(thrown(() => readUserFileSync(dir, 'hosts')).code).toBe('EISDIR');
  });
});

describe('import through readUserFile', () => {
  const corefile = join(dir, 'Corefile');
  const parse = (text: string) => () => parseCorefile(text, corefile, { env: {} });

  it('import /dev/zero: FILE:LINE error at once, nothing read', () => {
    expect(parse('. {\n  whoami\n  import /dev/zero\n}\n')).toThrow(`${corefile}:3: import "/dev/zero": /dev/zero: is a character device, not a regular file`);
  });

  it('import /proc/self/environ: FILE:LINE error that does not print the environment', () => {
    process.env.USERFILE_TEST_SECRET = 'hunter2-do-not-print';
    let msg = '';
    try { parse('. {\n  import /proc/self/environ\n}\n')(); } catch (e) { msg = (e as Error).message; }
    expect(msg).toMatch(new RegExp(`^${corefile}:2: import "/proc/self/environ": /proc/self/environ: is a kernel pseudo-file`));
    expect(msg).not.toContain('hunter2');
    expect(msg).not.toContain('PATH=');
  });

  it('import of a FIFO: FILE:LINE error at once', () => {
    const p = fifo('snippet');
    expect(parse(`. {\n  whoami\n  import ${p}\n}\n`)).toThrow(`${corefile}:3: import "${p}": ${p}: is a FIFO (named pipe)`);
  });
});
