/**
 * Property: however a PBX shuffles, repeats and re-batches the events of a set of calls — and
 * however many of those bodies arrive together and share a group commit — the ledger ends up the
 * same as when they arrive once, in order. Runs through the real parser and ingest path on
 * PGlite and on PostgreSQL.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxDeps } from '../../src/deps';
import { IngestBatcher } from '../../src/ledger/batcher';
import { ingest } from '../../src/ledger/inbox';
import { settleDue } from '../../src/ledger/settle';
import { genericParser } from '../../src/pbx/generic/parse';
import { harness } from '#test/app';
import { createTestDb, testDbKind, type TestDb } from '#test/db';
import { snapshot } from '#test/ledger';

type Json = Record<string, unknown>;

const legArb = fc.record({
  to: fc.constantFrom('100', '101', '205', '8 (495) 777-00-11'),
  from: fc.constantFrom('+7 (495) 123-45-67', '84951234567', '442071234567', '101', 'anonymous'),
  direction: fc.constantFrom('inbound', 'outbound', 'internal', undefined),
  ringSeconds: fc.integer({ min: 0, max: 40 }),
  talkSeconds: fc.option(fc.integer({ min: 1, max: 900 }), { nil: null }),
  disposition: fc.constantFrom('no_answer', 'busy', 'failed'),
  recording: fc.constantFrom('inline', 'separate', 'absent', 'none'),
  recorded: fc.constantFrom(undefined, false),
  /** The PBX first sent a premature copy of this leg's record (ending earlier), then the real one. */
  draft: fc.boolean(),
});

const callArb = fc.record({ legs: fc.array(legArb, { minLength: 1, maxLength: 4 }), wholeRecording: fc.boolean() });

/** The events one PBX would send for these calls; each call's last leg ends it. */
type Call = typeof callArb extends fc.Arbitrary<infer T> ? T : never;

function eventsFor(prefix: string, calls: Call[]): Json[] {
  const events: Json[] = [];
  calls.forEach((call, c) => {
    const callId = `${prefix}c${c}`;
    let clock = 1_763_622_000 + c * 3600;
    call.legs.forEach((leg, l) => {
      const legId = `${callId}-l${l}`;
      const started = clock;
      const answered = leg.talkSeconds === null ? null : started + leg.ringSeconds;
      const ended = started + leg.ringSeconds + (leg.talkSeconds ?? 0);
      clock = ended;
      const rec = { id: `${legId}-r`, url: `https://pbx.example/${legId}.wav` };
      const ledger = {
        type: 'call.ended',
        call_id: callId,
        leg_id: legId,
        ...(leg.direction ? { direction: leg.direction } : {}),
        from: leg.from,
        to: leg.to,
        started_at: started,
        answered_at: answered,
        ended_at: ended,
        disposition: answered === null ? leg.disposition : 'answered',
        final: l === call.legs.length - 1,
        ...(leg.recorded === false ? { recorded: false } : {}),
        ...(leg.recording === 'inline' ? { recording: rec } : {}),
      };
      if (leg.draft && ended > started) events.push({ ...ledger, ended_at: ended - 1, answered_at: answered === null ? null : Math.min(answered, ended - 1) });
      events.push(ledger);
      if (leg.recording === 'separate') events.push({ type: 'recording.ready', call_id: callId, leg_id: legId, recording: rec });
      if (leg.recording === 'absent') {
        events.push({ type: 'recording.ready', call_id: callId, leg_id: legId, recording: { id: rec.id, status: 'absent' } });
      }
    });
    if (call.wholeRecording) {
      events.push({ type: 'recording.ready', call_id: callId, recording: { id: `${callId}-all`, url: `https://pbx.example/${callId}.wav` } });
    }
  });
  return events;
}

/** A delivery as the network makes it: shuffled, some events twice, cut into bodies of 1–3. */
const deliveryArb = (count: number) =>
  fc.record({
    order: fc.shuffledSubarray([...Array(count).keys()], { minLength: count, maxLength: count }),
    repeats: fc.array(fc.nat({ max: Math.max(0, count - 1) }), { maxLength: Math.min(count, 5) }),
    cuts: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: count * 2, maxLength: count * 2 }),
    // Re-send a whole body verbatim (an HTTP retry) at these positions.
    resend: fc.array(fc.nat({ max: 10 }), { maxLength: 3 }),
    // How many bodies arrive at once (and so share a group commit).
    groupSize: fc.integer({ min: 1, max: 6 }),
  });

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});

/**
 * One property run set: `runs` random cases, their calls prefixed with `tag` so that sets sharing
 * the database stay apart. The property runs as two sets of half the cases each, so that no test
 * nears the 60 s limit on a loaded machine (together: 60 cases on PGlite, 40 on PostgreSQL).
 */
function inOrderEqualsMessy(tag: string, runs: number) {
  return async () => {
    const h = harness(db);
    const deps = inboxDeps(h.deps);
    let run = 0;
    const input = (events: Json[]) => {
      const raw = JSON.stringify(events.length === 1 ? events[0] : events);
      return { source: 'generic', raw, events: genericParser.parse(raw, {}, deps.ctx.parse) };
    };
    const send = async (events: Json[]) => {
      h.clock.advance(1);
      const result = await ingest(deps, input(events));
      expect(result.status).not.toBe('stored');
    };
    // The messy copy goes through group commit: bodies submitted together share transactions.
    const batcher = new IngestBatcher(deps, { maxInFlight: 1 });
    const sendConcurrently = async (bodies: Json[][]) => {
      h.clock.advance(1);
      const results = await Promise.all(bodies.map((b) => batcher.submit(input(b))));
      for (const r of results) expect(r.status).not.toBe('stored');
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(callArb, { minLength: 1, maxLength: 3 }).chain((calls) => fc.tuple(fc.constant(calls), deliveryArb(eventsFor('', calls).length))),
        async ([calls, delivery]) => {
          run++;
          const inOrder = `${tag}${run}a-`;
          const messy = `${tag}${run}b-`;
          for (const event of eventsFor(inOrder, calls)) await send([event]);

          const events = eventsFor(messy, calls);
          const stream = [...delivery.order.map((i) => events[i] as Json), ...delivery.repeats.map((i) => events[i] as Json)];
          const bodies: Json[][] = [];
          for (let i = 0, k = 0; i < stream.length; k++) {
            const size = delivery.cuts[k % delivery.cuts.length] ?? 1;
            bodies.push(stream.slice(i, i + size));
            i += size;
          }
          const withResends = bodies.flatMap((body, b) => (delivery.resend.includes(b) ? [body, body] : [body]));
          for (let i = 0; i < withResends.length; i += delivery.groupSize) {
            await sendConcurrently(withResends.slice(i, i + delivery.groupSize));
          }

          h.clock.advance(3600);
          await settleDue(db.db, deps.ctx, h.clock.now);
          const expected = await snapshot(db.db, inOrder);
          expect(expected).toHaveLength(calls.length);
          expect(await snapshot(db.db, messy)).toEqual(expected);
        },
      ),
      { numRuns: runs },
    );
  };
}

// Each run writes two copies of up to three calls; PostgreSQL round trips cost more.
const RUNS = testDbKind() === 'pglite' ? 30 : 20;

describe('ledger under shuffled, duplicated and re-batched delivery (property)', () => {
  it('ends in the same state as in-order delivery (first half of the cases)', inOrderEqualsMessy('p', RUNS));
  it('ends in the same state as in-order delivery (second half of the cases)', inOrderEqualsMessy('q', RUNS));
});
