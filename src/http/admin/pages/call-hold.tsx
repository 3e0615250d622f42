/**
 * A call's legal hold on its page: who placed it, when and why, and the button that releases it;
 * or the form that places one (a reason is required). POSTs with the session's CSRF token.
 * @module
 */
import { localTime } from '../core/format';
import { CsrfField } from '../core/layout';

export interface HoldView {
  at: Date | null;
  by: string | null;
  reason: string | null;
}

export const LegalHold = ({ callId, hold, zone, csrf }: { callId: string; hold: HoldView; zone: string; csrf: string | undefined }) =>
  hold.at ? (
    <>
      <p id="legal-hold">
        <strong>Under legal hold</strong> since {localTime(hold.at, zone)}
        {hold.by ? <> by {hold.by}</> : null}: {hold.reason ?? '—'}. Neither retention nor an erasure request deletes this call or its recording.
      </p>
      <div class="actions">
        <form method="post" action={`/admin/calls/${callId}/hold/release`}>
          <CsrfField token={csrf} />
          <button type="submit">Release the hold</button>
        </form>
      </div>
    </>
  ) : (
    <form method="post" action={`/admin/calls/${callId}/hold`} class="actions">
      <CsrfField token={csrf} />
      <label>
        Reason <input name="reason" required maxlength={500} placeholder="case, request or ticket" />
      </label>
      <button type="submit">Place on legal hold</button>
    </form>
  );
