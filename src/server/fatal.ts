/**
 * Where a plugin's fatal event (SetupContext.fatal) ends when whoever started the server did not
 * route it elsewhere (ServerOptions.onFatal): the `[FATAL] plugin/NAME: ...` line goes to the
 * server's log sink and the process exits with status 1, as CoreDNS's log.Fatal does — the
 * kubelet then restarts the pod with its back-off.
 */
import type { LogSink } from './log.ts';

export type FatalHandler = (line: string) => void;

export function exitOnFatal(sink: LogSink): FatalHandler {
  return (line) => {
    sink.write(line);
    process.exitCode = 1;
    process.exit(1);
  };
}
