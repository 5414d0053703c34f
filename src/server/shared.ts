/** Keys in SetupContext.shared through which plugins reach the server (one map per process). */
export const SHARED = {
  reload: 'server.reload',          // () => Promise<boolean>: reload the Corefile now if it changed
  metrics: 'server.metrics',        // () => Promise<{ text: string; contentType: string }>: a merged scrape
  lameduck: 'server.lameduck',      // { ms: number } set by health: how long stop waits, still answering
  shuttingDown: 'server.shuttingDown', // true once stop began (ready then answers 503)
  corefileText: 'server.corefile',  // () => Promise<string>: the Corefile as it is on disk now
  sink: 'server.sink',              // LogSink: where query log lines go
  generationPlugins: 'server.generationPlugins', // Plugin[] of the generation being started
  workersNotReady: 'server.workersNotReady', // () => Promise<string[]>: plugins not ready in some worker
  explain: 'server.explain',        // (q: ExplainQuery) => Promise<ExplainReport>: run one explained query (GET /explain)
} as const;
