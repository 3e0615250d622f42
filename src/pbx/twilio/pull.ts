/**
 * The Twilio pull: the account's calls of a window, from the Calls list (calls.ts), each ended call
 * as the status callback Twilio would have posted for it (CallSid, ParentCallSid, From, To,
 * CallStatus, Direction, CallDuration, AnsweredBy, Timestamp = its end), so the webhook's parser
 * makes the same legs: callKey = ParentCallSid ?? CallSid. A call belongs to the window when its parent started in
 * it; its <Dial> legs come with it whenever they started, and every leg of one call is in the same
 * page. Bodies are marked `meta.origin = calls-list` and carry no signature.
 *
 * Which account: `twilioPull({ accountSid })`, else the AccountSid of the newest stored Twilio
 * callback (account.ts). Recordings are not asked for (one Recordings request per call is too many
 * for a nightly check): a pulled answered call waits SETTLE_SECONDS for a recording callback that,
 * if the webhooks were lost, will not come, then settles without one.
 * @module
 */
import { DateTime } from 'luxon';
import type { IngestInput } from '../../ledger/inbox';
import type { ParseContext } from '../core/parse';
import { credentialedPull, pagesOfCalls, pullPaging, type PbxPull, type PullDeps, type PullPaging, type PullWindow } from '../core/pull';
import { accountSidFromLedger, isAccountSid } from './account';
import { callPages, type CallsOptions, type TwilioCall } from './calls';
import type { TwilioConfig } from './config';
import { twilioParser } from './parse';
import { TERMINAL_STATUSES, type CallStatus } from './schema';

export const CALLS_LIST_ORIGIN = 'calls-list';

/** marginSeconds: how long after the window a <Dial> leg of a call that started in it is still looked for. Default 6 h. */
export interface TwilioPullOptions extends PullPaging {
  /** The account (AC…) whose calls to list; default: the one named by the stored callbacks. */
  accountSid?: string;
  calls?: CallsOptions;
}

type TwilioPullDeps = PullDeps<{ twilio?: string }, { twilio: TwilioConfig }>;

export function twilioPull(options: TwilioPullOptions = {}): PbxPull<TwilioPullDeps> {
  if (options.accountSid !== undefined && !isAccountSid(options.accountSid)) {
    throw new Error('twilioPull: accountSid must be AC followed by 32 hex digits');
  }
  const { marginMs, pageSize } = pullPaging(options, 6 * 3600);
  return credentialedPull<'twilio', string, { twilio: TwilioConfig }>({
    source: 'twilio',
    reads: CALLS_LIST_ORIGIN,
    missing: 'the Twilio pull needs TWILIO_AUTH_TOKEN',
    async *pull(window, { credentials: tokens, ctx, log, deps }) {
      const accountSid = options.accountSid ?? (await accountSidFromLedger(deps.db));
      if (!accountSid) {
        throw new Error('the Twilio pull does not know the account: no Twilio callback is stored yet; give twilioPull({ accountSid })');
      }
      const legsByCall = new Map<string, Map<string, TwilioCall>>();
      for await (const page of callPages(queryFor(window, marginMs, accountSid), tokens, options.calls)) {
        for (const bad of page.invalid) log.warn('a Twilio call cannot be read; skipped', { problem: bad.problem });
        for (const call of page.calls) {
          const key = call.parent_call_sid ?? call.sid;
          const legs = legsByCall.get(key) ?? new Map<string, TwilioCall>();
          legs.set(call.sid, call);
          legsByCall.set(key, legs);
        }
      }
      yield* pages(legsByCall, window, pageSize, ctx, log);
    },
  });
}

/**
 * The UTC dates to list. Twilio's "StartTime<=date" is documented as "on or before midnight of this
 * date", which may mean its start: a day more is asked for, and the window is applied here.
 */
function queryFor(window: PullWindow, marginMs: number, accountSid: string) {
  const day = (at: Date) => at.toISOString().slice(0, 10);
  return { accountSid, startDate: day(window.from), endDate: day(new Date(window.to.getTime() + marginMs + 86_400_000)) };
}

function pages(
  legsByCall: Map<string, Map<string, TwilioCall>>,
  window: PullWindow,
  pageSize: number,
  ctx: ParseContext<{ twilio: TwilioConfig }>,
  log: TwilioPullDeps['log'],
): Generator<IngestInput[]> {
  return pagesOfCalls({
    calls: legsByCall,
    pageSize,
    inputsOf: ([callSid, legs]) => {
      const parent = legs.get(callSid);
      // A leg whose parent started before the dates asked for belongs to an earlier window.
      if (!parent) return null;
      const started = instant(parent.start_time ?? parent.date_created);
      if (!started || started < window.from || started >= window.to) return null;
      if (!TERMINAL_STATUSES.has(parent.status as CallStatus)) {
        log.warn('a Twilio call of the window has not ended; left out', { call_sid: callSid, status: parent.status });
        return null;
      }
      return [...legs.values()].filter((call) => TERMINAL_STATUSES.has(call.status as CallStatus)).map((call) => statusInput(call, ctx));
    },
    skipped: ([callSid], problems) => log.warn('a Twilio call from the Calls list cannot be read; skipped', { call_sid: callSid, problems }),
  });
}

function statusInput(call: TwilioCall, ctx: ParseContext<{ twilio: TwilioConfig }>): IngestInput {
  const raw = statusCallback(call);
  const meta = { callback: 'status', origin: CALLS_LIST_ORIGIN };
  return { source: twilioParser.name, raw, meta, dedupeKey: `${CALLS_LIST_ORIGIN}:${call.sid}:${call.status}`, events: twilioParser.parse(raw, meta, ctx) };
}

/** The status callback Twilio posts when a call ends, from the call's resource. */
export function statusCallback(call: TwilioCall): string {
  const fields: [string, string | undefined][] = [
    ['AccountSid', call.account_sid],
    ['ApiVersion', '2010-04-01'],
    ['CallSid', call.sid],
    ['ParentCallSid', call.parent_call_sid],
    ['From', call.from],
    ['To', call.to],
    ['Direction', call.direction],
    ['CallStatus', call.status],
    // Only a completed call was up; Twilio's callbacks carry CallDuration on completed only.
    ['CallDuration', call.status === 'completed' ? (call.duration ?? '0') : undefined],
    ['AnsweredBy', call.answered_by || undefined],
    ['Timestamp', call.end_time ?? call.date_updated ?? call.start_time],
  ];
  return new URLSearchParams(fields.filter((f): f is [string, string] => f[1] !== undefined)).toString();
}

function instant(rfc2822: string | undefined): Date | null {
  if (!rfc2822) return null;
  const at = DateTime.fromRFC2822(rfc2822);
  return at.isValid ? at.toJSDate() : null;
}
