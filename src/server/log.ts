/** Log lines in CoreDNS's format: `[LEVEL] plugin/NAME: message` (or without the plugin part). */
import type { Logger } from '../plugin/contract.ts';
import { debugEnabled, type LogSink } from '../plugin/log.ts';

export { stdoutSink, holdDebug, type LogSink } from '../plugin/log.ts';
export { formatDuration as goDuration } from '../plugin/duration.ts';

export function makeLogger(sink: LogSink, plugin?: string): Logger {
  const p = plugin ? `plugin/${plugin}: ` : '';
  return {
    info: (m) => sink.write(`[INFO] ${p}${m}`),
    warning: (m) => sink.write(`[WARNING] ${p}${m}`),
    error: (m) => sink.write(`[ERROR] ${p}${m}`),
    debug: (m) => { if (debugEnabled()) sink.write(`[DEBUG] ${p}${m}`); },
  };
}

