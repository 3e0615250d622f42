/**
 * The Bitrix24 adapter of the CRM port, over an inbound webhook.
 *
 * A call is three requests: telephony.externalCall.register (→ CALL_ID, binds the call to the
 * CRM entity with the number, or lets Bitrix24 create a lead), telephony.externalCall.finish
 * (duration and status; this writes the statistics row and the CRM activity) and, when there is
 * a recording, telephony.externalCall.attachRecord (RECORD_URL; a second attach replaces the
 * first, so it is safe to repeat).
 *
 * Exactly once across three steps, with only the port's per-batch interface: every logCalls
 * first looks its calls up in the telephony statistics by EXTERNAL_CALL_ID (= our uniq; one
 * request for up to 50 calls), so whatever an earlier attempt did, this one goes on from there:
 * - finished already (a lost finish answer, or an attach that failed) → no register, no finish;
 *   only the recording is attached if the row has none;
 * - not in the statistics → register. A registration whose answer was lost, or whose finish
 *   failed, is not in the statistics either (only finish writes it), but Bitrix24 answers a
 *   repeated register with the same EXTERNAL_CALL_ID, number, type and user — within 30
 *   minutes and while unfinished — with the same CALL_ID, so the resend finishes that call.
 *   After 30 minutes a second registration is made and the first stays unfinished: it has no
 *   CRM activity (finish creates it), so nothing shows twice on the timeline. A lead that the
 *   first register created is found by number the second time, so no second lead.
 * - a call that rang with a screen pop (CallToLog.liveRef, the CALL_ID live.ts registered) is not
 *   registered again: its CALL_ID is finished, when a CRM card has the number (see write());
 * - a failure after register reports the outcome as unknown (sent), so the worker never takes
 *   the call for unwritten; the next attempt's look-up decides.
 * @module
 */
import type * as z from 'zod';
import type { Budget } from '../limiter';
import {
  CrmError,
  type CallerCard,
  type CallToLog,
  type CallUpdate,
  type ContactRef,
  type CrmPort,
  type ListPosition,
  type LoggedCall,
  type LoggedCallsPage,
  type LiveRequest,
  type LogResult,
  type NewContact,
  type NewTask,
  type PopResult,
  type ScreenPop,
  type TaskRef,
  type TimeWindow,
  type UnsortedResult,
} from '../port';
import { CrmTransport } from '../transport';
import { resolveWebhookUrl, type Bitrix24Config } from './config';
import { Bitrix24Api } from './api';
import { Bitrix24Live } from './live';
import { attachParams, finishParams, identityFor, isoSeconds, hasRecord, linkOf, refOf, registerParams, type Binding, type Identity } from './params';
import { CreatedId, CrmEntities, Registered, StatisticPage, type StatisticRow } from './schemas';
import { BITRIX24_TABLE } from './table';

export interface Bitrix24AdapterOptions {
  /** The parsed `crm.bitrix24` section. */
  config: Bitrix24Config;
  /** Reads a secret named by `{env: NAME}` (the Node environment, or Workers bindings). */
  env: (name: string) => string | undefined;
  fetch: typeof fetch;
  limiter: Budget;
  /** Waits between quick retries (tests pass a virtual one). */
  clock?: { sleep(ms: number): Promise<void> };
}

/** voximplant.statistic.get answers 50 rows a page. */
export const PAGE_SIZE = 50;
export const LISTING = 'calls';
const ENTITY_PREFERENCE = ['CONTACT', 'COMPANY', 'LEAD'];

type Mode = { crmCreate: boolean };
/** A call in the statistics, and the CRM card it is bound to when known. */
type Written = { row: StatisticRow; binding: Binding | null };

export function createBitrix24Adapter(options: Bitrix24AdapterOptions): Bitrix24Adapter {
  const { clock } = options;
  // A webhook carries its secret in its URL: no credentials of ours, nothing to renew.
  const transport = new CrmTransport({
    vendor: BITRIX24_TABLE,
    limiter: options.limiter,
    fetch: options.fetch,
    timeoutMs: options.config.timeout_ms,
    ...(clock ? { sleep: (ms: number) => clock.sleep(ms) } : {}),
  });
  return new Bitrix24Adapter(new Bitrix24Api(resolveWebhookUrl(options.config, options.env), transport), options.config);
}

