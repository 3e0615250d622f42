/**
 * /admin/accounts (owners of account 1): the CRM accounts this instance serves besides its own —
 * each one's CRM, state and console — and the forms that add one, change its variables or config,
 * disable, enable or delete it. Variable values are write-only: the page shows their names.
 * @module
 */
import type { Context } from 'hono';
import type { AccountSummary } from '../../../accounts/directory';
import type { AdminEnv } from '../core/env';
import { localTime } from '../core/format';
import { Badge, CsrfField, render } from '../core/layout';
import { type Message, Said } from './people';

const state = (a: AccountSummary) => (a.status === 'disabled' ? 'disabled' : a.running ? 'running' : 'failed');

const AccountRow = ({ c, a, zone }: { c: Context<AdminEnv>; a: AccountSummary; zone: string }) => (
  <tr data-slug={a.slug}>
    <td>
      <a href={`/a/${a.slug}/admin`}>{a.name}</a>
      <div class="muted">
        <code>/a/{a.slug}/</code>
      </div>
    </td>
    <td>{a.crm ? `${a.crm.kind} · ${a.crm.account}` : '—'}</td>
    <td>
      <Badge value={state(a)} />
      {a.problem ? <div class="muted">{a.problem}</div> : null}
    </td>
    <td>{a.variables.length ? a.variables.map((v) => <code>{v} </code>) : '—'}</td>
    <td>{localTime(a.createdAt, zone)}</td>
    <td>
      <div class="actions">
        <form method="post" action={`/admin/accounts/${a.slug}/${a.status === 'disabled' ? 'enable' : 'disable'}`}>
          <CsrfField token={c.get('csrf')} />
          <button type="submit">{a.status === 'disabled' ? 'Enable' : 'Disable'}</button>
        </form>
        <a href={`/admin/accounts/${a.slug}`}>Settings</a>
      </div>
    </td>
  </tr>
);

const VariablesHelp = () => (
  <p class="muted">
    One <code>NAME=value</code> per line, as in its environment: <code>AMOCRM_BASE_URL</code>, <code>AMOCRM_LONG_LIVED_TOKEN</code> (or{' '}
    <code>AMOCRM_CLIENT_ID</code>/<code>_SECRET</code>/<code>_REDIRECT_URI</code> and connect from its console), <code>GENERIC_WEBHOOK_SECRET</code> and the
    other PBX secrets, <code>LOOKUP_TOKEN</code>, and the names its config's <code>{'{env: NAME}'}</code> secrets use. None: it delivers to its own sandbox CRM.
    Stored sealed; never shown again.
  </p>
);

export function accountsPage(c: Context<AdminEnv>, d: { zone: string; accounts: AccountSummary[]; message?: Message; status?: 200 | 400 | 404 | 409 }) {
  return render(
    c,
    { title: 'Accounts', nav: 'accounts', status: d.status ?? 200 },
    <>
      <h1>Accounts</h1>
      <p class="muted">
        The CRM accounts this instance serves besides its own. Each has its own data, people, PBX webhooks and console under <code>/a/&lt;slug&gt;/</code>.
      </p>
      <Said message={d.message} secretNote="the owner's temporary password, shown this once." />
      <section class="scroll">
        <table id="accounts">
          <thead>
            <tr>
              <th>Account</th>
              <th>CRM</th>
              <th>State</th>
              <th>Variables</th>
              <th>Added</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {d.accounts.length ? (
              d.accounts.map((a) => <AccountRow c={c} a={a} zone={d.zone} />)
            ) : (
              <tr>
                <td colspan={6} class="muted">
                  No account added yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
      <section class="card">
        <h2>Add an account</h2>
        <form method="post" action="/admin/accounts" id="add-account" class="stacked">
          <CsrfField token={c.get('csrf')} />
          <label>
            Slug <input name="slug" required pattern="[a-z][a-z0-9-]{1,30}[a-z0-9]" placeholder="acme" />
          </label>
          <label>
            Name <input name="name" required placeholder="Acme Ltd" />
          </label>
          <label>
            Its owner's email <input type="email" name="owner_email" placeholder="owner@acme.example" />
          </label>
          <label>
            Variables <textarea name="variables" rows={4} placeholder="AMOCRM_BASE_URL=https://acme.amocrm.ru" />
          </label>
          <VariablesHelp />
          <label>
            Config (JSON, optional) <textarea name="config" rows={4} placeholder='{"time_zone": "Europe/Moscow"}' />
          </label>
          <button type="submit">Add</button>
        </form>
      </section>
    </>,
  );
}

export function accountPage(c: Context<AdminEnv>, d: { account: AccountSummary; message?: Message; status?: 200 | 400 | 409 }) {
  const a = d.account;
  return render(
    c,
    { title: `Account ${a.slug}`, nav: 'accounts', status: d.status ?? 200 },
    <>
      <p>
        <a href="/admin/accounts">« Accounts</a>
      </p>
      <h1>{a.name}</h1>
      <p>
        <Badge value={state(a)} /> <a href={`/a/${a.slug}/admin`}>Open its console</a> · webhooks at <code>{a.publicUrl}/webhooks/…</code>
      </p>
      <Said message={d.message} />
      <section class="card">
        <h2>Settings</h2>
        <form method="post" action={`/admin/accounts/${a.slug}`} id="change-account" class="stacked">
          <CsrfField token={c.get('csrf')} />
          <label>
            Name <input name="name" value={a.name} required />
          </label>
          <label>
            Set variables <textarea name="variables" rows={3} placeholder="GENERIC_WEBHOOK_SECRET=…" />
          </label>
          <p class="muted">Set now: {a.variables.length ? a.variables.join(', ') : 'none'}. A line sets one; the others stay.</p>
          <label>
            Remove variables <input name="remove" placeholder="NAME, NAME" />
          </label>
          <label>
            Config (JSON; empty: the defaults){' '}
            <textarea name="config" rows={8}>
              {a.config ? JSON.stringify(a.config, null, 2) : ''}
            </textarea>
          </label>
          <button type="submit">Save and restart it</button>
        </form>
      </section>
      <section class="card">
        <h2>Delete</h2>
        <form method="post" action={`/admin/accounts/${a.slug}/delete`} id="delete-account" class="stacked">
          <CsrfField token={c.get('csrf')} />
          <label>
            Type its slug to delete it with all of its calls, recordings, people and trail <input name="confirm" required />
          </label>
          <button type="submit" class="secondary">
            Delete
          </button>
        </form>
      </section>
    </>,
  );
}
