/**
 * A generation built straight from a Corefile text (src/server/generation.ts), without listeners:
 * for tests of setup — the errors a Corefile gets in a given thread role and mode, and which
 * plugins a thread keeps.
 */
import { buildGeneration, ConfigErrors, type Role } from '../../src/server/generation.ts';
import { LoopbackHub } from '../../src/server/channels.ts';

export function generation(text: string, role: Role = 'single', mode: 'serve' | 'validate' = 'validate') {
  return buildGeneration({ text, file: 'Corefile', dnsPort: 53, role, mode, env: {}, sink: { write() {} }, shared: new Map(), hub: new LoopbackHub() });
}

/** The FILE:LINE errors of `text` in that role and mode ([] when it sets up); other errors are thrown. */
export async function configErrors(text: string, role: Role = 'single', mode: 'serve' | 'validate' = 'validate'): Promise<string[]> {
  try {
    const g = await generation(text, role, mode);
    await g.close();
    return [];
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors.map((x) => x.message);
    throw e;
  }
}