export class Bitrix24Adapter implements CrmPort {
  readonly kind = 'bitrix24';
  readonly maxBatch: number;
  private readonly live: Bitrix24Live;

  constructor(
    private readonly http: Bitrix24Api,
    private readonly config: Bitrix24Config,
  ) {
    this.maxBatch = config.batch_size;
    this.live = new Bitrix24Live(http, config);
  }

  /** The call card for the ringing call (live.ts); its CALL_ID comes back as the delivery's liveRef. */
  popUp(pop: ScreenPop, live: LiveRequest): Promise<PopResult> {
    return this.live.popUp(pop, live);
  }

  popDown(pop: ScreenPop & { ref: string }, users: (number | string)[], live: LiveRequest): Promise<void> {
    return this.live.popDown(pop, users, live);
  }

  findCaller(phone: string, live: LiveRequest): Promise<CallerCard | null> {
    return this.live.findCaller(phone, live);
  }

  async logCalls(calls: CallToLog[]): Promise<LogResult[]> {
    const results = new Map<string, LogResult>();
    for (const chunk of chunks(calls, PAGE_SIZE)) await this.logChunk(chunk, results, { crmCreate: this.config.crm_create });
    return calls.map(
      (c) => results.get(c.requestId) ?? { status: 'failed', error: new CrmError({ kind: 'unavailable', sent: false, status: null, detail: 'not sent' }) },
    );
  }

  private async logChunk(chunk: CallToLog[], results: Map<string, LogResult>, mode: Mode) {
    let existing: Map<string, StatisticRow>;
    try {
      existing = await this.findByUniq(chunk.map((c) => c.uniq));
    } catch (error) {
      if (!(error instanceof CrmError)) throw error;
      for (const c of chunk) results.set(c.requestId, { status: 'failed', error });
      return;
    }
    let stop: CrmError | null = null;
    for (const call of chunk) {
      if (stop) {
        results.set(call.requestId, { status: 'failed', error: unsent(stop) });
        continue;
      }
      const result = await this.logOne(call, existing.get(call.uniq) ?? null, mode);
      results.set(call.requestId, result);
      // The portal is refusing or unreachable: the rest of the batch waits for the next attempt.
      if (result.status === 'failed') stop = result.error;
    }
  }

  /** register → finish → attachRecord, from wherever an earlier attempt left the call. */
  private async logOne(call: CallToLog, found: StatisticRow | null, mode: Mode): Promise<LogResult> {
    let row = found;
    let binding: Binding | null = null;
    if (!row) {
      const written = await this.write(call, mode);
      if ('status' in written) return written;
      ({ row, binding } = written);
    }
    if (call.link && !hasRecord(row)) {
      try {
        await this.attach(row.CALL_ID, call.link, call.uniq);
      } catch (error) {
        if (isRejection(error, /not finished yet|not found in the statistic/i)) {
          return {
            status: 'failed',
            error: new CrmError({ kind: 'unavailable', sent: false, status: 400, detail: `call ${row.CALL_ID} is not in the statistics yet` }),
          };
        }
        if (isRejection(error)) return { status: 'rejected', reason: `logged as call ${row.CALL_ID}, but Bitrix24 refused the recording: ${describe(error)}` };
        return { status: 'failed', error: afterWrite(error, `call ${row.CALL_ID} is logged; attaching the recording failed`) };
      }
    }
    return { status: 'logged', ref: refOf(row, binding ?? {}) };
  }

  /**
   * The call into the statistics: the call registered when it rang (liveRef) finished, else a
   * registration of its own and its finish. The popped call is used only when a CRM card has the
   * number: it was registered with CRM_CREATE=0 and bound then, so a number nobody had (a lead for
   * Bitrix24 to create, or a contact calltrail created since — call.contactId) takes a registration
   * of its own, and the popped call stays unfinished — without a CRM activity, so nothing shows twice.
   */
  private async write(call: CallToLog, mode: Mode): Promise<LogResult | Written> {
    let binding: Binding | null = null;
    const liveRef = call.contactId === undefined ? call.liveRef : undefined;
    if (!mode.crmCreate || liveRef) {
      try {
        binding = await this.bindingFor(call.phone);
      } catch (error) {
        return failedWith(error);
      }
      if (liveRef && binding) {
        const finished = await this.finishPopped(call, liveRef, binding);
        if (finished) return finished;
      }
      if (!binding && !mode.crmCreate) return { status: 'unknown_number' };
    }
    return this.registerAndFinish(call, mode, binding);
  }

