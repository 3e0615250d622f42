import { describe, expect, it } from 'vitest';
import type { FaultOptions } from './core/options';
import { call, callItem, testSandbox } from './testing';

function faulty(faults: FaultOptions) {
  const { sb } = testSandbox({ faults });
  sb.store.addContact({ name: 'Ivan', phones: ['+7 495 123-45-67'] });
  return sb;
}

describe('fault injection', () => {
  it('502_after: writes the note, then loses the answer', async () => {
    const sb = faulty({ seed: 1, rate: 1, kinds: { '502_after': 1 } });
    const res = await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567', { uniq: 'lost' })]);
    expect(res.status).toBe(502);
    expect(res.contentType).toContain('text/html');
    expect(sb.store.notesByUniq('lost')).toHaveLength(1);
    expect(sb.stats().faultsInjected).toBe(1);
    expect(sb.stats().byStatus).toEqual({ 502: 1 });
  });

  it('502_before and 504_before: answer the error and write nothing', async () => {
    for (const kind of ['502_before', '504_before'] as const) {
      const sb = faulty({ seed: 1, rate: 1, kinds: { [kind]: 1 } });
      const res = await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567', { uniq: 'never' })]);
      expect(res.status).toBe(kind === '502_before' ? 502 : 504);
      expect(sb.store.callNotes()).toHaveLength(0);
    }
  });

  it('slow_after: writes, then answers 200 only after slowMs', async () => {
    const sb = faulty({ seed: 1, rate: 1, kinds: { slow_after: 1 }, slowMs: 80 });
    const started = performance.now();
    const res = await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567', { uniq: 'slow' })]);
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(70);
    expect(sb.store.notesByUniq('slow')).toHaveLength(1);
  });

  it('gives the same fault sequence for the same seed, another for another seed', async () => {
    const run = async (seed: number) => {
      const sb = faulty({ seed, rate: 0.5, kinds: { '502_before': 1, '504_before': 1 } });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567')])).status);
      return statuses;
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(a).toContain(200);
    expect(a).toContain(502);
    expect(a).toContain(504);
    expect(await run(8)).not.toEqual(a);
  });

  it('leaves GETs alone unless reads is set, and never faults refused requests', async () => {
    const sb = faulty({ seed: 1, rate: 1, kinds: { '502_before': 1 } });
    expect((await call(sb, 'GET', '/api/v4/account')).status).toBe(200);
    expect((await call(sb, 'POST', '/api/v4/calls', [], 'wrong')).status).toBe(401);
    expect(sb.stats().faultsInjected).toBe(0);
    sb.setFaults({ seed: 1, rate: 1, kinds: { '502_before': 1 }, reads: true });
    expect((await call(sb, 'GET', '/api/v4/account')).status).toBe(502);
  });

  it('is switched over HTTP, and {"rate":0} turns it off', async () => {
    const sb = faulty({ seed: 1, rate: 0 });
    const on = await sb.app.request('/__sandbox/faults', { method: 'POST', body: JSON.stringify({ seed: 3, rate: 1, kinds: { '504_before': 1 } }) });
    expect(on.status).toBe(200);
    expect((await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567')])).status).toBe(504);
    await sb.app.request('/__sandbox/faults', { method: 'POST', body: JSON.stringify({ rate: 0 }) });
    expect((await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567')])).status).toBe(200);
    const bad = await sb.app.request('/__sandbox/faults', { method: 'POST', body: JSON.stringify({ rate: 2 }) });
    expect(bad.status).toBe(400);
  });
});
