/**
 * Reading the ledger back in tests, and a canonical snapshot of it that ignores what may
 * legitimately differ between two runs (generated ids, arrival times, change counters).
 */
import { asc, eq, like } from 'drizzle-orm';
import type { Db } from '../../src/db/client';
import { conversations, deliveries, inboxEvents, legs, recordings } from '../../src/db/schema';

export async function counts(db: Db) {
  const [i, c, l, r, d] = await Promise.all([db.$count(inboxEvents), db.$count(conversations), db.$count(legs), db.$count(recordings), db.$count(deliveries)]);
  return { inbox: i, conversations: c, legs: l, recordings: r, deliveries: d };
}

export async function conversationByKey(db: Db, callKey: string) {
  return db.query.conversations.findFirst({
    where: eq(conversations.callKey, callKey),
    with: { legs: { orderBy: asc(legs.legKey) }, recordings: { orderBy: asc(recordings.recordingKey) }, deliveries: true },
  });
}

/** Everything that must not depend on the order or repetition of events. */
export async function snapshot(db: Db, callKeyPrefix: string) {
  const rows = await db.query.conversations.findMany({
    where: like(conversations.callKey, `${callKeyPrefix}%`),
    orderBy: asc(conversations.callKey),
    with: { legs: { orderBy: asc(legs.legKey) }, recordings: { orderBy: asc(recordings.recordingKey) }, deliveries: true },
  });
  const strip = (key: string) => key.slice(callKeyPrefix.length);
  return rows.map((c) => ({
    callKey: strip(c.callKey),
    direction: c.direction,
    externalNumber: c.externalNumber,
    externalNumberRaw: c.externalNumberRaw,
    extension: c.extension,
    outcome: c.outcome,
    startedAt: c.startedAt?.toISOString(),
    answeredAt: c.answeredAt?.toISOString(),
    endedAt: c.endedAt?.toISOString(),
    durationSeconds: c.durationSeconds,
    talkSeconds: c.talkSeconds,
    legCount: c.legCount,
    awaitingRecordings: c.awaitingRecordings,
    final: c.finalSeenAt !== null,
    settled: c.settledAt !== null,
    legs: c.legs.map((l) => ({
      legKey: strip(l.legKey),
      direction: l.direction,
      fromRaw: l.fromRaw,
      toRaw: l.toRaw,
      extension: l.extension,
      startedAt: l.startedAt.toISOString(),
      answeredAt: l.answeredAt?.toISOString(),
      endedAt: l.endedAt.toISOString(),
      disposition: l.disposition,
      talkSeconds: l.talkSeconds,
      final: l.final,
      recorded: l.recorded,
    })),
    recordings: c.recordings.map((r) => ({
      recordingKey: strip(r.recordingKey),
      legKey: strip(r.legKey),
      originUrl: r.originUrl?.replace(callKeyPrefix, ''),
      status: r.status,
    })),
    deliveries: c.deliveries.map((d) => ({ state: d.state, reason: d.reason, crmAccountId: d.crmAccountId })),
  }));
}
