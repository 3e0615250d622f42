/**
 * /admin/recording-policy: the rules in force (who, which line, which direction → record or
 * skip), a form to add one and a button to remove each. Owner and admin only.
 * @module
 */
import type { Context } from 'hono';
import type { recordingPolicies } from '../../../db/schema';
import { RECORDING_POLICY_DIRECTIONS } from '../../../db/schema';
import type { AdminEnv } from '../core/env';
import { localTime } from '../core/format';
import { Badge, CsrfField, Notice, render } from '../core/layout';

type Policy = typeof recordingPolicies.$inferSelect;

export interface PolicyForm {
  user_id: string;
  department: string;
  line: string;
  direction: string;
  action: string;
  note: string;
}

export const EMPTY_POLICY_FORM: PolicyForm = { user_id: '', department: '', line: '', direction: '', action: 'skip', note: '' };

export interface PolicyPageData {
  zone: string;
  rules: Policy[];
  form: PolicyForm;
  errors: string[];
  notice?: string | undefined;
}

const any = (v: string | number | null) => (v === null ? <span class="muted">any</span> : String(v));

const RulesTable = ({ rules, zone, csrf }: { rules: Policy[]; zone: string; csrf: string | undefined }) =>
  rules.length ? (
    <div class="scroll">
      <table id="policies">
        <thead>
          <tr>
            <th>Rule</th>
            <th>User</th>
            <th>Department</th>
            <th>Line</th>
            <th>Direction</th>
            <th>Action</th>
            <th>Note</th>
            <th>Added</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <tr data-policy={String(r.id)}>
              <td>#{r.id}</td>
              <td>{any(r.userId)}</td>
              <td>{any(r.department)}</td>
              <td>{any(r.line)}</td>
              <td>{any(r.direction)}</td>
              <td>
                <Badge value={r.action} />
              </td>
              <td class="wrap">{r.note ?? ''}</td>
              <td>
                {localTime(r.createdAt, zone)} <span class="muted">by {r.createdBy}</span>
              </td>
              <td>
                <form method="post" action={`/admin/recording-policy/${r.id}/remove`}>
                  <CsrfField token={csrf} />
                  <button type="submit" class="secondary">
                    Remove
                  </button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  ) : (
    <p class="muted">No rules: every call is recorded (unless recordings.sync excludes it).</p>
  );

const AddForm = ({ form, csrf }: { form: PolicyForm; csrf: string | undefined }) => (
  <form method="post" action="/admin/recording-policy" class="filters">
    <CsrfField token={csrf} />
    <label>
      CRM user id <input name="user_id" inputmode="numeric" value={form.user_id} />
    </label>
    <label>
      Department <input name="department" value={form.department} />
    </label>
    <label>
      Line <input name="line" value={form.line} placeholder="+7 495 …" />
    </label>
    <label>
      Direction
      <select name="direction">
        <option value="">any</option>
        {RECORDING_POLICY_DIRECTIONS.map((d) => (
          <option value={d} selected={form.direction === d}>
            {d}
          </option>
        ))}
      </select>
    </label>
    <label>
      Action
      <select name="action">
        <option value="skip" selected={form.action !== 'record'}>
          skip (do not record)
        </option>
        <option value="record" selected={form.action === 'record'}>
          record
        </option>
      </select>
    </label>
    <label>
      Note <input name="note" value={form.note} />
    </label>
    <button type="submit">Add rule</button>
  </form>
);

export function recordingPolicyPage(c: Context<AdminEnv>, d: PolicyPageData) {
  return render(
    c,
    { title: 'Recording policy', nav: 'recording-policy', status: d.errors.length ? 400 : 200 },
    <>
      <h1>Recording policy</h1>
      <Notice code={d.notice} />
      <p class="muted">
        A rule applies to calls that start after it is added. Among the rules in force, the most specific decides (most fields named), the newest on a tie;
        without a rule a call is recorded. A skipped call's recordings are not fetched, archived or linked from the CRM, and the call says "not recorded by
        policy (rule #N)".
      </p>
      <section class="card">
        <h2>Rules in force</h2>
        <RulesTable rules={d.rules} zone={d.zone} csrf={c.get('csrf')} />
      </section>
      <section class="card">
        <h2>Add a rule</h2>
        {d.errors.length ? (
          <ul class="errors" role="alert">
            {d.errors.map((e) => (
              <li>{e}</li>
            ))}
          </ul>
        ) : null}
        <AddForm form={d.form} csrf={c.get('csrf')} />
      </section>
    </>,
  );
}
