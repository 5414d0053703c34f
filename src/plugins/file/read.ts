/**
 * Reading a zone file and the files it `$INCLUDE`s through the one helper for user-named files
 * (src/corefile/files.ts): a regular file only (opened first, then checked), at most 64 MiB, no
 * NUL bytes, one-line errors that name the file and never quote it.
 */
import type { Stats } from 'node:fs';
import { readUserBytesWithStatsSync, readUserFile, UserFileError } from '../../corefile/files.ts';

export { UserFileError };

/** The text and the opened file's stats (the reload check compares them). */
export function readZoneFileSync(path: string): { text: string; stats: Stats } {
  const { bytes, stats } = readUserBytesWithStatsSync(path, 'zone');
  if (bytes.includes(0)) throw new UserFileError(path, 'EBINARY', 'is not a text file (it contains NUL bytes)');
  return { text: bytes.toString('utf8'), stats };
}

export function readZoneFile(path: string): Promise<{ text: string; stats: Stats }> {
  return readUserFile(path, 'zone');
}
