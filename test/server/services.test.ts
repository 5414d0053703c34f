// SetupContext.server (src/server/services.ts): the typed services over the per-process map the
// server fills, read when asked (a reload hook set after start is seen), with today's defaults.
import { describe, expect, it } from 'vitest';
import { registry } from '../../src/metrics/registry.ts';
import { stdoutSink } from '../../src/plugin/log.ts';
import { serverServices } from '../../src/server/services.ts';
import { SHARED } from '../../src/server/shared.ts';

describe('server services', () => {
  it('answer from the shared map when the server filled it, with defaults otherwise', async () => {
    const shared = new Map<string, unknown>();
    const s = serverServices(shared);
    expect(s.reload()).toBeUndefined();                  // not serving yet
    expect(s.readCorefile()).toBeUndefined();
    expect(s.logSink).toBe(stdoutSink);
    expect(s.shuttingDown()).toBe(false);
    expect(s.generationPlugins()).toEqual([]);
    expect(await s.notReadyElsewhere()).toEqual([]);
    expect((await s.metrics()).contentType).toBe(registry.contentType);

    const lines: string[] = [];
    shared.set(SHARED.sink, { write: (l: string) => lines.push(l) });
    shared.set(SHARED.reload, async () => true);
    shared.set(SHARED.corefileText, async () => '. {}');
    shared.set(SHARED.shuttingDown, true);
    shared.set(SHARED.workersNotReady, async () => ['kubernetes']);
    s.logSink.write('x');
    expect(lines).toEqual(['x']);
    expect(await s.reload()).toBe(true);
    expect(await s.readCorefile()).toBe('. {}');
    expect(s.shuttingDown()).toBe(true);
    expect(await s.notReadyElsewhere()).toEqual(['kubernetes']);
  });

  it('lameduck: the newest setter wins; an old release does not drop a newer one', () => {
    const shared = new Map<string, unknown>();
    const s = serverServices(shared);
    const dropOld = s.setLameduck(5000);
    const dropNew = s.setLameduck(7000);      // a reload's new health, started before the old one closes
    dropOld();
    expect(shared.get(SHARED.lameduck)).toEqual({ ms: 7000 });
    dropNew();
    expect(shared.has(SHARED.lameduck)).toBe(false);
  });
});
