// Per-process state with declared keys: made once, shared by every context of the process
// (blocks, generations), separate between processes' maps, and a key name can be declared once.
import { describe, expect, it } from 'vitest';
import { processState, stateKey } from '../../src/plugin/process-state.ts';

describe('processState', () => {
  it('makes the value on first use and gives the same one to every context of the process', () => {
    let made = 0;
    const KEY = stateKey('test/counted', () => { made++; return new Map<string, number>(); });
    const shared = new Map<string, unknown>();
    const a = processState({ shared }, KEY);
    a.set('x', 1);
    const b = processState({ shared }, KEY);              // another block or a new generation
    expect(b).toBe(a);
    expect(b.get('x')).toBe(1);
    expect(made).toBe(1);
    const other = processState({ shared: new Map() }, KEY); // another process's map
    expect(other).not.toBe(a);
    expect(made).toBe(2);
  });

  it('refuses a second key with the same name (two plugins would read each other\'s values)', () => {
    stateKey('test/once', () => 1);
    expect(() => stateKey('test/once', () => 'two')).toThrow(/declared twice/);
  });
});
