/**
 * /admin/dead-letters: the queue messages that ran out of retries, newest first.
 * @module
 */
import type { Context } from 'hono';
import type { DeadLetterRow } from '../../../delivery/dead-letters';
import type { AdminEnv } from '../core/env';
import { localTime } from '../core/format';
import { CsrfField, Notice, render } from '../core/layout';

export interface DeadLettersData {
  zone: string;
  rows: DeadLetterRow[];
  notice?: string | undefined;
}

export function deadLettersPage(c: Context<AdminEnv>, d: DeadLettersData) {
  return render(
    c,
    { title: 'Dead letters' },
    <>
      <h1>Dead letters</h1>
      <Notice code={d.notice} />
      <p class="muted">
        Queue messages the Worker gave up on after its retries. The work is not lost: an inbox body stays in the inbox (failed, retried by the every-minute
        trigger, reprocessable), deliveries stay in the outbox. Fix the cause, then clear the list.
      </p>
      {d.rows.length === 0 ? (
        <p id="no-dead-letters">No dead letters.</p>
      ) : (
        <>
          <div class="scroll">
            <table id="dead-letters">
              <thead>
                <tr>
                  <th>Died</th>
                  <th>Queue</th>
                  <th>Message</th>
                  <th class="num">Attempts</th>
                  <th>Last error</th>
                  <th>First failed</th>
                </tr>
              </thead>
              <tbody>
                {d.rows.map((row) => (
                  <tr>
                    <td>{localTime(row.diedAt, d.zone)}</td>
                    <td>{row.queue}</td>
                    <td>
                      {row.summary} <code class="muted">{row.messageId}</code>
                    </td>
                    <td class="num">{row.attempts ?? '—'}</td>
                    <td>{row.error ?? 'not recorded (see the Worker’s logs)'}</td>
                    <td>{localTime(row.firstFailedAt, d.zone)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <form method="post" action="/admin/dead-letters/dismiss" class="actions">
            <CsrfField token={c.get('csrf')} />
            <button type="submit">Clear the list</button>
          </form>
        </>
      )}
    </>,
  );
}
