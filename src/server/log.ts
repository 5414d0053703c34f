/** Log lines in CoreDNS's format: `[LEVEL] plugin/NAME: message` (or without the plugin part). */
import type { Logger } from '../plugin/contract.ts';

export interface LogSink { write(line: string): void }

export const stdoutSink: LogSink = { write: (line) => process.stdout.write(line + '\n') };

let debugOn = false;
/** The debug plugin turns [DEBUG] lines on. */
export function setDebug(on: boolean): void { debugOn = on; }

export function makeLogger(sink: LogSink, plugin?: string): Logger {
  const p = plugin ? `plugin/${plugin}: ` : '';
  return {
    info: (m) => sink.write(`[INFO] ${p}${m}`),
    warning: (m) => sink.write(`[WARNING] ${p}${m}`),
    error: (m) => sink.write(`[ERROR] ${p}${m}`),
    debug: (m) => { if (debugOn) sink.write(`[DEBUG] ${p}${m}`); },
  };
}