  /** Finishes the call the screen pop registered; null when Bitrix24 no longer knows it and it is not in the statistics. */
  private async finishPopped(call: CallToLog, callId: string, binding: Binding): Promise<LogResult | Written | null> {
    try {
      return { row: await this.finishAs(callId, call, identityFor(call, this.config)), binding };
    } catch (error) {
      if (!isRejection(error, /call is not found/i)) return { status: 'failed', error: afterWrite(error, `finishing the popped call ${callId} failed`) };
    }
    // Finished by an attempt whose answer was lost, or gone (never finished): the statistics say which.
    try {
      const row = (await this.findByUniq([call.uniq])).get(call.uniq);
      return row ? { row, binding } : null;
    } catch (error) {
      return { status: 'failed', error: afterWrite(error, `the popped call ${callId} is not open; looking it up failed`) };
    }
  }

  private async registerAndFinish(call: CallToLog, mode: Mode, found: Binding | null): Promise<LogResult | Written> {
    let binding = found;
    let who = identityFor(call, this.config);
    let callId: string;
    try {
      const registered = await this.register(call, who, mode, binding).catch(async (error: unknown) => {
        // An extension that is nobody's internal number in Bitrix24: the default user takes the call.
        if (!('USER_PHONE_INNER' in who) || !isRejection(error, /user is not found|not active/i)) throw error;
        who = { USER_ID: this.config.default_user_id };
        return this.register(call, who, mode, binding);
      });
      callId = registered.CALL_ID;
      if (registered.CRM_ENTITY_TYPE && registered.CRM_ENTITY_ID !== null && registered.CRM_ENTITY_ID !== undefined) {
        binding = { type: registered.CRM_ENTITY_TYPE, id: registered.CRM_ENTITY_ID };
      }
    } catch (error) {
      if (isRejection(error)) return { status: 'rejected', reason: (error as CrmError).failure.kind === 'rejected' ? describe(error) : 'refused' };
      return failedWith(error);
    }
    let row: StatisticRow | null = null;
    try {
      row = await this.finish(callId, call, who);
    } catch (error) {
      // Finished by an attempt whose answer was lost: Bitrix24 no longer knows the call as open.
      if (isRejection(error, /call is not found/i))
        row = (await this.findByUniq([call.uniq]).catch(() => new Map<string, StatisticRow>())).get(call.uniq) ?? null;
      if (!row) return { status: 'failed', error: afterWrite(error, `registered as ${callId}; finish failed`) };
    }
    return { row, binding };
  }

  /** finish as this user; an extension that is nobody's internal number falls back to the default user. */
  private finishAs(callId: string, call: CallToLog, who: Identity): Promise<StatisticRow> {
    return this.finish(callId, call, who).catch((error: unknown) => {
      if (!('USER_PHONE_INNER' in who) || !isRejection(error, /user is not found|not active/i)) throw error;
      return this.finish(callId, call, { USER_ID: this.config.default_user_id });
    });
  }

  private async register(call: CallToLog, who: Identity, mode: Mode, binding: Binding | null) {
    const { result } = await this.http.call(
      'telephony.externalCall.register',
      registerParams(call, who, this.config, { crmCreate: mode.crmCreate, binding }),
      true,
    );
    return parse(Registered, result, 'register answer');
  }

  private async finish(callId: string, call: CallToLog, who: Identity): Promise<StatisticRow> {
    const { result } = await this.http.call('telephony.externalCall.finish', finishParams(callId, call, who, this.config), true);
    const row = StatisticPage.element.safeParse(result);
    // A finish answer we cannot read still finished the call: the statistics row is enough.
    return row.success ? row.data : { CALL_ID: callId, EXTERNAL_CALL_ID: call.uniq, PHONE_NUMBER: call.phone, CALL_RECORD_URL: null, CRM_ENTITY_TYPE: null };
  }

