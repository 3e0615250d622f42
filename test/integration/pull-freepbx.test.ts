/**
 * The FreePBX pull against a real MariaDB (127.0.0.1:3306, root) and the ledger, on PGlite and on
 * PostgreSQL: the rows of a window's calls, read in pages, are the bodies the poller stores (same
 * raw, same dedupe key), calls crossing the window's edges are whole or left out, calldate is read
 * in the configured zone, and the pulled calls make the poller's conversations.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { defaultIntegratorConfig, type IntegratorConfig } from '../../src/settings/integrator';
import { inboxDeps } from '../../src/deps';
import { freepbxPull } from '../../src/entry/node/freepbx-pull';
import { createFreepbxPoller } from '../../src/entry/node/freepbx-poller';
import { inboxEvents } from '../../src/db/schema';
import { ingestMany, type IngestInput } from '../../src/ledger/inbox';
import { missedCall, transferChain, type FixtureCdr } from '../../src/pbx/asterisk/testing';
import { freepbxConfigSchema } from '../../src/pbx/freepbx/config';
import { sourcesConfigSchema } from '../../src/pbx/sources-config';
import { harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { useFreepbxDb } from '#test/freepbx-db';
import { snapshot } from '#test/ledger';
import { callKeyOf } from '../../src/domain/events';

const freepbx = useFreepbxDb('pull');
const DATABASE_URL = freepbx.url;
const insert = freepbx.insert;
const testDb = useTestDb();

/** A fixture call moved so that its first row starts at `start` (times are "YYYY-MM-DD HH:MM:SS", local). */
function moved(cdrs: FixtureCdr[], start: string): FixtureCdr[] {
  const ms = (time: string) => Date.parse(`${time.replace(' ', 'T')}Z`);
  const delta = ms(start) - ms(cdrs[0]?.start ?? start);
  const shift = (time: string) => (time ? new Date(ms(time) + delta).toISOString().slice(0, 19).replace('T', ' ') : time);
  return cdrs.map((c) => ({ ...c, start: shift(c.start), answer: shift(c.answer), end: shift(c.end) }));
}

function setup(freepbx: Record<string, unknown> = {}): Harness {
  const config: IntegratorConfig = {
    ...defaultIntegratorConfig(),
    sources: sourcesConfigSchema.parse({ freepbx: { database_url: DATABASE_URL, time_zone: 'Europe/Moscow', ...freepbx } }),
  };
  return harness(testDb(), { config, start: new Date('2026-11-21T00:00:00Z') });
}

// 20 November 2026 in Moscow.
const DAY = { from: new Date('2026-11-19T21:00:00Z'), to: new Date('2026-11-20T21:00:00Z') };

async function pulled(h: Harness, window = DAY, options: Parameters<typeof freepbxPull>[0] = {}) {
  const pages: IngestInput[][] = [];
  for await (const page of freepbxPull(options).pull(window, h.deps)) pages.push(page);
  return pages;
}

const callKeys = (inputs: IngestInput[]) => new Set(inputs.flatMap((i) => i.events.map(callKeyOf)));

/** The chain of the day, a missed call, one that began the evening before and one that ends the next day. */
async function theDay() {
  await insert(transferChain());
  await insert(missedCall());
  // Rows at 23:59:50 the evening before, then 00:00:10 and 00:00:25 of the day: not the day's call.
  await insert(moved(transferChain('1763500000'), '2026-11-19 23:59:50'));
  // Rows at 23:59:40, then 00:00:00 and 00:00:15 of the next day: the day's call, whole.
  await insert(moved(transferChain('1763700000'), '2026-11-20 23:59:40'));
}

