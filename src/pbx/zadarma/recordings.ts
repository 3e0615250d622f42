/**
 * Zadarma recordings are named by `call_id_with_rec`; their link comes from
 * `GET /v1/pbx/record/request/?call_id=…&lifetime=…`, answered with
 * `{status:"success", link, lifetime_till}` (or `links` when asked by pbx_call_id).
 *
 * Zadarma needs about 40 s after the end of a call to store the file; until then it answers
 * `{status:"error", message:"Requested file not found"}`. That is "not yet" for a while after the
 * call's last event, and an error afterwards, so a file that never appears is retried with
 * backoff and finally marked failed instead of being asked for every 20 s forever.
 * @module
 */
import { and, eq } from 'drizzle-orm';
import * as z from 'zod';
import type { Db } from '../../db/client';
import { conversations } from '../../db/schema';
import type { RecordingLinkResolver, RecordingToLink } from '../../recordings/links';
import { zadarmaGet, type ZadarmaCredentials } from './api';
import type { ZadarmaConfig } from './config';

export const RECORD_REQUEST_METHOD = '/v1/pbx/record/request/';

/** How long after a call's last event a missing file is still "being saved". */
export const FILE_READY_WINDOW_MS = 10 * 60_000;

const answerSchema = z.union([
  z.object({
    status: z.literal('success'),
    link: z.url({ protocol: /^https?$/ }).optional(),
    links: z.array(z.url({ protocol: /^https?$/ })).optional(),
    lifetime_till: z.string().optional(),
  }),
  z.object({ status: z.literal('error'), message: z.string().optional() }),
]);

/** What the resolver reads: the API credentials, the link lifetime, the ledger, the clock. */
export interface ZadarmaLinkDeps {
  db: Db;
  now?: () => Date;
  settings: { secrets: { zadarma?: ZadarmaCredentials } };
  config: { sources: { zadarma: ZadarmaConfig } };
}

/** When the call last had news; a file still missing shortly after is pending, not lost. */
export type LastActivity = (recording: RecordingToLink, deps: ZadarmaLinkDeps) => Promise<Date | null>;

const lastActivityInLedger: LastActivity = async (recording, deps) => {
  const [row] = await deps.db
    .select({ lastEventAt: conversations.lastEventAt })
    .from(conversations)
    .where(and(eq(conversations.source, 'zadarma'), eq(conversations.callKey, recording.callKey)));
  return row?.lastEventAt ?? null;
};

export function zadarmaLinkResolver(lastActivity: LastActivity = lastActivityInLedger): RecordingLinkResolver<ZadarmaLinkDeps> {
  return {
    source: 'zadarma',
    // Zadarma allows about 100 API requests a minute per account; leave room for everything else.
    perMinute: 60,
    async resolve(recording, deps) {
      const credentials = deps.settings.secrets.zadarma;
      if (!credentials) throw new Error('ZADARMA_API_KEY and ZADARMA_API_SECRET are not set');
      const lifetime = deps.config.sources.zadarma.recording_link_lifetime_seconds;
      const answer = await zadarmaGet(credentials, RECORD_REQUEST_METHOD, {
        call_id: recording.vendorRef,
        lifetime: String(lifetime),
      });
      const parsed = answerSchema.safeParse(answer.data);
      if (!parsed.success) {
        throw new Error(`Zadarma answered HTTP ${answer.status} with an unexpected body: ${answer.text || '(empty)'}`);
      }
      const body = parsed.data;
      if (body.status === 'success') {
        const url = body.link ?? body.links?.[0];
        if (!url) throw new Error(`Zadarma gave no link for call_id ${recording.vendorRef}`);
        return { url };
      }
      const message = body.message ?? `HTTP ${answer.status}`;
      if (/not found/i.test(message)) {
        const last = await lastActivity(recording, deps);
        const now = (deps.now ?? (() => new Date()))();
        if (last && now.getTime() - last.getTime() < FILE_READY_WINDOW_MS) return { pending: true };
      }
      throw new Error(`Zadarma refused the recording link for call_id ${recording.vendorRef}: ${message}`);
    },
  };
}

export const zadarmaRecordingLinks = zadarmaLinkResolver();
