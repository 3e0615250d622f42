/**
 * The Mango Office pull into the ledger, on PGlite and on PostgreSQL: a transferred call listed by
 * the call statistics (answered here by msw) becomes the conversation its notifications would have
 * made — compared with the same call posted as signed notifications. The report has no call ids,
 * so only the employees' leg keys differ.
 */
import { createHash } from 'node:crypto';
import { http as rest, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { describe, expect, it } from 'vitest';
import { renamed } from '#test/mango';
import { inboxDeps } from '../../src/deps';
import { runTick } from '../../src/jobs';
import { ingestMany, type IngestInput } from '../../src/ledger/inbox';
import * as t from '../../src/pbx/mango/fixtures/inbound-transfer';
import { mangoPull } from '../../src/pbx/mango/pull';
import { harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { snapshot } from '#test/ledger';

const KEY = 'wu8zgl7mlbpycmdbn8qq7vmcqyq5bcw3';
const SALT = 'lsy4dpvqjm5tql3dk4kfz2fqrcmkqsjh';
const API = 'https://app.mango-office.ru/vpbx';

const server = strictMswServer();

const testDb = useTestDb();

/** Mango's documented signature, computed here: sha256hex(vpbx_api_key + json + salt). */
const sign = (json: string) =>
  createHash('sha256')
    .update(KEY + json + SALT)
    .digest('hex');

type Json = Record<string, unknown>;
async function notify(h: Harness, kind: string, json: Json) {
  const text = JSON.stringify(json);
  const res = await h.app.request(`/v1/pbx/mango/events/${kind}`, {
    method: 'POST',
    body: new URLSearchParams({ vpbx_api_key: KEY, sign: sign(text), json: text }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  expect(res.status).toBe(200);
}

const T = 1_795_158_000;
/** The fixture's entry as the report lists it: the IVR, employee 333, then 321 (after the transfer). */
const reportLines = (prefix: string) => {
  const e = `${prefix}${t.ENTRY}`;
  return [
    `[];${T - 3};${T};0;;74955404444;;74957654321;1100;74957654321;ivr;${e}`,
    `[${prefix}MToxMDE2MzUyODozMzM6cmVj];${T};${T + 55};${T + 5};;74955404444;333;44332211;1120;74957654321;abonent;${e}`,
    `[${prefix}MToxMDE2MzUyODozMjE6cmVj];${T + 45};${T + 240};${T + 60};;74955404444;321;87654321;1110;74957654321;abonent;${e}`,
  ].join('\n');
};

function report(csv: string) {
  const handler = (path: string) =>
    rest.post(`${API}${path}`, async ({ request }) => {
      const form = new URLSearchParams(await request.text());
      if (form.get('vpbx_api_key') !== KEY || form.get('sign') !== sign(form.get('json') ?? '')) {
        return HttpResponse.json({ result: 3102, message: 'Invalid signature' }, { status: 401 });
      }
      if (path === '/stats/request') return HttpResponse.json({ key: 'report-1' });
      return new HttpResponse(csv, { headers: { 'content-type': 'text/csv;charset=UTF-8' } });
    });
  server.use(handler('/stats/request'), handler('/stats/result'));
}

const window = { from: new Date('2026-11-19T21:00:00Z'), to: new Date('2026-11-20T21:00:00Z') };

async function pullInto(h: Harness): Promise<IngestInput[]> {
  const all: IngestInput[] = [];
  for await (const page of mangoPull().pull(window, h.deps)) {
    expect((await ingestMany(inboxDeps(h.deps), page)).map((r) => r.status)).toEqual(page.map(() => 'processed'));
    all.push(...page);
  }
  return all;
}

describe('the Mango pull into the ledger', () => {
  it('makes the conversation the notifications would have made', async () => {
    const h = harness(testDb(), { env: { MANGO_API_KEY: KEY, MANGO_API_SALT: SALT } });
    // The reference: everything Mango posts for the call, signed.
    for (const json of t.CALLS) await notify(h, 'call', renamed('ref-', json));
    for (const json of [t.recording333Started, t.recording333Completed, t.recording321Completed]) await notify(h, 'recording', renamed('ref-', json));
    await notify(h, 'summary', renamed('ref-', t.summary));
    // The same call, known only to the statistics.
    report(reportLines('run-'));
    expect(await pullInto(h)).toHaveLength(5);
    h.clock.advance(60);
    await runTick(h.deps);

    const callIds = new Map([
      [`${t.ENTRY}:stats:2`, 'MToxMDE2MzUyODozMDA6MjAw'],
      [`${t.ENTRY}:stats:3`, 'MToxMDE2MzUyODo0MDA6MjAw'],
    ]);
    const [reference] = await snapshot(testDb().db, 'ref-');
    const [run] = await snapshot(testDb().db, 'run-');
    const pulled = run && {
      ...run,
      legs: run.legs.map((l) => ({ ...l, legKey: callIds.get(l.legKey) ?? l.legKey })).sort((a, b) => (a.legKey < b.legKey ? -1 : 1)),
      recordings: run.recordings.map((r) => ({ ...r, legKey: callIds.get(r.legKey) ?? r.legKey })),
    };
    expect(pulled).toEqual(reference);
    expect(pulled).toMatchObject({ callKey: t.ENTRY, direction: 'inbound', externalNumber: '+74955404444', extension: '321', outcome: 'answered' });
    expect(pulled).toMatchObject({ talkSeconds: 235 });
    expect(pulled).toMatchObject({
      // the summary's final leg, its employee's leg, and the transfer's legs from the call events
      legCount: 4,
      final: true,
      settled: true,
    });
  });

  it('pulled twice, stores nothing twice', async () => {
    const h = harness(testDb(), { env: { MANGO_API_KEY: KEY, MANGO_API_SALT: SALT } });
    report(reportLines(''));
    const first = await pullInto(h);
    expect((await ingestMany(inboxDeps(h.deps), first)).map((r) => r.status)).toEqual(first.map(() => 'duplicate'));
  });
});
