/**
 * The audit trail's chain on PGlite and PostgreSQL: entries appended by concurrent writers form
 * one chain, and an entry edited, removed or reordered afterwards is found by verifyChain.
 */
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { audit, verifyChain } from '../../src/audit/log';
import { auditLog } from '../../src/db/schema';
import type { Actor } from '../../src/domain/actor';
import { useTestDb } from '#test/db';

const testDb = useTestDb();
const owner: Actor = { kind: 'token', id: 'ADMIN_TOKEN', role: 'owner' };

async function fill(n: number) {
  for (let i = 1; i <= n; i++) {
    await audit(testDb().db, { actor: owner, action: 'recording.listen', subject: `rec-${i}`, detail: { bytes: i * 100, from: 'console' }, ip: '203.0.113.7' });
  }
}

describe('the audit chain', () => {
  it('chains entries, concurrent ones included, into one verifiable trail', async () => {
    await fill(3);
    await Promise.all(Array.from({ length: 20 }, (_, i) => audit(testDb().db, { actor: owner, action: 'call.retry', subject: `call-${i}` })));
    expect(await verifyChain(testDb().db)).toEqual({ ok: true, entries: 23 });
  });

  it('finds an edited entry', async () => {
    await fill(4);
    await testDb()
      .db.update(auditLog)
      .set({ detail: { bytes: 1, from: 'console' } })
      .where(eq(auditLog.id, 2));
    expect(await verifyChain(testDb().db)).toMatchObject({ ok: false, brokenAt: 2, why: expect.stringMatching(/edited/) });
  });

  it('finds a removed entry, even when the last one goes', async () => {
    await fill(4);
    await testDb().db.delete(auditLog).where(eq(auditLog.id, 2));
    expect(await verifyChain(testDb().db)).toMatchObject({ ok: false, brokenAt: 3, why: expect.stringMatching(/removed/) });
  });

  it('finds an entry whose hash was recomputed to hide an edit (the next one no longer follows)', async () => {
    await fill(3);
    // A forger edits entry 2 and fixes its own hash, but cannot fix entry 3's prev_hash without rewriting everything after.
    await testDb().db.execute(sql`update audit_log set subject = 'rec-forged', hash = repeat('a', 64) where id = 2`);
    const check = await verifyChain(testDb().db);
    expect(check).toMatchObject({ ok: false, brokenAt: 2 });
  });
});
