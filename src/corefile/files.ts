/**
 * Reading a file a user named (the Corefile and its imports, hosts files, resolv.conf, kubeconfig,
 * manifests, TLS files, weight files) without letting that file hang, flood or expose the server.
 *
 * - Only regular files: the file is opened first (O_NONBLOCK, so opening a FIFO cannot block) and
 *   the *opened* descriptor is checked with fstat — no stat-then-open race where the path is swapped
 *   for a FIFO or a device in between. A FIFO, socket, device or directory is refused at once.
 * - Kernel pseudo-files (/proc, /sys) are refused: they report size 0 yet have content
 *   (`import /proc/self/environ` would hand the environment to an error message).
 * - A size cap per kind of file (LIMITS below), checked on the bytes actually read, so a file that
 *   grows or lies about its size cannot make us read forever.
 * - Text files must not contain NUL bytes (a binary file is not a Corefile, hosts file or YAML).
 * - Errors are one line naming the file and what is wrong; they never contain the file's bytes.
 */
import fs from 'node:fs';
import { open } from 'node:fs/promises';

const KiB = 1024, MiB = 1024 * KiB;

/**
 * Size caps. A hosts file of 100k entries is ~4 MB, so 16 MiB leaves 4× room; a Corefile (kubeadm's
 * is ~500 bytes, large hand-written ones tens of KB) or an imported snippet stays far below 1 MiB;
 * resolv.conf is a handful of lines; a kubeconfig with embedded certificates for dozens of clusters
 * is well under 4 MiB; a manifests file holding a whole cluster's Services and EndpointSlices as
 * YAML (10k Services) is ~30 MB, hence 64 MiB; PEM certificates and keys are a few KB; a zone
 * file (the file plugin, and the files it $INCLUDEs) of a million records is ~40 MB, hence 64 MiB.
 */
export const LIMITS = {
  corefile: 1 * MiB,
  hosts: 16 * MiB,
  resolvconf: 64 * KiB,
  kubeconfig: 4 * MiB,
  manifest: 64 * MiB,
  tls: 1 * MiB,
  weights: 16 * MiB,
  zone: 64 * MiB,
} as const;
export type FileKind = keyof typeof LIMITS;

/** A file that cannot be used; `code` is the errno code (ENOENT, EACCES, …) or one of ours. */
export class UserFileError extends Error {
  readonly code: string;
  constructor(file: string, code: string, why: string) {
    super(`${file}: ${why}`);
    this.code = code;
  }
}

const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

/** The file's text (UTF-8), read as described above. Throws UserFileError. */
export function readUserFileSync(file: string, kind: FileKind): string {
  return text(file, readUserBytesSync(file, kind));
}

/** As readUserFileSync, without blocking the event loop; also returns the opened file's stats. */
export async function readUserFile(file: string, kind: FileKind): Promise<{ text: string; stats: fs.Stats }> {
  const { bytes, stats } = await readUserBytes(file, kind);
  return { text: text(file, bytes), stats };
}

/** The file's bytes (for PEM files), with every check but the text one. */
export function readUserBytesSync(file: string, kind: FileKind): Buffer {
  return readUserBytesWithStatsSync(file, kind).bytes;
}

/** Bytes and the opened file's stats (for watchers that compare mtime and size). */
export function readUserBytesWithStatsSync(file: string, kind: FileKind): { bytes: Buffer; stats: fs.Stats } {
  let fd: number;
  try { fd = fs.openSync(file, FLAGS); } catch (e) { throw fromErrno(file, e); }
  try {
    const stats = fs.fstatSync(fd);
    const r = new BoundedRead(file, stats, kind);
    for (;;) {
      const b = r.buffer();
      let n: number;
      try { n = fs.readSync(fd, b, 0, b.length, null); } catch (e) { throw fromErrno(file, e); }
      if (!r.add(b, n)) break;
    }
    return { bytes: r.bytes(), stats };
  } finally {
    fs.closeSync(fd);
  }
}

async function readUserBytes(file: string, kind: FileKind): Promise<{ bytes: Buffer; stats: fs.Stats }> {
  let fh: fs.promises.FileHandle;
  try { fh = await open(file, FLAGS); } catch (e) { throw fromErrno(file, e); }
  try {
    const stats = await fh.stat();
    const r = new BoundedRead(file, stats, kind);
    for (;;) {
      const b = r.buffer();
      let n: number;
      try { ({ bytesRead: n } = await fh.read(b, 0, b.length, null)); } catch (e) { throw fromErrno(file, e); }
      if (!r.add(b, n)) break;
    }
    return { bytes: r.bytes(), stats };
  } finally {
    await fh.close();
  }
}

function check(file: string, st: fs.Stats, kind: FileKind): void {
  if (st.isDirectory()) throw new UserFileError(file, 'EISDIR', 'is a directory, not a file');
  if (!st.isFile()) throw new UserFileError(file, 'ENOTREG', `is ${what(st)}, not a regular file`);
  if (st.size > LIMITS[kind]) throw tooBig(file, kind);
}

/**
 * The checks and the size cap of one read, shared by the sync and async readers: the opened file's
 * stats are checked first; each chunk is counted against the cap as it is read (the file may grow
 * or lie about its size); a file that says size 0 but has content is a kernel pseudo-file.
 */
class BoundedRead {
  private readonly chunks: Buffer[] = [];
  private total = 0;
  private readonly file: string;
  private readonly stats: fs.Stats;
  private readonly kind: FileKind;
  constructor(file: string, stats: fs.Stats, kind: FileKind) {
    check(file, stats, kind);
    this.file = file; this.stats = stats; this.kind = kind;
  }
  /** A buffer for the next read: what the file says is left, at least 64 KiB, at most the cap + 1. */
  buffer(): Buffer {
    const max = LIMITS[this.kind];
    return Buffer.allocUnsafe(Math.min(max + 1 - this.total, Math.max(this.stats.size + 1 - this.total, 64 * KiB)));
  }
  /** Count `n` bytes read into `b`; false at the end of the file. Throws past the cap. */
  add(b: Buffer, n: number): boolean {
    if (n === 0) return false;
    this.chunks.push(b.subarray(0, n));
    this.total += n;
    if (this.total > LIMITS[this.kind]) throw tooBig(this.file, this.kind);
    return true;
  }
  bytes(): Buffer {
    if (this.stats.size === 0 && this.total > 0) {
      throw new UserFileError(this.file, 'ENOTREG', 'is a kernel pseudo-file (reports size 0 but has content, as in /proc or /sys), not a regular file');
    }
    return Buffer.concat(this.chunks, this.total);
  }
}

function text(file: string, b: Buffer): string {
  if (b.includes(0)) throw new UserFileError(file, 'EBINARY', 'is not a text file (it contains NUL bytes)');
  return b.toString('utf8');
}

function tooBig(file: string, kind: FileKind): UserFileError {
  return new UserFileError(file, 'EFBIG', `is larger than ${LIMITS[kind] / MiB >= 1 ? `${LIMITS[kind] / MiB} MiB` : `${LIMITS[kind] / KiB} KiB`}, the limit for a ${kind} file`);
}

function what(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const ERRNO: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  ENXIO: 'no such device or address',
};

function fromErrno(file: string, e: unknown): UserFileError {
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  return new UserFileError(file, code, ERRNO[code] ? `${ERRNO[code]} (${code})` : `cannot read (${code})`);
}