  private async attach(callId: string, link: string, uniq: string) {
    const { result } = await this.http.call('telephony.externalCall.attachRecord', attachParams(callId, link, uniq), true);
    if (result && typeof result === 'object' && 'uploadUrl' in result && !('FILE_ID' in result)) {
      throw new CrmError({ kind: 'rejected', status: 400, detail: 'Bitrix24 asked for an upload instead of fetching RECORD_URL' });
    }
  }

  /** Statistics rows by EXTERNAL_CALL_ID (the first row of each, should a call be there twice). */
  private async findByUniq(uniqs: string[]): Promise<Map<string, StatisticRow>> {
    const found = new Map<string, StatisticRow>();
    if (uniqs.length === 0) return found;
    for (let start = 0; ; ) {
      const answer = await this.http.call('voximplant.statistic.get', { FILTER: { EXTERNAL_CALL_ID: uniqs }, SORT: 'ID', ORDER: 'ASC', start }, false);
      for (const row of parse(StatisticPage, answer.result, 'statistics')) {
        if (row.EXTERNAL_CALL_ID && uniqs.includes(row.EXTERNAL_CALL_ID) && !found.has(row.EXTERNAL_CALL_ID)) found.set(row.EXTERNAL_CALL_ID, row);
      }
      if (answer.next === null || answer.next <= start) return found;
      start = answer.next;
    }
  }

  private async bindingFor(phone: string): Promise<Binding | null> {
    const entities = await this.searchEntities(phone);
    entities.sort((a, b) => rank(a.CRM_ENTITY_TYPE) - rank(b.CRM_ENTITY_TYPE));
    const first = entities[0];
    return first ? { type: first.CRM_ENTITY_TYPE, id: first.CRM_ENTITY_ID } : null;
  }

  private async searchEntities(phone: string) {
    const { result } = await this.http.call('telephony.externalCall.searchCrmEntities', { PHONE_NUMBER: phone }, false);
    return parse(CrmEntities, result ?? [], 'CRM entities');
  }

  async findContacts(phone: string): Promise<ContactRef[]> {
    const entities = await this.searchEntities(phone);
    return entities
      .filter((e) => e.CRM_ENTITY_TYPE === 'CONTACT' || e.CRM_ENTITY_TYPE === 'COMPANY')
      .sort((a, b) => rank(a.CRM_ENTITY_TYPE) - rank(b.CRM_ENTITY_TYPE))
      .map((e) => ({ id: e.CRM_ENTITY_ID, name: e.NAME ?? '', phones: [phone] }));
  }

  async createContacts(contacts: NewContact[]): Promise<ContactRef[]> {
    const out: ContactRef[] = [];
    for (const c of contacts) {
      const fields = {
        NAME: c.name,
        PHONE: [{ VALUE: c.phone, VALUE_TYPE: 'WORK' }],
        ...(c.userId !== null ? { ASSIGNED_BY_ID: c.userId } : {}),
        ...(this.config.crm_source ? { SOURCE_ID: this.config.crm_source } : {}),
      };
      const { result } = await this.http.call('crm.contact.add', { fields }, true);
      out.push({ id: parse(CreatedId, result, 'new contact id'), name: c.name, phones: [c.phone] });
    }
    return out;
  }

  /** Unknown callers as leads: Bitrix24's own register with CRM_CREATE=1 makes the lead and logs the call. */
  async createUnknownCallerLeads(calls: CallToLog[]): Promise<UnsortedResult[]> {
    const results = new Map<string, LogResult>();
    const existing = await this.findByUniq(calls.map((c) => c.uniq));
    const fresh = calls.filter((c) => !existing.has(c.uniq));
    for (const chunk of chunks(fresh, PAGE_SIZE)) await this.logChunk(chunk, results, { crmCreate: true });
    return calls.map((c): UnsortedResult => {
      if (existing.has(c.uniq)) return { status: 'duplicate' };
      const r = results.get(c.requestId);
      if (!r || r.status === 'failed') throw r?.error ?? new CrmError({ kind: 'unavailable', sent: true, status: null, detail: 'no result' });
      if (r.status === 'logged')
        return { status: 'created', uid: String(r.ref.noteId), leadId: r.ref.entityType === 'leads' ? r.ref.entityId : null, contactId: null };
      return { status: 'rejected', reason: r.status === 'rejected' ? r.reason : 'Bitrix24 did not create a lead' };
    });
  }

