/**
 * pprof: runtime profiles over HTTP under /debug/pprof/ on ADDRESS (default localhost:6053), as
 * CoreDNS's plugin/pprof serves Go's. Node's counterparts: a CPU profile (`profile?seconds=N`,
 * `.cpuprofile` JSON from node:inspector), a heap snapshot (`heap`, `.heapsnapshot` JSON from V8),
 * the command line (`cmdline`) and, with `block`, the event-loop delay (`block`). Each thread has
 * its own isolate: `?thread=ID` picks one (0, the default, is the main thread; the index lists the
 * workers), and the main thread asks a worker over the plugin's channel.
 *
 * The listener is the shared side-HTTP listener of its address (src/server/http.ts), claimed in
 * start() and released in close(), so a reload keeps the port open as health's does.
 */
import type http from 'node:http';
import type { Readable } from 'node:stream';
import { threadId } from 'node:worker_threads';
import type { Directive } from '../../corefile/types.ts';
import { CorefileError } from '../../corefile/types.ts';
import { maxArgs, unknownOption } from '../../plugin/args.ts';
import { parts } from '../../plugin/parts.ts';
import { typedChannel } from '../../plugin/ends.ts';
import { claimRoute, splitHostPort } from '../../plugin/side-http.ts';
import { DelayMonitor } from './delay.ts';
import { cpuProfile, heapSnapshot, ProfileBusy } from './profile.ts';
import { answerAsks, WorkerProfiles, type Answer, type Ask } from './threads.ts';

export const DEFAULT_ADDRESS = 'localhost:6053';
const PATH = '/debug/pprof';
const USAGE = 'pprof [ADDRESS] { block [RATE] }';
/** A CPU profile without `seconds` (or with a value that is not a positive integer) lasts this long, as Go's. */
export const DEFAULT_SECONDS = 30;
/** The longest CPU profile served: the answer is held that long, and the profile grows with it. */
export const MAX_SECONDS = 120;
const DEFAULT_BLOCK_RESOLUTION_MS = 10;

/** `here.delay`: the control part's monitor, which the answering part of the same thread reuses. */
interface Options { addr: string; blockMs: number | undefined; here: { delay?: DelayMonitor } }

function parse(d: Directive): Options {
  maxArgs(d, 1, USAGE);
  const addr = d.args[0] ?? DEFAULT_ADDRESS;
  try { splitHostPort(addr); } catch (e) {
    throw CorefileError.at(d, `pprof: invalid address "${addr}": ${(e as Error).message} — use HOST:PORT, e.g. ${DEFAULT_ADDRESS}`);
  }
  let blockMs: number | undefined;
  for (const o of d.block ?? []) {
    if (o.name !== 'block') unknownOption(d, o, ['block']);
    if (o.args.length > 1) throw CorefileError.at(o, `pprof: block takes at most one RATE — usage: ${USAGE}`);
    const raw = o.args[0];
    if (raw !== undefined && !/^[+-]?\d+$/.test(raw)) throw CorefileError.at(o, `pprof: property 'block' invalid integer value '${raw}'`);
    blockMs = raw === undefined ? DEFAULT_BLOCK_RESOLUTION_MS : Math.max(1, Number(raw));
  }
  return { addr, blockMs, here: {} };
}

/** Go's pprof reads `seconds` with ParseInt and takes 30 for anything not positive. */
export function profileSeconds(q: URLSearchParams): number | 'too long' {
  const raw = q.get('seconds');
  const n = raw !== null && /^[+-]?\d+$/.test(raw) ? Number(raw) : 0;
  if (n <= 0) return DEFAULT_SECONDS;
  return n > MAX_SECONDS ? 'too long' : n;
}

function text(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(body);
}

function attachment(res: http.ServerResponse, name: string): void {
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-disposition': `attachment; filename="${name}"`,
    'x-content-type-options': 'nosniff',
  });
}

function pipe(stream: Readable, res: http.ServerResponse, name: string): void {
  let started = false;
  stream.on('data', (c: Buffer) => { if (!started) { started = true; attachment(res, name); } res.write(c); });
  stream.on('end', () => { if (!started) attachment(res, name); res.end(); });
  stream.on('error', (e) => { if (started) res.destroy(e); else text(res, 500, `heap snapshot failed: ${e.message}\n`); });
  res.on('close', () => { if (!res.writableFinished) stream.destroy(); });
}

/**
 * Two parts: each answering thread answers the asks about itself (its profile, heap, delay); the
 * control part serves the HTTP routes, profiles its own thread (0) and asks the others.
 */
