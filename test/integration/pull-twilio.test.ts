/**
 * The Twilio pull into the ledger, on PGlite and on PostgreSQL: a transferred call listed by the
 * Calls API (answered here by msw) becomes the conversation its status callbacks would have made,
 * and the account to list is found from the callbacks already stored.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { http as rest, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { describe, expect, it } from 'vitest';
import { inboxDeps } from '../../src/deps';
import { runTick } from '../../src/jobs';
import { ingestMany, type IngestInput } from '../../src/ledger/inbox';
import { sourcesConfigSchema } from '../../src/pbx/sources-config';
import * as inbound from '../../src/pbx/twilio/fixtures/inbound-transfer';
import { twilioPull } from '../../src/pbx/twilio/pull';
import { harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationByKey, counts, snapshot } from '#test/ledger';

const TOKEN = '9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c';
const PUBLIC_URL = 'https://calltrail.example';
const SID = inbound.ACCOUNT_SID;

const server = strictMswServer();

const testDb = useTestDb();

function twilio(): Harness {
  return harness(testDb(), {
    env: { TWILIO_AUTH_TOKEN: TOKEN, PUBLIC_URL },
    config: { sources: sourcesConfigSchema.parse({ twilio: { own_numbers: ['+74993334455'] } }) },
  });
}

/** A status callback, signed as Twilio documents it (computed here with node:crypto). */
async function callback(h: Harness, params: Record<string, string>) {
  const url = `${PUBLIC_URL}/v1/pbx/twilio/status`;
  const signature = createHmac('sha1', TOKEN)
    .update(
      url +
        Object.keys(params)
          .sort()
          .map((k) => k + params[k])
          .join(''),
    )
    .digest('base64');
  const res = await h.app.request('/v1/pbx/twilio/status', {
    method: 'POST',
    body: new URLSearchParams(params).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
  });
  expect(res.status).toBe(204);
}

/** The fixture's call as the Calls list shows it. */
const resource = (sid: string, fields: Record<string, unknown>) => ({
  sid,
  account_sid: SID,
  parent_call_sid: inbound.PARENT_SID,
  from: '+74951234567',
  direction: 'outbound-dial',
  api_version: '2010-04-01',
  ...fields,
});
const calls = [
  resource(inbound.PARENT_SID, {
    parent_call_sid: null,
    to: '+74993334455',
    direction: 'inbound',
    status: 'completed',
    duration: '190',
    start_time: 'Fri, 20 Nov 2026 07:00:05 +0000',
    end_time: 'Fri, 20 Nov 2026 07:03:15 +0000',
  }),
  resource(inbound.BOB_SID, {
    to: 'client:bob',
    status: 'no-answer',
    duration: '0',
    start_time: 'Fri, 20 Nov 2026 07:00:05 +0000',
    end_time: 'Fri, 20 Nov 2026 07:00:10 +0000',
  }),
  resource(inbound.ALICE_SID, {
    to: 'client:alice',
    status: 'completed',
    duration: '60',
    start_time: 'Fri, 20 Nov 2026 07:00:10 +0000',
    end_time: 'Fri, 20 Nov 2026 07:01:10 +0000',
  }),
  resource(inbound.SIP_SID, {
    to: 'sip:102@acme.sip.twilio.com',
    status: 'completed',
    duration: '120',
    start_time: 'Fri, 20 Nov 2026 07:01:15 +0000',
    end_time: 'Fri, 20 Nov 2026 07:03:15 +0000',
  }),
];

/** The account's Calls list, for this account only, with its auth token. */
function callsList() {
  const asked: string[] = [];
  server.use(
    rest.get('https://api.twilio.com/2010-04-01/Accounts/:account/Calls.json', ({ request, params }) => {
      asked.push(String(params.account));
      if (params.account !== SID || request.headers.get('authorization') !== `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`) {
        return HttpResponse.json({ code: 20003, message: 'Authenticate', status: 401 }, { status: 401 });
      }
      return HttpResponse.json({ calls, next_page_uri: null, page: 0, page_size: 1000 });
    }),
  );
  return asked;
}

const window = { from: new Date('2026-11-19T21:00:00Z'), to: new Date('2026-11-20T21:00:00Z') };

async function pullInto(h: Harness, pull = twilioPull({ accountSid: SID })): Promise<IngestInput[]> {
  const all: IngestInput[] = [];
  for await (const page of pull.pull(window, h.deps)) {
    expect((await ingestMany(inboxDeps(h.deps), page)).map((r) => r.status)).toEqual(page.map(() => 'processed'));
    all.push(...page);
  }
  return all;
}

describe('the Twilio pull into the ledger', () => {
  it('makes the conversation the status callbacks would have made', async () => {
    const h = twilio();
    for (const params of [inbound.parentRinging, inbound.bobNoAnswer, inbound.aliceCompleted, inbound.sipCompleted, inbound.parentCompleted]) {
      await callback(h, params);
    }
    h.clock.advance(60);
    await runTick(h.deps);
    const [reference] = await snapshot(testDb().db, '');

    await testDb().db.execute(sql`truncate inbox_events, conversations, legs, recordings, deliveries, delivery_attempts restart identity cascade`);
    callsList();
    expect(await pullInto(h)).toHaveLength(4);
    h.clock.advance(60);
    await runTick(h.deps);
    const [pulled] = await snapshot(testDb().db, '');
    expect(pulled).toEqual(reference);
    expect(pulled).toMatchObject({ callKey: inbound.PARENT_SID, direction: 'inbound', externalNumber: '+74951234567', outcome: 'answered', talkSeconds: 180 });
    expect(pulled).toMatchObject({ legCount: 4, final: true, settled: true });
  });

  it('lists the account named by the callbacks already stored when none is given', async () => {
    const h = twilio();
    // Some other call's callback reached us: it names the account.
    await callback(h, { ...inbound.parentRinging, CallSid: 'CAfeedfacefeedfacefeedfacefeedface' });
    const asked = callsList();
    await pullInto(h, twilioPull());
    expect(asked).toEqual([SID]);
    const call = await conversationByKey(testDb().db, inbound.PARENT_SID);
    expect(call).toMatchObject({ source: 'twilio', legCount: 4, direction: 'inbound', extension: '102' });
  });

  it('says what is missing when no account is given and no callback was ever stored', async () => {
    const h = twilio();
    const failure = pullInto(h, twilioPull());
    await expect(failure).rejects.toThrow(/does not know the account: no Twilio callback is stored yet; give twilioPull\(\{ accountSid \}\)/);
    expect(await counts(testDb().db)).toMatchObject({ inbox: 0, conversations: 0 });
  });
});
