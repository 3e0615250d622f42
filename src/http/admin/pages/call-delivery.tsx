/**
 * A call's delivery to the CRM: its state and why, the ids the CRM gave it, every attempt, and
 * the retry button (a POST with the session's CSRF token).
 * @module
 */
import type { Child } from 'hono/jsx';
import type { deliveries, deliveryAttempts } from '../../../db/schema';
import { count, localTime } from '../core/format';
import { Badge, CsrfField } from '../core/layout';

/** An attempt's outcome in the colours of the delivery states. */
const ATTEMPT_TONE = { ok: 'ok', error: 'failed', unknown: 'pending' } as const;

type Attempt = typeof deliveryAttempts.$inferSelect;
type Delivery = typeof deliveries.$inferSelect & { history: Attempt[] };

export const DeliveryPanel = ({ callId, delivery, zone, csrf }: { callId: string; delivery: Delivery | null; zone: string; csrf: string | undefined }) => {
  if (!delivery) return <p class="muted">Not delivered yet: the call has not settled (its last event is still recent, or it is still going on).</p>;
  return (
    <>
      <DeliveryFacts delivery={delivery} zone={zone} />
      <div class="actions">
        <form method="post" action={`/admin/calls/${callId}/retry`}>
          <CsrfField token={csrf} />
          <button type="submit">Retry delivery</button>
        </form>
      </div>
      <h3>Attempts</h3>
      {delivery.history.length ? <AttemptsTable history={delivery.history} zone={zone} /> : <p class="muted">No attempt yet.</p>}
    </>
  );
};

/** A term and its description, shown only when `when` holds. */
const OptionalFact = ({ when, term, children }: { when: unknown; term: string; children?: Child }) =>
  when ? (
    <>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </>
  ) : null;

/** Where the delivery stands: state, step, reason, attempts, errors, the CRM's ids. */
const DeliveryFacts = ({ delivery, zone }: { delivery: Delivery; zone: string }) => (
  <dl class="kv" id="delivery">
    <dt>State</dt>
    <dd>
      <Badge value={delivery.state} />
    </dd>
    <OptionalFact when={delivery.state === 'pending' || delivery.state === 'failed'} term="Next step">
      {delivery.step}
    </OptionalFact>
    <OptionalFact when={delivery.reason} term="Reason">
      {delivery.reason}
    </OptionalFact>
    <dt>Attempts</dt>
    <dd>
      {count(delivery.history.length)}
      {delivery.attempts > 0 ? <span class="muted"> ({count(delivery.attempts)} failed in a row)</span> : null}
    </dd>
    <dt>Last attempt</dt>
    <dd>{localTime(delivery.lastAttemptAt, zone)}</dd>
    <OptionalFact when={delivery.state === 'pending'} term="Next attempt">
      {localTime(delivery.nextAttemptAt, zone)}
    </OptionalFact>
    <OptionalFact when={delivery.lastError} term="Last error">
      {delivery.lastError}
    </OptionalFact>
    <OptionalFact when={delivery.outcomeUnknown} term="Outcome">
      the last attempt may have reached the CRM: the next one looks before sending
    </OptionalFact>
    <dt>Delivered</dt>
    <dd>{localTime(delivery.deliveredAt, zone)}</dd>
    <dt>CRM refs</dt>
    <dd>
      <CrmRefs refs={delivery.crmRefs} />
    </dd>
  </dl>
);

/** The ids the CRM gave the call (note, contact …), one per line. */
const CrmRefs = ({ refs }: { refs: Delivery['crmRefs'] }) => {
  const entries = Object.entries(refs ?? {});
  if (!entries.length) return <span class="muted">none yet</span>;
  return (
    <>
      {entries.map(([k, v]) => (
        <div>
          {k}: <code>{typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v)}</code>
        </div>
      ))}
    </>
  );
};

const AttemptsTable = ({ history, zone }: { history: Attempt[]; zone: string }) => (
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
        {history.map((a) => (
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
);
