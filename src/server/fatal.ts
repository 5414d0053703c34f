/**
 * Fatal events: what the server cannot recover from by itself. The server logs them and hands them
 * to whoever started it (ServerOptions.onFatal, Server.fatal) — it never exits the process: an
 * embedder (a test, another program) keeps running, and the command line (src/cli.ts) decides to
 * stop and exit with status 1, as CoreDNS's log.Fatal does, so the kubelet restarts the pod.
 */
import type { LogSink } from './log.ts';

/** `line` is the log line the server writes for it (before the event reaches the caller). */
export type FatalEvent =
  /** A plugin's SetupContext.fatal (loop's "Loop ... detected"): `[FATAL] plugin/NAME: reason`. */
  | { kind: 'plugin'; line: string }
  /** Worker threads kept dying (more than 5 replacements within a minute): they are no longer replaced. */
  | { kind: 'workers'; line: string };

/** Receives a plugin's `[FATAL] plugin/NAME: reason` line (GenerationOptions.fatal). */
export type FatalHandler = (line: string) => void;

/** The handler when nobody routes fatal lines (e.g. -validate, where plugins run nothing): log the line. */
export function logFatal(sink: LogSink): FatalHandler {
  return (line) => sink.write(line);
}
