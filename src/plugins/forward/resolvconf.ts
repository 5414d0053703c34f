/**
 * The resolv.conf-style files among forward's TO, kept current while the server runs.
 *
 * Why: a node that boots without /etc/resolv.conf (or with an empty one) must not take cluster DNS
 * down. So a file that names no usable nameserver is not fatal at run time: it is "unresolved" (its
 * reason kept for logs, /health and SERVFAIL errors) and is polled until it names one. A file that
 * had nameservers and then loses them (deleted, emptied, only garbage left — often a moment in the
 * middle of a rewrite) keeps its last nameservers, as CoreDNS, which reads the file once, would;
 * a file that names other nameservers switches to them.
 *
 * Polling is one stat per file per interval; a file is re-read when its stat changes, and on every
 * poll while it is unresolved (a resolv.conf is a few hundred bytes).
 */
import fs from 'node:fs';
import { readResolvConf, ResolvConfError, type UpstreamAddr } from './hosts.ts';

/** The state of one file: the nameservers in use from it (undefined: never had any) and what is wrong now. */
export interface ResolvConfFile {
  readonly path: string;
  servers: UpstreamAddr[] | undefined;
  error: string | undefined;
  sig: string;
}

/** What one poll changed. */
export interface ResolvConfChange {
  /** The nameservers in use (from all files) changed. */
  servers: boolean;
  /** Files that just went wrong although they still have nameservers in use (kept), with the reason. */
  kept: { path: string; error: string; servers: UpstreamAddr[] }[];
}

export class ResolvConfFiles {
  private readonly files: ResolvConfFile[];
  private readonly lastGood: Map<string, UpstreamAddr[]>;
  /**
   * `lastGood`: per path, the nameservers last read from it in this process (shared across reloads,
   * so a new Corefile generation does not lose upstreams that a vanished file gave the old one).
   */
  constructor(paths: readonly string[], lastGood: Map<string, UpstreamAddr[]> = new Map()) {
    this.lastGood = lastGood;
    this.files = [...new Set(paths)].map((path) => ({ path, servers: undefined, error: undefined, sig: '' }));
    for (const f of this.files) this.read(f, signature(f.path));
  }

  /** The nameservers in use, file by file in TO order. */
  nameservers(): UpstreamAddr[] {
    return this.files.flatMap((f) => f.servers ?? []);
  }

  /** Files that name no usable nameserver and never did in this process, with the reason. */
  unresolved(): { path: string; error: string }[] {
    return this.files.filter((f) => f.servers === undefined).map((f) => ({ path: f.path, error: f.error ?? `${f.path}: no nameserver` }));
  }

  /** Every file's current problem, including files whose last nameservers are kept. */
  problems(): { path: string; error: string }[] {
    return this.files.filter((f) => f.error !== undefined).map((f) => ({ path: f.path, error: f.error! }));
  }

  /** Per path, the nameservers in use from it (files that have some). */
  inUse(): [string, UpstreamAddr[]][] {
    return this.files.filter((f) => f.servers !== undefined).map((f) => [f.path, f.servers!]);
  }

  /**
   * Take nameservers another thread of this process has in use for files that name none here (a
   * worker started after the file vanished). True when the nameservers in use changed.
   */
  adopt(entries: readonly [string, UpstreamAddr[]][]): boolean {
    let changed = false;
    for (const [path, servers] of entries) {
      const f = this.files.find((x) => x.path === path);
      if (!f || f.servers !== undefined || servers.length === 0) continue;
      f.servers = servers;
      this.lastGood.set(path, servers);
      changed = true;
    }
    return changed;
  }

  /** Stat every file; re-read those that changed or are unresolved. */
  poll(): ResolvConfChange {
    const change: ResolvConfChange = { servers: false, kept: [] };
    for (const f of this.files) {
      const sig = signature(f.path);
      // Unchanged, with nameservers in use (read fine, or broken with its last ones kept): nothing to do.
      if (sig === f.sig && f.servers !== undefined) continue;
      const before = { servers: f.servers, error: f.error };
      this.read(f, sig);
      if (labels(before.servers) !== labels(f.servers)) change.servers = true;
      if (f.error !== undefined && before.error === undefined && f.servers !== undefined) {
        change.kept.push({ path: f.path, error: f.error, servers: f.servers });
      }
    }
    return change;
  }

  private read(f: ResolvConfFile, sig: string): void {
    f.sig = sig;
    try {
      const servers = readResolvConf(f.path);
      f.servers = servers;
      f.error = undefined;
      this.lastGood.set(f.path, servers);
    } catch (e) {
      // Whatever went wrong is this file's problem, never the server's (this runs on a timer).
      f.error = e instanceof ResolvConfError ? e.message : `${f.path}: ${(e as Error).message}`;
      f.servers ??= this.lastGood.get(f.path);
    }
  }
}

/** What a change of the file shows in its stat: gone, replaced (inode), rewritten (size, times). */
function signature(path: string): string {
  try {
    const s = fs.statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (e) {
    return `error:${(e as NodeJS.ErrnoException).code ?? ''}`;
  }
}

function labels(a: UpstreamAddr[] | undefined): string {
  return a === undefined ? '' : a.map((u) => u.label).join(' ');
}
