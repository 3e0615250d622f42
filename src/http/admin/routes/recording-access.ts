/**
 * The console's recording access: the recording policy page (list, add, remove rules) and the
 * call page's "revoke links" button. Owner and admin only; every change is audited, like the
 * same change through the API (http/api/recording-policies.ts).
 * @module
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { AppDeps } from '../../../deps';
import { RECORDING_POLICY_DIRECTIONS } from '../../../db/schema';
import { activePolicies, addPolicy, type NewPolicy, policyProblems, removePolicy } from '../../../recordings/policy';
import { findCallAudio, revokeAndRecord } from '../../../recordings/revocations';
import { clientIp } from '../../core/actor';
import { auditRequest } from '../../core/audit';
import { managesRecordings, presentPolicy } from '../../api/recording-policies';
import type { AdminEnv } from '../core/env';
import { forbiddenPage, notFoundPage } from '../pages/errors';
import { EMPTY_POLICY_FORM, type PolicyForm, recordingPolicyPage } from '../pages/recording-policy';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REFUSED = 'Only an owner or an admin manages recording policies and links.';

const clock = (deps: AppDeps) => (deps.now ?? (() => new Date()))();
const actorName = (c: Context<AdminEnv>) => {
  const actor = c.get('actor');
  return `${actor.kind}:${actor.id}`;
};

/** POST /admin/calls/:id/revoke-links: the call's recording links are revoked, its note gets a new one. */
export async function revokeCallLinks(c: Context<AdminEnv>, deps: AppDeps): Promise<Response> {
  if (!managesRecordings(c.get('actor'))) return forbiddenPage(c, REFUSED);
  const id = c.req.param('id') ?? '';
  const audio = UUID.test(id) ? await findCallAudio(deps.db, id) : null;
  if (!audio) return notFoundPage(c, 'This call has no recording to revoke links to.');
  const form = await c.req.parseBody();
  const reason = typeof form.reason === 'string' && form.reason.trim() ? form.reason.trim().slice(0, 500) : null;
  const done = await revokeAndRecord(
    deps.db,
    { scope: audio.id, actor: c.get('actor'), ip: clientIp(c), reason, refreshCall: audio.conversationId },
    clock(deps),
  );
  if (done.notesRefreshed) deps.wakeDelivery?.();
  return c.redirect(`/admin/calls/${audio.conversationId}?notice=links_revoked`, 303);
}

function readForm(form: Record<string, unknown>): { form: PolicyForm; rule: NewPolicy | null; errors: string[] } {
  const text = (name: keyof PolicyForm, max = 100) => (typeof form[name] === 'string' ? (form[name] as string).trim().slice(0, max) : '');
  const f: PolicyForm = {
    user_id: text('user_id', 20),
    department: text('department'),
    line: text('line', 64),
    direction: text('direction'),
    action: text('action'),
    note: text('note', 500),
  };
  const errors: string[] = [];
  const userId = f.user_id ? Number(f.user_id) : null;
  if (userId !== null && !(Number.isSafeInteger(userId) && userId > 0)) errors.push('CRM user id: expected a whole number');
  const direction = f.direction ? (RECORDING_POLICY_DIRECTIONS.find((d) => d === f.direction) ?? null) : null;
  if (f.direction && !direction) errors.push(`direction: expected one of ${RECORDING_POLICY_DIRECTIONS.join(', ')}`);
  if (f.action !== 'record' && f.action !== 'skip') errors.push('action: expected record or skip');
  const rule: NewPolicy = {
    userId,
    department: f.department || null,
    line: f.line || null,
    direction,
    action: f.action === 'record' ? 'record' : 'skip',
    note: f.note || null,
  };
  errors.push(...policyProblems(rule));
  return { form: f, rule: errors.length ? null : rule, errors };
}

export function recordingAccessPages(deps: AppDeps) {
  const zone = deps.config.time_zone;
  const page = async (c: Context<AdminEnv>, form: PolicyForm, errors: string[]) =>
    recordingPolicyPage(c, { zone, rules: await activePolicies(deps.db), form, errors, notice: c.req.query('notice') });
  return new Hono<AdminEnv>()
    .get('/admin/recording-policy', async (c) => {
      if (!managesRecordings(c.get('actor'))) return forbiddenPage(c, REFUSED);
      return page(c, EMPTY_POLICY_FORM, []);
    })
    .post('/admin/recording-policy', async (c) => {
      if (!managesRecordings(c.get('actor'))) return forbiddenPage(c, REFUSED);
      const { form, rule, errors } = readForm(await c.req.parseBody());
      if (!rule) return page(c, form, errors);
      const row = await addPolicy(deps.db, rule, actorName(c), clock(deps));
      await auditRequest(deps, c, 'settings.recording_policy', `recording_policy:${row.id}`, { change: 'add', rule: presentPolicy(row) });
      return c.redirect('/admin/recording-policy?notice=policy_added', 303);
    })
    .post('/admin/recording-policy/:id/remove', async (c) => {
      if (!managesRecordings(c.get('actor'))) return forbiddenPage(c, REFUSED);
      const id = Number(c.req.param('id'));
      const row = Number.isSafeInteger(id) && id > 0 ? await removePolicy(deps.db, id, actorName(c), clock(deps)) : null;
      if (!row) return notFoundPage(c, 'There is no such rule in force.');
      await auditRequest(deps, c, 'settings.recording_policy', `recording_policy:${id}`, { change: 'remove', rule: presentPolicy(row) });
      return c.redirect('/admin/recording-policy?notice=policy_removed', 303);
    });
}
