/** Log lines in CoreDNS's format: `[LEVEL] plugin/NAME: message` (or without the plugin part). */
import type { Logger } from '../plugin/contract.ts';

export interface LogSink { write(line: string): void }

export const stdoutSink: LogSink = { write: (line) => process.stdout.write(line + '\n') };

let debugHolders = 0;
/**
 * The debug plugin turns [DEBUG] lines on for as long as one of its instances lives: a count,
 * not a flag, because a reload sets up the new generation before it closes the old one (with a
 * flag, the old instance's close switched debug off under a new Corefile that still has it).
 * Returns the release, idempotent.
 */
export function holdDebug(): () => void {
  debugHolders++;
  let held = true;
  return () => { if (held) { held = false; debugHolders--; } };
}

export function makeLogger(sink: LogSink, plugin?: string): Logger {
  const p = plugin ? `plugin/${plugin}: ` : '';
  return {
    info: (m) => sink.write(`[INFO] ${p}${m}`),
    warning: (m) => sink.write(`[WARNING] ${p}${m}`),
    error: (m) => sink.write(`[ERROR] ${p}${m}`),
    debug: (m) => { if (debugHolders > 0) sink.write(`[DEBUG] ${p}${m}`); },
  };
}

/** A duration as Go's time.Duration.String() writes it ("500ms", "30s", "5m0s", "1h0m0s"), as CoreDNS logs it. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = `${(ms % 60_000) / 1000}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}