  /**
   * Our calls in the telephony statistics whose call started in the window (Bitrix24 keeps no
   * write time), 50 a page in ID order, so rows added while listing come at the end.
   */
  async *listLoggedCalls(window: TimeWindow, from?: ListPosition): AsyncIterable<LoggedCallsPage> {
    for (let page = Math.max(1, from?.entityType === LISTING ? from.page : 1); ; page++) {
      const start = (page - 1) * PAGE_SIZE;
      const answer = await this.http.call(
        'voximplant.statistic.get',
        { FILTER: { '>=CALL_START_DATE': isoSeconds(window.from), '<=CALL_START_DATE': isoSeconds(window.to) }, SORT: 'ID', ORDER: 'ASC', start },
        false,
      );
      const rows = parse(StatisticPage, answer.result, 'statistics');
      const calls: LoggedCall[] = rows.flatMap((row) =>
        row.EXTERNAL_CALL_ID
          ? [
              {
                ...refOf(row),
                uniq: row.EXTERNAL_CALL_ID,
                link: linkOf(row),
                durationSeconds:
                  row.CALL_DURATION === null || row.CALL_DURATION === undefined || !Number.isFinite(row.CALL_DURATION) ? null : row.CALL_DURATION,
                phone: row.PHONE_NUMBER,
                updatedAt: dateOf(row.CALL_START_DATE) ?? window.from,
              },
            ]
          : [],
      );
      const more = answer.next !== null && answer.next > start && rows.length > 0;
      yield { calls, position: { entityType: LISTING, page }, next: more ? { entityType: LISTING, page: page + 1 } : null };
      if (!more) return;
    }
  }

  /** A late or changed recording: attach it again (Bitrix24 replaces the earlier one). Duration cannot change after finish. */
  async updateLoggedCalls(updates: CallUpdate[]): Promise<void> {
    for (const u of updates) {
      if (u.call.link) await this.attach(String(u.ref.noteId), u.call.link, u.call.uniq);
    }
  }

  async addTasks(tasks: NewTask[]): Promise<TaskRef[]> {
    if (tasks.length === 0) return [];
    throw new CrmError({ kind: 'rejected', status: 501, detail: 'call-back tasks are not supported by the Bitrix24 adapter (turn missed_call_tasks off)' });
  }

  async findTasks(): Promise<TaskRef[]> {
    return [];
  }
}

function rank(type: string): number {
  const i = ENTITY_PREFERENCE.indexOf(type);
  return i < 0 ? ENTITY_PREFERENCE.length : i;
}

function isRejection(error: unknown, pattern?: RegExp): boolean {
  return error instanceof CrmError && error.failure.kind === 'rejected' && (!pattern || pattern.test(error.failure.detail));
}

function describe(error: unknown): string {
  return error instanceof CrmError && 'detail' in error.failure ? error.failure.detail : String(error);
}

function failedWith(error: unknown): LogResult {
  if (!(error instanceof CrmError)) throw error;
  return { status: 'failed', error };
}

/**
 * A step after register failed: the call exists in Bitrix24 in some state. Kinds that stop the
 * worker (block, credentials, rate limit) stay as they are; anything else becomes "may have been
 * written", so nobody treats the call as unsent.
 */
function afterWrite(error: unknown, what: string): CrmError {
  if (!(error instanceof CrmError)) throw error;
  const f = error.failure;
  if (f.kind === 'blocked' || f.kind === 'unauthorized' || f.kind === 'rate_limited') return error;
  return new CrmError({ kind: 'unavailable', sent: true, status: error.status, detail: `${what}: ${describe(error)}` });
}

/** The calls after a failed one were not sent at all. */
function unsent(error: CrmError): CrmError {
  if (error.failure.kind !== 'unavailable') return error;
  return new CrmError({ kind: 'unavailable', sent: false, status: null, detail: `not sent: an earlier call of the batch failed (${error.failure.detail})` });
}

function parse<T extends z.ZodType>(schema: T, data: unknown, what: string): z.output<T> {
  const result = schema.safeParse(data);
  if (!result.success)
    throw new CrmError({ kind: 'unavailable', sent: true, status: 200, detail: `unexpected ${what} from Bitrix24: ${result.error.issues[0]?.message ?? ''}` });
  return result.data;
}

function dateOf(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : new Date(at);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