export const definition = parts({
  name: 'pprof',
  oncePerBlock: true,
  parse,
  answering(o, ctx) {
    let own: DelayMonitor | undefined;
    return {
      name: 'pprof',
      start() {
        if (ctx.mode === 'validate') return;
        // One thread runs both parts (started control first): one monitor of its loop, not two.
        if (o.blockMs !== undefined && !o.here.delay) own = new DelayMonitor(o.blockMs);
        answerAsks(typedChannel<Answer, Ask>(ctx, 'pprof'), o.here.delay ?? own);
      },
      close() { own?.stop(); },
    };
  },
  control(o, ctx) {
    const workers = new WorkerProfiles(typedChannel<Ask, Answer>(ctx, 'pprof'));
    let delay: DelayMonitor | undefined;
    let releases: (() => Promise<void>)[] = [];
    return {
      name: 'pprof',
      async start() {
        if (ctx.mode === 'validate') return;
        if (o.blockMs !== undefined) o.here.delay = delay = new DelayMonitor(o.blockMs);
        /** The other answering threads; `here`: whether this thread answers queries too (one thread). */
        let known = new Set<number>();   // the workers the last look found (the index lists them)
        const threads = async () => {
          const ids = await workers.threads();
          const others = ids.filter((id) => id !== threadId);
          known = new Set(others);
          return { here: ids.includes(threadId), others };
        };
        const threadOf = (q: URLSearchParams): number | undefined => {
          const t = q.get('thread');
          return t === null || t === '' ? 0 : /^\d+$/.test(t) ? Number(t) : undefined;
        };
        /** Run `fn` when worker `thread` exists (at once when the last look found it), else answer 404. */
        const inWorker = (res: http.ServerResponse, thread: number, fn: () => void) => {
          if (known.has(thread)) return fn();
          void threads().then(({ here, others }) => {
            if (others.includes(thread)) return fn();
            text(res, 404, here && others.length === 0 ? `no thread ${thread}: this server answers in its main thread only\n` : `no worker thread ${thread}\n`);
          });
        };
        const routes: [string, (req: http.IncomingMessage, res: http.ServerResponse, q: URLSearchParams) => void][] = [
          [PATH, (_req, res) => { res.writeHead(301, { location: `${PATH}/` }).end(); }],
          [`${PATH}/`, (_req, res) => {
            void threads().then(({ here, others }) => {
              res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(indexPage(others, here, o.blockMs !== undefined));
            });
          }],
          [`${PATH}/cmdline`, (_req, res) => text(res, 200, process.argv.join('\0'))],
          [`${PATH}/profile`, (req, res, q) => {
            const seconds = profileSeconds(q);
            const thread = threadOf(q);
            if (seconds === 'too long') return text(res, 400, `profile duration exceeds the limit of ${MAX_SECONDS} seconds\n`);
            if (thread === undefined) return text(res, 400, 'thread must be a thread id (0: the main thread)\n');
            const name = `clusterdns-thread${thread}.cpuprofile`;
            if (thread === 0) {
              const stop = new AbortController();
              req.socket.once('close', () => stop.abort());
              cpuProfile(seconds, stop.signal).then(
                (json) => { attachment(res, name); res.end(json); },
                (e: unknown) => text(res, 500, e instanceof ProfileBusy ? `Could not enable CPU profiling: ${e.message}\n` : `CPU profile failed: ${String(e)}\n`),
              );
              return;
            }
            inWorker(res, thread, () => void workers.profile(thread, seconds).then((a) => {
              if (!a) return text(res, 404, `no worker thread ${thread} answered\n`);
              if (a.json !== undefined) { attachment(res, name); res.end(a.json); return; }
              text(res, 500, a.busy ? `Could not enable CPU profiling: ${a.error}\n` : `CPU profile failed: ${a.error}\n`);
            }));
          }],
          [`${PATH}/heap`, (_req, res, q) => {
            const thread = threadOf(q);
            if (thread === undefined) return text(res, 400, 'thread must be a thread id (0: the main thread)\n');
            const name = `clusterdns-thread${thread}.heapsnapshot`;
            if (thread === 0) return pipe(heapSnapshot(), res, name);
            inWorker(res, thread, () => pipe(workers.heap(thread), res, name));
          }],
        ];
        if (o.blockMs !== undefined) {
          routes.push([`${PATH}/block`, (_req, res, q) => {
            const thread = threadOf(q);
            if (thread === undefined) return text(res, 400, 'thread must be a thread id (0: the main thread)\n');
            if (thread === 0) return text(res, 200, delay!.report('main thread'));
            inWorker(res, thread, () => void workers.block(thread).then((a) => (a ? text(res, 200, a.text) : text(res, 404, `no worker thread ${thread} answered\n`))));
          }]);
        }
        for (const [path, handle] of routes) {
          releases.push(await claimRoute(o.addr, path, (req, res) => {
            const q = new URL(req.url ?? '/', 'http://x').searchParams;
            handle(req, res, q);
          }));
        }
      },
      async close() {
        delay?.stop();
        const r = releases;
        releases = [];
        await Promise.all(r.map((f) => f()));
      },
    };
  },
});

function indexPage(workers: number[], single: boolean, block: boolean): string {
  const threads = [
    `<li>0: the main thread — ${single ? 'answers every query, and runs the Kubernetes watches, reloads and these HTTP listeners' : 'the control plane: Kubernetes watches, file watchers, reloads, these HTTP listeners (it answers no queries)'}</li>`,
    ...workers.map((id) => `<li>${id}: a worker thread — answers queries on its own sockets</li>`),
  ];
  const rows = [
    ['profile?seconds=N&amp;thread=ID', `CPU profile of one thread for N seconds (default ${DEFAULT_SECONDS}, at most ${MAX_SECONDS}): a .cpuprofile for Chrome DevTools or VS Code`],
    ['heap?thread=ID', 'heap snapshot of one thread: a .heapsnapshot for Chrome DevTools (the thread pauses while it is taken)'],
    ['cmdline', 'the command line, arguments separated by NUL bytes'],
    ...(block ? [['block?thread=ID', 'event-loop delay of one thread since start (the nearest Node has to Go\'s block profile)']] : []),
  ];
  return `<html><head><title>/debug/pprof/</title></head><body>
<p>/debug/pprof/</p>
<p>Profiles (thread=ID picks the thread; without it, the main thread):</p>
<ul>
${rows.map(([p, what]) => `<li><a href="${PATH}/${p!.replace(/\?.*/, '')}">${p}</a>: ${what}</li>`).join('\n')}
</ul>
<p>Threads:</p>
<ul>
${threads.join('\n')}
</ul>
</body></html>
`;
}