describe('the FreePBX pull', () => {
  it('reads the window in pages, keeps each call whole and in one page, and leaves out calls that began before it', async () => {
    await theDay();
    const h = setup();
    const pages = await pulled(h, DAY, { pageRows: 2, pageSize: 1 });
    const inputs = pages.flat();
    expect(callKeys(inputs)).toEqual(new Set(['1763622000.1', '1763622300.5', '1763700000.1']));
    expect(pages.length).toBeGreaterThan(1);
    for (const key of callKeys(inputs)) expect(pages.filter((p) => callKeys(p).has(key))).toHaveLength(1);
    // The late call's transfer leg, dated the next day, came with it.
    expect(inputs.filter((i) => callKeyOf(i.events[0]!) === '1763700000.1')).toHaveLength(3);
  });

  it('yields the bodies the poller stores: same raw, same dedupe key', async () => {
    await theDay();
    const h = setup();
    const poller = createFreepbxPoller(h.deps, {
      ...freepbxConfigSchema.parse({ start_from: 'beginning', lookback_minutes: 60 * 24 * 3 }),
      database_url: DATABASE_URL,
    });
    try {
      while ((await poller.pollOnce()).more);
    } finally {
      await poller.stop();
    }
    const stored = await testDb().db.select({ raw: inboxEvents.raw, dedupeKey: inboxEvents.dedupeKey, source: inboxEvents.source }).from(inboxEvents);
    const inputs = (await pulled(h)).flat();
    expect(inputs).toHaveLength(7);
    const byKey = new Map(stored.map((s) => [s.dedupeKey, s]));
    for (const input of inputs) expect(byKey.get(input.dedupeKey ?? '')).toEqual({ raw: input.raw, dedupeKey: input.dedupeKey, source: 'freepbx' });
    expect((await ingestMany(inboxDeps(h.deps), inputs)).map((r) => r.status)).toEqual(inputs.map(() => 'duplicate'));
  });

  it('makes the conversations the poller makes', async () => {
    await insert([...transferChain(), ...missedCall()]);
    const h = setup();
    const poller = createFreepbxPoller(h.deps, { ...freepbxConfigSchema.parse({ start_from: 'beginning' }), database_url: DATABASE_URL });
    try {
      while ((await poller.pollOnce()).more);
    } finally {
      await poller.stop();
    }
    const reference = await snapshot(testDb().db, '');
    await testDb().db.execute(sql`truncate inbox_events, conversations, legs, recordings, deliveries, delivery_attempts restart identity cascade`);

    for (const page of await pulled(h)) {
      expect((await ingestMany(inboxDeps(h.deps), page)).map((r) => r.status)).toEqual(page.map(() => 'processed'));
    }
    const fromPull = await snapshot(testDb().db, '');
    expect(fromPull).toEqual(reference);
    expect(fromPull.map((c) => [c.callKey, c.direction, c.externalNumber, c.extension, c.outcome, c.talkSeconds])).toEqual([
      ['1763622000.1', 'inbound', '+74951234567', '205', 'answered', 210],
      ['1763622300.5', 'inbound', '+74957654321', '100', 'missed', 0],
    ]);
  });

  it('reads calldate in sources.freepbx.time_zone', async () => {
    await insert(transferChain());
    // 10:00 in Moscow is 07:00 UTC; in Yekaterinburg it is 05:00 UTC.
    const hour = { from: new Date('2026-11-20T07:00:00Z'), to: new Date('2026-11-20T08:00:00Z') };
    expect(callKeys((await pulled(setup(), hour)).flat())).toEqual(new Set(['1763622000.1']));
    expect(callKeys((await pulled(setup({ time_zone: 'Asia/Yekaterinburg' }), hour)).flat())).toEqual(new Set());
    // Without a margin the rows asked for are exactly the window's, in the PBX's wall-clock time.
    const earlier = { from: new Date('2026-11-20T05:00:00Z'), to: new Date('2026-11-20T06:00:00Z') };
    expect(callKeys((await pulled(setup({ time_zone: 'Asia/Yekaterinburg' }), earlier, { marginSeconds: 0 })).flat())).toEqual(new Set(['1763622000.1']));
  });

  it('is enabled by sources.freepbx.database_url, and fails without leaking its password', async () => {
    expect(freepbxPull().enabled(setup().deps)).toBe(true);
    expect(freepbxPull().enabled(harness(testDb()).deps)).toBe(false);
    const unreachable = setup({ database_url: 'mysql://calltrail:s3cret-pw@127.0.0.1:1/asteriskcdrdb' });
    const error = await pulled(unreachable).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(String(error?.message)).not.toContain('s3cret-pw');
  });
});
