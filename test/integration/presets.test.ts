/**
 * The shipped CRM presets end to end, on PGlite and on PostgreSQL: the config as an integrator
 * writes it (presets/hubspot.yaml, presets/pipedrive.yaml; crm.adapter: bitrix24), the environment holding its secrets,
 * the webhook, the ledger, the delivery worker and the nightly reconciliation — against msw fakes
 * of the vendors' documented APIs. A call lands once; one removed from the CRM is found and
 * re-pushed by the reconciliation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/settings/env';
import { parseIntegratorConfig } from '../../src/settings/integrator';
import { withConfiguredCrm } from '../../src/settings/crm-account';
import { createDeliveryWorker } from '../../src/delivery/setup';
import { runTick } from '../../src/jobs';
import { runToEnd, startRun } from '../../src/reconcile/runs';
import { ADMIN_TOKEN, harness, SECRET } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationUniq } from '#test/delivery';
import { callEnded } from '#test/events';
import { BITRIX24_WEBHOOK, bitrix24Fake } from '#test/vendors/bitrix24';
import { HUBSPOT_TOKEN, hubspotFake } from '#test/vendors/hubspot';
import { PIPEDRIVE_TOKEN, pipedriveFake } from '#test/vendors/pipedrive';

const server = strictMswServer();

const testDb = useTestDb();
const uniq = (callId: string) => conversationUniq('generic', callId);
const DAY = '2026-11-20';

function serviceFor(configText: string, name: string, secrets: Record<string, string>) {
  const config = parseIntegratorConfig(configText, name);
  const env = { GENERIC_WEBHOOK_SECRET: SECRET, ADMIN_TOKEN, SETTLE_SECONDS: '30', DELIVERY_LEASE_SECONDS: '10' };
  const settings = withConfiguredCrm(parseEnv(env), config, { ...env, ...secrets });
  const h = harness(testDb(), { start: new Date('2026-11-20T08:00:00Z'), config, deps: { settings, owner: 'test-owner' } });
  const worker = createDeliveryWorker(h.deps, { owner: 'test-owner', limiters: new Map() });
  if (!worker) throw new Error('no delivery worker');
  const deliver = async () => {
    await runTick(h.deps);
    for (let i = 0; i < 5; i++) if ((await worker.drain({ budgetMs: 60_000 })).claimed === 0) break;
  };
  const reconcile = async () => {
    h.clock.now = new Date('2026-11-21T02:30:00+03:00');
    const { id } = await startRun(h.deps, { date: DAY }, 'manual');
    return runToEnd(h.deps, id, { owner: 'test-owner', budgetMs: 60_000 });
  };
  return { h, deliver, reconcile };
}

const call = (callId: string, from: string, at: string) =>
  callEnded({
    call_id: callId,
    from,
    started_at: `${DAY}T${at}:00+03:00`,
    answered_at: `${DAY}T${at}:05+03:00`,
    ended_at: `${DAY}T${at}:45+03:00`,
    recording: { id: `${callId}-r`, url: `https://pbx.example/${callId}.wav` },
  });

describe('presets/hubspot.yaml', () => {
  it('logs calls once on the right contacts (one created), and the reconciliation re-pushes a call deleted in HubSpot', async () => {
    const preset = readFileSync(join(import.meta.dirname, '../../presets/hubspot.yaml'), 'utf8');
    const { h, deliver, reconcile } = serviceFor(preset, 'hubspot.yaml', { HUBSPOT_TOKEN });
    const fake = hubspotFake({ now: () => h.clock.now.getTime() });
    server.use(fake.handler);
    const ivan = fake.addContact({ firstname: 'Ivan', phone: '+74951234567' });

    await h.post(call('hs-1', '+7 (495) 123-45-67', '10:00'));
    await h.post(call('hs-2', '+7 (999) 000-11-22', '11:00'));
    await deliver();
    const byUniq = (id: string) => fake.calls.filter((c) => c.properties.calltrail_uniq === uniq(id));
    expect(byUniq('hs-1')).toEqual([expect.objectContaining({ contactIds: [ivan.id] })]);
    expect(byUniq('hs-1')[0]?.properties).toMatchObject({
      hs_call_duration: '40000',
      hs_call_direction: 'INBOUND',
      hs_call_recording_url: 'https://pbx.example/hs-1.wav',
    });
    expect(fake.contacts).toHaveLength(2);
    const created = fake.contacts.find((c) => c.properties.phone === '+79990001122');
    expect(byUniq('hs-2')).toEqual([expect.objectContaining({ contactIds: [created?.id] })]);

    // Someone deletes hs-2's call in HubSpot; the nightly run finds it missing and logs it again.
    fake.calls.splice(fake.calls.indexOf(byUniq('hs-2')[0]!), 1);
    const run = await reconcile();
    expect(run).toMatchObject({ status: 'done', gapsRemaining: 0, counts: { missing_in_crm: 1, repushed: 1, resolved: 1 } });
    expect(byUniq('hs-1')).toHaveLength(1);
    expect(byUniq('hs-2')).toHaveLength(1);
    expect(fake.contacts).toHaveLength(2);
  });
});

describe('presets/pipedrive.yaml', () => {
  it('logs calls once with their recordings uploaded, and the reconciliation re-pushes a call log deleted in Pipedrive', async () => {
    const preset = readFileSync(join(import.meta.dirname, '../../presets/pipedrive.yaml'), 'utf8');
    const { h, deliver, reconcile } = serviceFor(preset, 'pipedrive.yaml', { PIPEDRIVE_API_TOKEN: PIPEDRIVE_TOKEN });
    const fake = pipedriveFake({ now: () => h.clock.now.getTime() });
    // The recordings the multipart upload reads (the link the call carries).
    server.use(
      fake.handler,
      http.get('https://pbx.example/:file', () => new HttpResponse(new Uint8Array([0xff, 0xfb, 0x90, 0x64]), { headers: { 'content-type': 'audio/mpeg' } })),
    );
    const ivan = fake.addPerson('Ivan Petrov', '+74951234567');

    await h.post(call('pd-1', '+7 (495) 123-45-67', '10:00'));
    await h.post(call('pd-2', '+7 (999) 000-11-22', '11:00'));
    await deliver();
    const logs = (id: string) => fake.callLogs.filter((l) => l.note === uniq(id));
    expect(logs('pd-1')).toEqual([
      expect.objectContaining({ person_id: ivan.id, outcome: 'connected', start_time: '2026-11-20 07:00:00', has_recording: true }),
    ]);
    expect(fake.persons).toHaveLength(2);
    expect(logs('pd-2')).toHaveLength(1);

    fake.callLogs.splice(fake.callLogs.indexOf(logs('pd-2')[0]!), 1);
    const run = await reconcile();
    expect(run).toMatchObject({ status: 'done', gapsRemaining: 0, counts: { missing_in_crm: 1, repushed: 1, resolved: 1 } });
    expect(logs('pd-1')).toHaveLength(1);
    expect(logs('pd-2')).toEqual([expect.objectContaining({ has_recording: true })]);
    expect(fake.persons).toHaveLength(2);
  });
});

describe('crm.adapter: bitrix24', () => {
  it('registers, finishes and attaches each call once, and the reconciliation repairs a call the portal lost', async () => {
    const configText = JSON.stringify({
      extensions: { '101': 1 },
      crm: { adapter: 'bitrix24', bitrix24: { webhook_url: { env: 'BITRIX24_WEBHOOK_URL' }, default_user_id: 1, rps: 5 } },
    });
    const { h, deliver, reconcile } = serviceFor(configText, 'calltrail.json', { BITRIX24_WEBHOOK_URL: BITRIX24_WEBHOOK });
    const fake = bitrix24Fake({ now: () => h.clock.now.getTime() });
    server.use(fake.handler);
    fake.addEntity('CONTACT', 'Ivan Petrov', '+74951234567');

    await h.post(call('b24-1', '+7 (495) 123-45-67', '10:00'));
    await h.post(call('b24-2', '+7 (495) 123-45-67', '12:00'));
    await deliver();
    const rows = (id: string) => fake.stats.filter((r) => r.EXTERNAL_CALL_ID === uniq(id));
    expect(rows('b24-1')).toEqual([expect.objectContaining({ CALL_DURATION: '40', CALL_RECORD_URL: 'https://pbx.example/b24-1.wav' })]);
    expect(rows('b24-2')).toHaveLength(1);
    expect(fake.calls().filter((m) => m === 'telephony.externalcall.register')).toHaveLength(2);

    // The portal lost b24-2's statistics row: the nightly run registers it again, once.
    fake.stats.splice(fake.stats.indexOf(rows('b24-2')[0]!), 1);
    const run = await reconcile();
    expect(run).toMatchObject({ status: 'done', gapsRemaining: 0, counts: { missing_in_crm: 1, repushed: 1, resolved: 1 } });
    expect(rows('b24-1')).toHaveLength(1);
    expect(rows('b24-2')).toHaveLength(1);
  });
});
