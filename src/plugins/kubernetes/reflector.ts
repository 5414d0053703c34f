/**
 * One resource kept in sync with the API server: list (paged, 500 per page as client-go does),
 * then watch from the list's resourceVersion with bookmarks, and again and again.
 *
 * Written on the client library's own pieces (the generated list call and `Watch`) rather than
 * its ListWatch, because ListWatch keeps a second copy of every object and stops for good on any
 * error but 410. Here:
 * - a watch that ends cleanly is reopened at once from the last resourceVersion seen;
 * - 410 Gone (an expired resourceVersion) relists at once; the relist is diffed against what we
 *   have, so answers never go through an empty state;
 * - anything else (dropped connection, 5xx, refused) retries with a short capped backoff
 *   (25 ms doubling to 300 ms, with jitter), so recovery is well under a second once the API is back,
 *   while the last known data keeps being served.
 */
import { performance } from 'node:perf_hooks';
import { Watch, type KubeConfig } from './client-lib.ts';
import type { Logger } from '../../plugin/contract.ts';
import type { RestClientRecorder } from './rest-metrics.ts';

export interface ListPage { items: unknown[]; metadata?: { resourceVersion?: string; _continue?: string } }
export type ListFn = (opts: { limit: number; _continue?: string; labelSelector?: string; fieldSelector?: string }) => Promise<ListPage>;

export interface ReflectorHandlers {
  /**
   * A complete list (the first sync, or a relist after 410) arrives as begin(), one page() per
   * page of up to 500 objects (converted and dropped page by page, to keep the peak small), and
   * replace() once the last page is in; a list that fails half-way starts again with begin().
   */
  begin(): void;
  page(items: unknown[]): void;
  replace(): void;
  added(obj: unknown): void;
  modified(obj: unknown): void;
  deleted(obj: unknown): void;
}

export interface ReflectorOptions {
  kind: string;                 // "*v1.Service", for log lines as client-go writes them
  path: string;                 // watch path, e.g. /api/v1/services
  list: ListFn;
  labelSelector?: string;
  fieldSelector?: string;
  kc: KubeConfig;
  log: Logger;
  handlers: ReflectorHandlers;
  /** CoreDNS's rest_client metrics for every list and watch request (rest-metrics.ts). */
  metrics?: RestClientRecorder;
}

const PAGE = 500;
const BACKOFF_MIN_MS = 25;
const BACKOFF_MAX_MS = 300;
const LOG_EVERY_MS = 10_000;

class Gone extends Error {}

function statusOf(e: unknown): number | undefined {
  const x = e as { code?: unknown; statusCode?: unknown } | null;
  if (typeof x?.statusCode === 'number') return x.statusCode;
  if (typeof x?.code === 'number') return x.code;
  return undefined;
}

function describe(e: unknown): string {
  const s = statusOf(e);
  const msg = (e as Error)?.message ?? String(e);
  const first = msg.split('\n')[0]!;
  return s !== undefined && !first.includes(String(s)) ? `${first} (HTTP ${s})` : first;
}

export class Reflector {
  private readonly o: ReflectorOptions;
  private readonly watcher: Watch;
  private rv = '';
  private stopped = false;
  private abort: AbortController | undefined;
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private backoff = BACKOFF_MIN_MS;
  private failingSince = 0;
  private lastLog = 0;
  private running: Promise<void> | undefined;
  /** Back-off slept since the last request went out: the next request was held back that long. */
  private held = 0;
  /** Completed lists and watch (re)connections, for tests and logs. */
  readonly stats = { lists: 0, watches: 0, errors: 0, gone: 0 };

  constructor(o: ReflectorOptions) {
    this.o = o;
    this.watcher = new Watch(o.kc);
  }

