import { describe, expect, it } from 'vitest';
import type { SandboxState, SandboxStateStore } from './index';
import { call, callItem, testSandbox } from './testing';

/** A state store in memory that writes what the Node file store would: the JSON text. */
function memoryState() {
  let saved: string | null = null;
  let saves = 0;
  const store: SandboxStateStore = {
    load: () => (saved === null ? null : (JSON.parse(saved) as SandboxState)),
    async save(state) {
      saved = JSON.stringify(state);
      saves++;
    },
  };
  return { store, saves: () => saves, text: () => saved };
}

function sip(uniq: string) {
  return {
    source_uid: 'calltrail',
    source_name: 'calltrail',
    metadata: { uniq, from: 'Unknown', phone: '+7 903 000-00-01', called_at: 1_763_622_000, duration: 42, service_code: 'calltrail' },
  };
}

describe('the sandbox kept across restarts (options.state)', () => {
  it('comes back with its notes, contacts and unsorted items, without the seed twice, and its ids and uids go on', async () => {
    const state = memoryState();
    const first = testSandbox({ seed: 'demo', state: state.store, stateDebounceMs: 10_000 }).sb;
    await call(first, 'POST', '/api/v4/calls', [callItem('+74951234567', { uniq: 'c-1', link: 'https://rec.example/c-1.mp3' })]);
    await call(first, 'POST', '/api/v4/calls', [callItem('+79030000009', { uniq: 'c-2' })]);
    await call(first, 'POST', '/api/v4/contacts', [{ name: 'New', custom_fields_values: [] }]);
    const unsorted = await call(first, 'POST', '/api/v4/leads/unsorted/sip', [sip('u-1')]);
    expect(unsorted.status).toBe(200);
    await first.flush();
    expect(state.saves()).toBe(1);

    const second = testSandbox({ seed: 'demo', state: state.store }).sb;
    expect(second.store.callNotes()).toEqual(first.store.callNotes());
    expect(second.store.contacts()).toEqual(first.store.contacts());
    expect(second.store.unsorted()).toEqual(first.store.unsorted());
    expect(second.store.contacts().filter((c) => c.name === 'Ivan Petrov')).toHaveLength(1);
    // Ids and uids continue where they were: nothing is handed out twice.
    const next = await call(second, 'POST', '/api/v4/contacts', [{ name: 'After the restart' }]);
    const unrestarted = await call(first, 'POST', '/api/v4/contacts', [{ name: 'After the restart' }]);
    expect(next.json._embedded.contacts[0].id).toBe(unrestarted.json._embedded.contacts[0].id);
    expect(second.store.nextId.note()).toBe(first.store.nextId.note());
    const again = await call(second, 'POST', '/api/v4/leads/unsorted/sip', [sip('u-2')]);
    expect(again.json._embedded.unsorted[0].uid).not.toBe(unsorted.json._embedded.unsorted[0].uid);
    const other = await call(first, 'POST', '/api/v4/leads/unsorted/sip', [sip('u-2')]);
    expect(again.json._embedded.unsorted[0].uid).toBe(other.json._embedded.unsorted[0].uid);
  });

  it('saves once per wait, only after a request that may change it, and flush writes what is pending', async () => {
    const state = memoryState();
    const { sb } = testSandbox({ seed: 'demo', state: state.store, stateDebounceMs: 50 });
    await call(sb, 'GET', '/api/v4/contacts');
    await sb.flush();
    expect(state.saves()).toBe(0);
    for (let i = 0; i < 5; i++) await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567', { uniq: `d-${i}` })]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(state.saves()).toBe(1);
    expect(JSON.parse(state.text() ?? '{}').records.notes.contacts).toHaveLength(5);
    await sb.flush();
    expect(state.saves()).toBe(1);
  });

  it('starts from the seed when nothing was saved, and without a state store keeps nothing', async () => {
    const state = memoryState();
    const { sb } = testSandbox({ seed: 'demo', state: state.store });
    expect(sb.store.contacts().map((c) => c.name)).toContain('Ivan Petrov');
    await sb.flush();
    expect(state.text()).toBeNull();
    const plain = testSandbox({ seed: 'demo' }).sb;
    await call(plain, 'POST', '/api/v4/calls', [callItem('+74951234567')]);
    await plain.flush();
    expect(state.saves()).toBe(0);
  });
});
