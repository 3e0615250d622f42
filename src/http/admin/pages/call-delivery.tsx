/**
 * A call's delivery to the CRM: its state and why, the ids the CRM gave it, every attempt, and
 * the retry button (a POST with the session's CSRF token).
 * @module
 */
import type { deliveries, deliveryAttempts } from '../../../db/schema';
import { count, localTime } from '../core/format';
import { Badge, CsrfField } from '../core/layout';

/** An attempt's outcome in the colours of the delivery states. */
const ATTEMPT_TONE = { ok: 'ok', error: 'failed', unknown: 'pending' } as const;

type Delivery = typeof deliveries.$inferSelect & { history: (typeof deliveryAttempts.$inferSelect)[] };

export const DeliveryPanel = ({ callId, delivery, zone, csrf }: { callId: string; delivery: Delivery | null; zone: string; csrf: string | undefined }) => {
  if (!delivery) return <p class="muted">Not delivered yet: the call has not settled (its last event is still recent, or it is still going on).</p>;
  const refs = Object.entries(delivery.crmRefs ?? {});
  return (
    <>
      <dl class="kv" id="delivery">
        <dt>State</dt>
        <dd>
          <Badge value={delivery.state} />
        </dd>
        <dt>Next step</dt>
        <dd>{delivery.step}</dd>
        {delivery.reason ? (
          <>
            <dt>Reason</dt>
            <dd>{delivery.reason}</dd>
          </>
        ) : null}
        <dt>Attempts</dt>
        <dd>{count(delivery.attempts)}</dd>
        <dt>Last attempt</dt>
        <dd>{localTime(delivery.lastAttemptAt, zone)}</dd>
        {delivery.state === 'pending' ? (
          <>
            <dt>Next attempt</dt>
            <dd>{localTime(delivery.nextAttemptAt, zone)}</dd>
          </>
        ) : null}
        {delivery.lastError ? (
          <>
            <dt>Last error</dt>
            <dd>{delivery.lastError}</dd>
          </>
        ) : null}
        {delivery.outcomeUnknown ? (
          <>
            <dt>Outcome</dt>
            <dd>the last attempt may have reached the CRM: the next one looks before sending</dd>
          </>
        ) : null}
        <dt>Delivered</dt>
        <dd>{localTime(delivery.deliveredAt, zone)}</dd>
        <dt>CRM refs</dt>
        <dd>
          {refs.length ? (
            refs.map(([k, v]) => (
              <div>
                {k}: <code>{typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v)}</code>
              </div>
            ))
          ) : (
            <span class="muted">none yet</span>
          )}
        </dd>
      </dl>
      <div class="actions">
        <form method="post" action={`/admin/calls/${callId}/retry`}>
          <CsrfField token={csrf} />
          <button type="submit">Retry delivery</button>
        </form>
      </div>
      <h3>Attempts</h3>
      {delivery.history.length ? (
        <div class="scroll">
          <table id="attempts">
            <thead>
              <tr>
                <th>Time</th>
                <th>Step</th>
                <th>Outcome</th>
                <th class="num">HTTP</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {delivery.history.map((a) => (
                <tr>
                  <td>{localTime(a.at, zone)}</td>
                  <td>{a.step}</td>
                  <td>
                    <span class={`badge s-${ATTEMPT_TONE[a.outcome]}`}>{a.outcome}</span>
                  </td>
                  <td class="num">{a.httpStatus ?? '—'}</td>
                  <td class="wrap">{a.detail ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="muted">No attempt yet.</p>
      )}
    </>
  );
};
