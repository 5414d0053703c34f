/**
 * SetupContext.server: the typed services a plugin may ask of the server, over the per-process
 * `shared` map that startServer fills (SHARED keys). The casts of those keys live here, once,
 * instead of in every plugin that reads them.
 */
import { registry } from '../metrics/registry.ts';
import type { Plugin, ServerServices } from '../plugin/contract.ts';
import type { ExplainQuery, ExplainReport } from '../plugin/trace.ts';
import { stdoutSink, type LogSink } from '../plugin/log.ts';
import { SHARED } from './shared.ts';

export function serverServices(shared: Map<string, unknown>): ServerServices {
  return {
    get logSink() { return (shared.get(SHARED.sink) as LogSink | undefined) ?? stdoutSink; },
    readCorefile: () => (shared.get(SHARED.corefileText) as (() => Promise<string>) | undefined)?.(),
    reload: () => (shared.get(SHARED.reload) as (() => Promise<boolean>) | undefined)?.(),
    metrics: () => {
      const collect = shared.get(SHARED.metrics) as (() => Promise<{ text: string; contentType: string }>) | undefined;
      return collect ? collect() : registry.metrics().then((text) => ({ text, contentType: registry.contentType }));
    },
    setLameduck: (ms) => {
      const mine = { ms };
      shared.set(SHARED.lameduck, mine);
      return () => { if (shared.get(SHARED.lameduck) === mine) shared.delete(SHARED.lameduck); };
    },
    shuttingDown: () => shared.get(SHARED.shuttingDown) === true,
    generationPlugins: () => (shared.get(SHARED.generationPlugins) as Plugin[] | undefined) ?? [],
    notReadyElsewhere: () => (shared.get(SHARED.workersNotReady) as (() => Promise<string[]>) | undefined)?.() ?? Promise.resolve([]),
    explain: (q) => (shared.get(SHARED.explain) as ((q: ExplainQuery) => Promise<ExplainReport>) | undefined)?.(q),
  };
}