  start(): void { this.running ??= this.loop(); }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    if (this.sleeping) { clearTimeout(this.sleeping.timer); this.sleeping.wake(); }
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.rv === '') await this.relist();
        if (this.stopped) break;
        const started = Date.now();
        const events = await this.watchOnce();
        if (events === 0 && Date.now() - started < 1_000) {
          // closed at once with nothing said: do not spin
          await this.hold(this.backoff);
          this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
        }
      } catch (e) {
        if (this.stopped) break;
        if (e instanceof Gone || statusOf(e) === 410) {
          this.stats.gone++;
          this.rv = '';
          continue;
        }
        this.failed(e);
        await this.hold(this.backoff * (0.8 + Math.random() * 0.4));
        this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
      }
    }
  }

  private async relist(): Promise<void> {
    let cont: string | undefined;
    let rv = '';
    this.o.handlers.begin();
    do {
      const page = await this.timed(() => this.o.list({ limit: PAGE, _continue: cont, labelSelector: this.o.labelSelector, fieldSelector: this.o.fieldSelector }));
      if (this.stopped) return;
      this.o.handlers.page(page.items);
      cont = page.metadata?._continue || undefined;
      rv = page.metadata?.resourceVersion ?? '';
    } while (cont);
    this.o.handlers.replace();
    this.rv = rv;
    this.stats.lists++;
    this.recovered();
  }

  /** One watch stream: resolves with its event count when it ends cleanly, rejects on errors (Gone for 410). */
  private watchOnce(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let gone = false;
      let events = 0;
      let finished = false;
      // The request is over once the response headers are in (then) or it failed (done first).
      const answered = this.requestStarted();
      const params: Record<string, string | boolean | undefined> = {
        resourceVersion: this.rv, allowWatchBookmarks: true,
        labelSelector: this.o.labelSelector, fieldSelector: this.o.fieldSelector,
      };
      const onEvent = (type: string, obj: { metadata?: { resourceVersion?: string }; code?: number }) => {
        events++;
        switch (type) {
          case 'ADDED': this.o.handlers.added(obj); break;
          case 'MODIFIED': this.o.handlers.modified(obj); break;
          case 'DELETED': this.o.handlers.deleted(obj); break;
          case 'BOOKMARK': break;
          case 'ERROR':
            if (obj?.code === 410) gone = true;
            return;
          default: return;
        }
        const rv = obj?.metadata?.resourceVersion;
        if (rv) this.rv = rv;
      };
      const done = (err: unknown) => {
        answered(err ? statusOf(err) : 200);
        finished = true;
        this.abort = undefined;
        if (gone) reject(new Gone('resource version expired'));
        else if (err && (err as Error).name !== 'TimeoutError' && !this.stopped) reject(err);
        else resolve(events);
      };
      this.watcher.watch(this.o.path, params, onEvent, done).then((ctl) => {
        if (finished) return;               // refused with a status: done() has the error
        answered(200);
        this.abort = ctl;
        this.stats.watches++;
        this.recovered();
        if (this.stopped) ctl.abort();
      }, reject);
    });
  }

  /** Start of one request: report the time it was held back; the result reports its status once. */
  private requestStarted(): (code: number | undefined) => void {
    const m = this.o.metrics;
    if (!m) return () => {};
    m.held('GET', this.held / 1000);
    this.held = 0;
    const t0 = performance.now();
    let reported = false;
    return (code) => {
      if (reported) return;
      reported = true;
      m.request('GET', code, (performance.now() - t0) / 1000);
    };
  }

  /** One list request, measured: 200 once its body is in, else the status it failed with. */
  private async timed<T>(send: () => Promise<T>): Promise<T> {
    const answered = this.requestStarted();
    try {
      const r = await send();
      answered(200);
      return r;
    } catch (e) {
      answered(statusOf(e));
      throw e;
    }
  }

  /** Back off before the next request, and remember it was held back that long. */
  private async hold(ms: number): Promise<void> {
    const t0 = performance.now();
    await this.sleep(ms);
    this.held += performance.now() - t0;
  }

  private failed(e: unknown): void {
    this.stats.errors++;
    const now = Date.now();
    if (this.failingSince === 0) this.failingSince = now;
    if (now - this.lastLog >= LOG_EVERY_MS) {
      this.lastLog = now;
      const what = this.rv === '' ? `failed to list ${this.o.kind}` : `failed to watch ${this.o.kind}`;
      this.o.log.error(`Failed to watch ${this.o.kind}: ${what}: ${describe(e)}`);
    }
  }

  private recovered(): void {
    this.backoff = BACKOFF_MIN_MS;
    if (this.failingSince !== 0) {
      this.o.log.info(`Kubernetes API connection for ${this.o.kind} restored after ${((Date.now() - this.failingSince) / 1000).toFixed(1)}s`);
      this.failingSince = 0;
      this.lastLog = 0;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => { this.sleeping = undefined; resolve(); };
      this.sleeping = { timer: setTimeout(wake, ms), wake };
    });
  }
}
