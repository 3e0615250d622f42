/**
 * The call page's recording access: why the call was not recorded (a policy rule), and the
 * button that revokes every link to its recording (the CRM note then gets a new one).
 * @module
 */
import type { recordings } from '../../../db/schema';
import { notRecordedByPolicy } from '../../../recordings/policy';
import { CsrfField } from '../core/layout';

export const RecordingAccess = ({
  callId,
  list,
  hasAudio,
  csrf,
}: {
  callId: string;
  list: (typeof recordings.$inferSelect)[];
  hasAudio: boolean;
  csrf: string | undefined;
}) => {
  const policy = notRecordedByPolicy(list);
  return (
    <>
      {policy ? (
        <p class="notice warn" id="recording-policy">
          {policy.replace(/^not/, 'Not')}.
        </p>
      ) : null}
      {hasAudio ? (
        <form method="post" action={`/admin/calls/${callId}/revoke-links`} class="filters" id="revoke-links">
          <CsrfField token={csrf} />
          <label>
            Reason <input name="reason" maxlength={500} placeholder="e.g. the link was shared outside the CRM" />
          </label>
          <button type="submit" class="secondary">
            Revoke links to this recording
          </button>
        </form>
      ) : null}
    </>
  );
};
