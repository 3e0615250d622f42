/**
 * /admin/users and /admin/tokens: who may sign in and with which role; which API tokens exist,
 * with which scopes. A generated password or a new token is shown once, on the answer to the
 * form that made it, and never again.
 * @module
 */
import type { Context } from 'hono';
import { TOKEN_SCOPES } from '../../../db/schema';
import { ROLES } from '../../../domain/actor';
import type { TokenRow } from '../../../people/tokens';
import type { UserRow } from '../../../people/users';
import type { AdminEnv } from '../core/env';
import { localTime } from '../core/format';
import { CsrfField, render } from '../core/layout';

export interface Message {
  kind: 'ok' | 'error';
  text: string;
  /** A secret to copy now: a temporary password or a token. */
  secret?: string;
}

/** What a form did; a secret shown once (`secretNote` says whose). */
export const Said = ({ message, secretNote = 'shown this once; copy it now.' }: { message: Message | undefined; secretNote?: string }) =>
  message ? (
    <div class={`notice ${message.kind}`} role={message.kind === 'error' ? 'alert' : 'status'}>
      <p>{message.text}</p>
      {message.secret ? (
        <p>
          <code id="shown-once">{message.secret}</code> <span class="muted">— {secretNote}</span>
        </p>
      ) : null}
    </div>
  ) : null;

const RoleSelect = ({ value, id }: { value?: string; id?: string }) => (
  <select name="role" id={id}>
    {ROLES.map((r) => (
      <option value={r} selected={r === value}>
        {r}
      </option>
    ))}
  </select>
);

const UserActions = ({ c, u }: { c: Context<AdminEnv>; u: UserRow }) => (
  <div class="actions">
    <form method="post" action={`/admin/users/${u.id}/role`}>
      <CsrfField token={c.get('csrf')} />
      <RoleSelect value={u.role} />
      <input name="extension" value={u.extension ?? ''} placeholder="extension" size={6} aria-label="Extension" />
      <input
        name="amocrm_user_id"
        value={u.amocrmUserId === null ? '' : String(u.amocrmUserId)}
        placeholder="amoCRM user id"
        size={10}
        inputmode="numeric"
        pattern="[0-9]*"
        aria-label="amoCRM user id"
      />
      <button type="submit">Save</button>
    </form>
    <form method="post" action={`/admin/users/${u.id}/${u.disabledAt ? 'enable' : 'disable'}`}>
      <CsrfField token={c.get('csrf')} />
      <button type="submit">{u.disabledAt ? 'Enable' : 'Disable'}</button>
    </form>
    <form method="post" action={`/admin/users/${u.id}/reset-password`}>
      <CsrfField token={c.get('csrf')} />
      <button type="submit">Reset password</button>
    </form>
  </div>
);

export function usersPage(c: Context<AdminEnv>, d: { zone: string; users: UserRow[]; message?: Message; status?: 200 | 400 | 403 | 404 | 409 }) {
  return render(
    c,
    { title: 'Users', nav: 'users', status: d.status ?? 200 },
    <>
      <h1>Users</h1>
      <Said message={d.message} />
      <section class="card scroll">
        <table id="users">
          <thead>
            <tr>
              <th>Email</th>
              <th>Name</th>
              <th>Role</th>
              <th>Extension</th>
              <th>amoCRM user</th>
              <th>State</th>
              <th>Added</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {d.users.map((u) => (
              <tr data-email={u.email}>
                <td>{u.email}</td>
                <td>{u.name}</td>
                <td>{u.role}</td>
                <td>{u.extension ?? '—'}</td>
                <td>{u.amocrmUserId ?? '—'}</td>
                <td>{u.disabledAt ? 'disabled' : 'active'}</td>
                <td>{localTime(u.createdAt, d.zone)}</td>
                <td>
                  <UserActions c={c} u={u} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card">
        <h2>Add a user</h2>
        <form method="post" action="/admin/users" id="add-user" class="filters">
          <CsrfField token={c.get('csrf')} />
          <label>
            Email <input type="email" name="email" required />
          </label>
          <label>
            Name <input name="name" />
          </label>
          <label for="new-user-role">
            Role <RoleSelect value="rep" id="new-user-role" />
          </label>
          <label>
            Extension <input name="extension" placeholder="a rep's own, e.g. 101" />
          </label>
          <label>
            amoCRM user id <input name="amocrm_user_id" inputmode="numeric" pattern="[0-9]*" placeholder="optional, e.g. 1001" />
          </label>
          <div class="actions">
            <button type="submit">Add</button>
          </div>
        </form>
        <p class="muted">A temporary password is generated and shown once. Disabling a user, resetting its password or changing its role signs it out.</p>
        <p class="muted">
          With an amoCRM user id, that amoCRM user signs in as this user from calltrail's widget in amoCRM ("Open in calltrail"), no password asked (amoCRM
          connected by OAuth). One calltrail user per amoCRM user.
        </p>
      </section>
    </>,
  );
}

export function tokensPage(c: Context<AdminEnv>, d: { zone: string; tokens: TokenRow[]; message?: Message; status?: 200 | 400 | 403 | 404 }) {
  return render(
    c,
    { title: 'API tokens', nav: 'tokens', status: d.status ?? 200 },
    <>
      <h1>API tokens</h1>
      <Said message={d.message} />
      <section class="card scroll">
        <table id="tokens">
          <thead>
            <tr>
              <th>Name</th>
              <th>Scopes</th>
              <th>Role</th>
              <th>Made by</th>
              <th>Made</th>
              <th>Last used</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {d.tokens.map((t) => (
              <tr data-name={t.name}>
                <td>{t.name}</td>
                <td>{t.scopes.join(', ')}</td>
                <td>{t.role ?? '—'}</td>
                <td>{t.createdBy}</td>
                <td>{localTime(t.createdAt, d.zone)}</td>
                <td>{localTime(t.lastUsedAt, d.zone)}</td>
                <td>{t.revokedAt ? `revoked ${localTime(t.revokedAt, d.zone)}` : 'active'}</td>
                <td>
                  {t.revokedAt ? null : (
                    <form method="post" action={`/admin/tokens/${t.id}/revoke`}>
                      <CsrfField token={c.get('csrf')} />
                      <button type="submit">Revoke</button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card">
        <h2>Make a token</h2>
        <form method="post" action="/admin/tokens" id="add-token" class="filters">
          <CsrfField token={c.get('csrf')} />
          <label>
            Name <input name="name" required maxlength={100} />
          </label>
          <fieldset>
            <legend>Scopes</legend>
            {TOKEN_SCOPES.map((s) => (
              <label>
                <input type="checkbox" name="scopes" value={s} /> {s}
              </label>
            ))}
          </fieldset>
          <label for="new-token-role">
            Role (admin and read scopes) <RoleSelect value="admin" id="new-token-role" />
          </label>
          <div class="actions">
            <button type="submit">Make</button>
          </div>
        </form>
        <p class="muted">
          admin: the admin API as the role allows; read: its GET endpoints only; lookup, originate: /v1/lookup, /v1/originate; metrics: /metrics. The token is
          shown once.
        </p>
      </section>
    </>,
  );
}
