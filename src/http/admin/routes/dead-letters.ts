/**
 * /admin/dead-letters (owners and admins): what the Workers queues gave up on — an inbox body the
 * consumer could not apply, a drain that kept failing — with its last error and attempts, and the
 * button that clears the list once read. The work itself is not lost: the body stays in the inbox
 * (failed, retried by the tick, reprocessable), the deliveries in the outbox.
 * @module
 */
import { Hono } from 'hono';
import { dismissDeadLetters, listDeadLetters } from '../../../delivery/dead-letters';
import type { AppDeps } from '../../../deps';
import { auditRequest } from '../../core/audit';
import type { AdminEnv } from '../core/env';
import { deadLettersPage } from '../pages/dead-letters';

export function deadLetterPages(deps: AppDeps) {
  return new Hono<AdminEnv>()
    .get('/admin/dead-letters', async (c) =>
      deadLettersPage(c, { zone: deps.config.time_zone, rows: await listDeadLetters(deps.db), notice: c.req.query('notice') }),
    )
    .post('/admin/dead-letters/dismiss', async (c) => {
      const dismissed = await dismissDeadLetters(deps.db);
      await auditRequest(deps, c, 'dead_letters.dismiss', null, { dismissed });
      return c.redirect('/admin/dead-letters?notice=dead_letters_dismissed', 303);
    });
}
