/**
 * reload: checks the Corefile every INTERVAL (default 30s, plus up to JITTER, default 15s) and
 * reloads when its content changed (CoreDNS's plugin/reload). A Corefile that fails to parse or set
 * up leaves the running one serving and counts in coredns_reload_failed_total. SIGUSR1 reloads too.
 */
import { createHash } from 'node:crypto';
import { parts } from '../../plugin/parts.ts';
import { CorefileError } from '../../corefile/types.ts';
import { maxArgs, noBlock, parseDuration } from '../../plugin/args.ts';

const hash = (s: string) => createHash('sha512').update(s).digest('hex');

// One reload loop per process: only a control part (the control thread, or the single thread).
export const definition = parts({
  name: 'reload',
  parse(d) {
    const usage = 'reload [INTERVAL] [JITTER]';
    maxArgs(d, 2, usage);
    noBlock(d, usage);
    const interval = d.args[0] ? parseDuration(d, d.args[0], 'interval') : 30_000;
    let jitter = d.args[1] ? parseDuration(d, d.args[1], 'jitter') : 15_000;
    if (interval < 2_000) throw CorefileError.at(d, `reload: interval ${d.args[0]} is too short — the minimum is 2s`);
    if (jitter < 1_000) throw CorefileError.at(d, `reload: jitter ${d.args[1]} is too short — the minimum is 1s`);
    // CoreDNS caps the jitter at half the interval (so `reload 2s` checks every 2–3 s).
    if (jitter > interval / 2) jitter = interval / 2;
    return { interval, jitter };
  },
  control({ interval, jitter }, ctx) {
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    return {
      name: 'reload',
      async start() {
        // One reload loop per generation, whatever the number of blocks with `reload`: the first one's.
        const plugins = ctx.server.generationPlugins();
        if (plugins.find((p) => p.name === 'reload') !== this) return;
        const first = ctx.server.readCorefile();
        if (!first) return;
        let last = hash(await first);
        const tick = async () => {
          if (closed) return;
          try {
            const read = ctx.server.readCorefile();
            const now = read && hash(await read);
            // Asked now, not at start: on the first start the server can reload only once the plugins started.
            if (now !== undefined && now !== last) {
              const reloading = ctx.server.reload();
              if (reloading) {
                last = now;
                ctx.log.info('Reloading');
                await reloading;
              }
            }
          } catch (e) {
            ctx.log.error(`Corefile read failed: ${(e as Error).message}`);
          }
          schedule();
        };
        const schedule = () => {
          if (closed) return;
          timer = setTimeout(() => void tick(), interval + Math.random() * jitter);
          timer.unref();
        };
        schedule();
      },
      close() {
        closed = true;
        clearTimeout(timer);
      },
    };
  },
});
