/**
 * Logging pieces of the SDK that plugins use directly: the sink log lines go to, and the switch
 * for [DEBUG] lines that the debug plugin holds. Loggers themselves come with the setup context
 * (ctx.log, `[LEVEL] plugin/NAME: msg`); src/server/log.ts builds them on these.
 */

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

/** Whether [DEBUG] lines are written now (in this thread). */
export function debugEnabled(): boolean { return debugHolders > 0; }
