/**
 * Reading a zone file (and the files it `$INCLUDE`s) without letting the file hang or flood the
 * server: opened with O_NONBLOCK (opening a FIFO cannot block), the opened descriptor checked to
 * be a regular file (no stat-then-open race), /proc-style files that report size 0 refused, at
 * most 64 MiB read (a zone of a million records is about 40 MB), no NUL bytes. Errors are one line
 * naming what is wrong, never the file's contents.
 *
 * Written here because the shared helper for user-named files (src/corefile/files.ts on another
 * branch) was not on main yet; once it is, this becomes a call to it with a "zone" kind.
 */
import fs from 'node:fs';
import { open } from 'node:fs/promises';

export const MAX_ZONE_FILE = 64 * 1024 * 1024;

export class ZoneReadError extends Error {
  readonly code: string;
  constructor(code: string, why: string) { super(why); this.code = code; }
}

const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

const ERRNO: Record<string, string> = {
  ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory', ELOOP: 'too many symbolic links', ENXIO: 'no such device or address',
};

function fromErrno(e: unknown): ZoneReadError {
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  return new ZoneReadError(code, ERRNO[code] ? `${ERRNO[code]} (${code})` : `cannot read (${code})`);
}

function check(st: fs.Stats): void {
  if (st.isDirectory()) throw new ZoneReadError('EISDIR', 'is a directory, not a file');
  if (!st.isFile()) throw new ZoneReadError('ENOTREG', 'is not a regular file (a FIFO, socket or device)');
  if (st.size > MAX_ZONE_FILE) throw new ZoneReadError('EFBIG', 'is larger than 64 MiB, the limit for a zone file');
}

function finish(st: fs.Stats, chunks: Buffer[], total: number): string {
  if (st.size === 0 && total > 0) throw new ZoneReadError('ENOTREG', 'is a kernel pseudo-file (size 0 with content), not a regular file');
  const b = Buffer.concat(chunks, total);
  if (b.includes(0)) throw new ZoneReadError('EBINARY', 'is not a text file (it contains NUL bytes)');
  return b.toString('utf8');
}

function chunkSize(st: fs.Stats, total: number): number {
  return Math.min(MAX_ZONE_FILE + 1 - total, Math.max(st.size + 1 - total, 64 * 1024));
}

export function readZoneFileSync(path: string): { text: string; stats: fs.Stats } {
  let fd: number;
  try { fd = fs.openSync(path, FLAGS); } catch (e) { throw fromErrno(e); }
  try {
    const stats = fs.fstatSync(fd);
    check(stats);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const b = Buffer.allocUnsafe(chunkSize(stats, total));
      let n: number;
      try { n = fs.readSync(fd, b, 0, b.length, null); } catch (e) { throw fromErrno(e); }
      if (n === 0) break;
      chunks.push(b.subarray(0, n));
      total += n;
      if (total > MAX_ZONE_FILE) throw new ZoneReadError('EFBIG', 'is larger than 64 MiB, the limit for a zone file');
    }
    return { text: finish(stats, chunks, total), stats };
  } finally {
    fs.closeSync(fd);
  }
}

export async function readZoneFile(path: string): Promise<{ text: string; stats: fs.Stats }> {
  let fh: fs.promises.FileHandle;
  try { fh = await open(path, FLAGS); } catch (e) { throw fromErrno(e); }
  try {
    const stats = await fh.stat();
    check(stats);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const b = Buffer.allocUnsafe(chunkSize(stats, total));
      let n: number;
      try { ({ bytesRead: n } = await fh.read(b, 0, b.length, null)); } catch (e) { throw fromErrno(e); }
      if (n === 0) break;
      chunks.push(b.subarray(0, n));
      total += n;
      if (total > MAX_ZONE_FILE) throw new ZoneReadError('EFBIG', 'is larger than 64 MiB, the limit for a zone file');
    }
    return { text: finish(stats, chunks, total), stats };
  } finally {
    await fh.close();
  }
}
