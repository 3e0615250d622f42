/**
 * /admin/crm: the CRM connection — status and why, credentials and token times, deliveries by
 * state — with the reset-circuit button and, when OAuth is configured, Connect amoCRM.
 * @module
 */
import type { Context } from 'hono';
import { DELIVERY_STATES } from '../../../domain/delivery';
import type { CrmConnectionStatus } from '../../../delivery/admin';
import type { AdminEnv } from '../core/env';
import { count, localTime } from '../core/format';
import { Badge, CsrfField, Notice, render } from '../core/layout';

const AUTH: Record<CrmConnectionStatus['auth'], string> = {
  sandbox: 'none (the built-in sandbox CRM)',
  long_lived_token: 'long-lived token',
  oauth: 'OAuth (access and refresh tokens)',
  config: 'as crm.generic.auth in the config file',
};

export function crmPage(c: Context<AdminEnv>, d: { zone: string; crm: CrmConnectionStatus; oauth: boolean; notice?: string }) {
  const s = d.crm;
  return render(
    c,
    { title: 'CRM', nav: 'crm' },
    <>
      <h1>CRM connection</h1>
      <Notice code={d.notice} />
      <section class="card">
        <dl class="kv" id="crm-status">
          <dt>Status</dt>
          <dd>
            <Badge value={s.status} />
          </dd>
          <dt>Reason</dt>
          <dd>{s.statusReason ?? '—'}</dd>
          <dt>Since</dt>
          <dd>{localTime(s.statusChangedAt, d.zone)}</dd>
          <dt>CRM</dt>
          <dd>{s.kind === 'sandbox' ? 'sandbox' : `amoCRM ${s.baseUrl ?? ''}`}</dd>
          <dt>Account</dt>
          <dd>
            <code>{s.accountId}</code>
          </dd>
          <dt>Authentication</dt>
          <dd>{AUTH[s.auth]}</dd>
          {s.auth === 'oauth' ? (
            <>
              <dt>Token expires</dt>
              <dd>{localTime(s.tokenExpiresAt, d.zone)}</dd>
              <dt>Last refresh</dt>
              <dd>{localTime(s.tokenRefreshedAt, d.zone)}</dd>
            </>
          ) : null}
        </dl>
        <div class="actions">
          <form method="post" action="/admin/crm/reset" id="reset-circuit">
            <CsrfField token={c.get('csrf')} />
            <button type="submit">Reset circuit</button>
          </form>
          {d.oauth ? (
            <a href="/admin/crm/connect" id="connect-amocrm">
              Connect amoCRM
            </a>
          ) : null}
        </div>
        <p class="muted">
          Reset after amoCRM lifted a block or the credentials were fixed: deliveries resume at once. Connect opens amoCRM's consent screen; the grant comes
          back to this service's OAuth redirect.
        </p>
      </section>
      <section class="card">
        <h2>Deliveries by state</h2>
        <table id="deliveries-by-state">
          <tbody>
            {DELIVERY_STATES.map((state) => (
              <tr>
                <td>
                  <a href={`/admin/calls?state=${state}`}>{state}</a>
                </td>
                <td class="num" data-state={state}>
                  {count(s.deliveries[state] ?? 0)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>,
  );
}
