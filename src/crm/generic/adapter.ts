/**
 * The generic REST adapter of the CRM port: every request is a template from `crm.generic`
 * (config.ts), every answer is read with selectors, every failure is a CrmError kind (the CRM
 * transport reads them by table.ts).
 *
 * One call is one log request (maxBatch 1): a generic CRM has no batch endpoint we could rely on
 * to say which items were written. Logging a call first finds its contact (the phone formats in
 * order); nobody → `unknown_number`, and the delivery engine creates the contact and comes back.
 * Exactly once rests on `list_calls.uniq`: after a lost answer the engine lists the calls written
 * since and looks for the call's uniq before sending it again. Without a uniq selector that
 * look-up is impossible, so it fails loudly (the delivery ends `failed`, for a person to check)
 * instead of guessing — a guess either way loses or duplicates a call.
 *
 * The live half is there when the config describes it: `lookup` (findCaller: the phone formats in
 * order, the CallerCard's fields read with selectors) and `ringing` (popUp: one request, or one
 * per user). Both go out as live requests with the ring's deadline; the CRM takes its pop down
 * itself (no popDown).
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max';
import type { Logger } from '../../lib/log';
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
import type { CrmAnswer, CrmTransport } from '../transport';
import { REQUEST_VARIABLES, type GenericCrmConfig, type RequestName, type RequestTemplate } from './config';
import { phoneCandidates } from './phone-formats';
import { renderRequest, type RenderContext } from './render';
import { select, selectId, selectIds, selectNumber, selectString } from './selectors';

export interface GenericAdapterOptions {
  config: GenericCrmConfig;
  transport: CrmTransport;
  /** For the national phone format. */
  defaultCountry: CountryCode;
  /** For the `date` filter in templates. */
  timeZone: string;
  log: Logger;
  /** Reads a recording for a multipart upload (the signed link calltrail put on the call). */
  fetchRecording: (url: string) => Promise<Response>;
}

/** A listing with no uniq cannot be trusted to find a call: see the module comment. */
const NO_LOOKUP =
  'crm.generic.list_calls with a uniq selector is not configured: calltrail cannot tell whether the CRM kept this call; check the CRM, then retry or leave it';

export class GenericCrmAdapter implements CrmPort {
  readonly kind = 'generic';
  readonly maxBatch = 1;
  private readonly config: GenericCrmConfig;

  /** Present only when crm.generic describes them: the port reads an absent method as "cannot". */
  readonly findCaller?: (phone: string, live: LiveRequest) => Promise<CallerCard | null>;
  readonly popUp?: (pop: ScreenPop, live: LiveRequest) => Promise<PopResult>;

  constructor(private readonly options: GenericAdapterOptions) {
    this.config = options.config;
    if (this.config.lookup) this.findCaller = (phone, live) => this.lookUp(phone, live);
    if (this.config.ringing) this.popUp = (pop, live) => this.ring(pop, live);
  }

  /** The lookup request per phone format until an answer names a contact or company. */
  private async lookUp(phone: string, live: LiveRequest): Promise<CallerCard | null> {
    const lookup = this.config.lookup;
    if (!lookup) throw notConfigured('lookup');
    for (const candidate of phoneCandidates(phone, lookup.phone_formats, this.options.defaultCountry)) {
      const { data } = await this.send('lookup', lookup.request, { phone: candidate }, undefined, live);
      const card = callerCard(lookup, data);
      if (card) return card;
    }
    return null;
  }

  private async ring(pop: ScreenPop, live: LiveRequest): Promise<PopResult> {
    const ringing = this.config.ringing;
    if (!ringing) throw notConfigured('ringing');
    if (pop.users.length === 0) return { ref: null };
    const groups = ringing.per_user ? pop.users.map((u) => [u]) : [pop.users];
    for (const users of groups) await this.send('ringing', ringing.request, ringVars(pop, users), undefined, live);
    return { ref: null };
  }

  async logCalls(calls: CallToLog[]): Promise<LogResult[]> {
    const out: LogResult[] = [];
    for (const call of calls) out.push(await this.logOne(call));
    return out;
  }

  private async logOne(call: CallToLog): Promise<LogResult> {
    let contactId: string | number;
    if (call.contactId !== undefined) {
      // We created it for this call: no search (a search index may not have it yet).
      contactId = call.contactId;
    } else {
      try {
        const [contact] = await this.findContacts(call.phone);
        if (!contact) return { status: 'unknown_number' };
        contactId = contact.id;
      } catch (error) {
        return { status: 'failed', error: asCrmError(error) };
      }
    }
    let callId: string | number;
    try {
      const answer = await this.send('log_call', this.config.log_call.request, this.callVars(call, contactId, null));
      callId = required(selectId(this.config.log_call.id, answer.data), 'log_call.id', answer);
    } catch (error) {
      const e = asCrmError(error);
      if (e.failure.kind === 'rejected') return { status: 'rejected', reason: e.failure.detail };
      return { status: 'failed', error: e };
    }
    if (call.link) await this.attachAfterLog(call, contactId, callId);
    return { status: 'logged', ref: { noteId: callId, entityId: contactId, entityType: 'contacts' } };
  }

  /**
   * The call is in the CRM already: a failed upload must not fail it (a resend would duplicate
   * it). It is logged; reconciliation sees the missing link (list_calls.link) and updates it.
   */
  private async attachAfterLog(call: CallToLog, contactId: string | number, callId: string | number) {
    if (this.config.attach_recording.mode !== 'multipart') return;
    try {
      await this.upload(call, contactId, callId);
    } catch (error) {
      this.options.log.warn('recording upload failed after the call was logged', { uniq: call.uniq, error: asCrmError(error).message });
    }
  }

  async findContacts(phone: string): Promise<ContactRef[]> {
    const find = this.config.find_contact;
    for (const candidate of phoneCandidates(phone, find.phone_formats, this.options.defaultCountry)) {
      const answer = await this.send('find_contact', find.request, { phone: candidate });
      const ids = selectIds(find.ids, answer.data);
      if (ids.length) return ids.map((id) => ({ id, name: '', phones: [phone] }));
    }
    return [];
  }

  async createContacts(contacts: NewContact[]): Promise<ContactRef[]> {
    const create = this.config.create_contact;
    if (!create) throw notConfigured('create_contact');
    const out: ContactRef[] = [];
    for (const c of contacts) {
      const answer = await this.send('create_contact', create.request, { name: c.name, phone: c.phone, user_id: c.userId });
      out.push({ id: required(selectId(create.id, answer.data), 'create_contact.id', answer), name: c.name, phones: [c.phone] });
    }
    return out;
  }

  /** Refused by the config (unknown_callers: unsorted needs amoCRM); here for the port's sake. */
  async createUnknownCallerLeads(calls: CallToLog[]): Promise<UnsortedResult[]> {
    return calls.map(() => ({ status: 'rejected', reason: 'the generic CRM adapter has no unknown-caller leads (unknown_callers: unsorted)' }));
  }

  async *listLoggedCalls(window: TimeWindow, from?: ListPosition): AsyncIterable<LoggedCallsPage> {
    const list = this.config.list_calls;
    if (!list?.uniq) throw new CrmError({ kind: 'rejected', status: 0, detail: NO_LOOKUP });
    const pagination = list.pagination;
    let position: ListPosition = from ?? { entityType: 'calls', page: pagination.type === 'page' ? pagination.start : 0 };
    for (;;) {
      const { query, vars } = pageQuery(pagination, position);
      const answer = await this.send('list_calls', list.request, { from: window.from.toISOString(), to: window.to.toISOString(), ...vars }, query);
      const found = select(list.items, answer.data);
      const items = Array.isArray(found) ? found : [];
      const calls = items.map((item) => this.loggedCall(item, list)).filter((c): c is LoggedCall => c !== null);
      const next = nextPosition(pagination, position, items.length, answer.data);
      yield { calls, position, next };
      if (!next) return;
      position = next;
    }
  }

  private loggedCall(item: unknown, list: NonNullable<GenericCrmConfig['list_calls']>): LoggedCall | null {
    const id = selectId(list.id, item);
    const uniq = selectString(list.uniq, item);
    if (id === null || uniq === null) return null;
    const updated = list.updated_at ? select(list.updated_at, item) : null;
    return {
      noteId: id,
      entityId: (list.contact_id ? selectId(list.contact_id, item) : null) ?? '',
      entityType: 'contacts',
      uniq,
      // No link selector: the listing cannot tell, and the reconciliation must not take every
      // recorded call for one that lost its recording.
      link: list.link ? selectString(list.link, item) : undefined,
      durationSeconds: selectNumber(list.duration, item),
      phone: selectString(list.phone, item),
      updatedAt: toDate(updated) ?? new Date(0),
    };
  }

  /**
   * A late recording or a changed call: update_call with the new variables, and in multipart
   * mode the upload. With neither configured there is nothing a CRM can be told.
   */
  async updateLoggedCalls(updates: CallUpdate[]): Promise<void> {
    for (const { ref, call } of updates) {
      const update = this.config.update_call;
      if (update) await this.send('update_call', update.request, this.callVars(call, ref.entityId, ref.noteId));
      if (this.config.attach_recording.mode === 'multipart' && call.link) await this.upload(call, ref.entityId, ref.noteId);
    }
  }

  async addTasks(tasks: NewTask[]): Promise<TaskRef[]> {
    const create = this.config.create_task;
    if (!create) throw notConfigured('create_task');
    const out: TaskRef[] = [];
    for (const t of tasks) {
      const answer = await this.send('create_task', create.request, {
        text: t.text,
        due_at: t.dueAt.toISOString(),
        entity_id: t.entity.entityId,
        entity_type: t.entity.entityType,
        user_id: t.userId,
      });
      out.push({ id: required(selectId(create.id, answer.data), 'create_task.id', answer), text: t.text, dueAt: t.dueAt });
    }
    return out;
  }

  /** Without list_tasks nothing can be found: a task whose answer was lost is created again. */
  async findTasks(entity: NewTask['entity'], since: Date): Promise<TaskRef[]> {
    const list = this.config.list_tasks;
    if (!list) return [];
    const answer = await this.send('list_tasks', list.request, { entity_id: entity.entityId, entity_type: entity.entityType, since: since.toISOString() });
    const found = select(list.items, answer.data);
    return (Array.isArray(found) ? found : []).flatMap((item) => {
      const id = selectId(list.id, item);
      const text = selectString(list.text, item);
      if (id === null || text === null) return [];
      return [{ id, text, dueAt: toDate(list.due_at ? select(list.due_at, item) : null) ?? since }];
    });
  }

  /** The recording's bytes as a multipart form (a second upload answered 409 counts as done). */
  private async upload(call: CallToLog, contactId: string | number, callId: string | number) {
    const attach = this.config.attach_recording;
    if (attach.mode !== 'multipart' || !call.link) return;
    const bytes = await this.recordingBytes(call.link);
    const rendered = renderRequest(this.config.base_url, attach.request, this.context('attach_recording', this.callVars(call, contactId, callId)));
    const form = new FormData();
    form.append(attach.field, new Blob([bytes], { type: 'audio/mpeg' }), `${call.uniq}.mp3`);
    await this.options.transport.request({ method: rendered.method, url: rendered.url, headers: rendered.headers, body: form, accept: [409] });
  }

  private async recordingBytes(link: string): Promise<ArrayBuffer> {
    let response: Response;
    try {
      response = await this.options.fetchRecording(link);
    } catch (error) {
      throw new CrmError({ kind: 'unavailable', sent: false, status: null, detail: `the recording could not be read: ${(error as Error).message}` });
    }
    if (!response.ok)
      throw new CrmError({ kind: 'unavailable', sent: false, status: null, detail: `the recording could not be read: HTTP ${response.status}` });
    return response.arrayBuffer();
  }

  private send(
    name: RequestName,
    template: RequestTemplate,
    vars: Record<string, unknown>,
    query?: Record<string, string>,
    live?: LiveRequest,
  ): Promise<CrmAnswer> {
    const rendered = renderRequest(this.config.base_url, template, this.context(name, vars), query);
    return this.options.transport.request({
      method: rendered.method,
      url: rendered.url,
      headers: rendered.headers,
      ...(rendered.body !== undefined ? { body: rendered.body } : {}),
      ...(live ? { priority: 'live' as const, deadline: live.deadline } : {}),
    });
  }

  private context(name: RequestName, vars: Record<string, unknown>): RenderContext {
    return { vars, variables: REQUEST_VARIABLES[name], timeZone: this.options.timeZone };
  }

  /** The call's template variables, with what the CRM request adds. Times are ISO 8601 text. */
  private callVars(call: CallToLog, contactId: string | number | null, crmCallId: string | number | null): Record<string, unknown> {
    const base = call.variables;
    const totalSeconds = base?.total_duration ?? call.durationSeconds;
    return {
      phone: call.phone,
      phone_raw: base?.phone_raw ?? call.phone,
      extension: call.extension ?? '',
      direction: call.direction,
      outcome: call.outcome,
      started_at: call.startedAt.toISOString(),
      duration: call.durationSeconds,
      total_duration: totalSeconds,
      uniq: call.uniq,
      call_id: base?.call_id ?? call.uniq,
      user_id: call.userId,
      department: base?.department ?? '',
      recording_url: call.link,
      contact_id: contactId,
      duration_ms: call.durationSeconds * 1000,
      ended_at: new Date(call.startedAt.getTime() + totalSeconds * 1000).toISOString(),
      crm_call_id: crmCallId,
    };
  }
}

type Lookup = NonNullable<GenericCrmConfig['lookup']>;

/** The CallerCard a lookup answer describes; null when it names neither a contact nor a company. */
function callerCard(lookup: Lookup, data: unknown): CallerCard | null {
  const id = (selector: string | undefined) => (selector ? selectId(selector, data) : null);
  const contactId = id(lookup.contact_id);
  const companyId = id(lookup.company_id);
  if (contactId === null && companyId === null) return null;
  const dealId = id(lookup.deal_id);
  return {
    contact: contactId === null ? null : { id: contactId, name: selectString(lookup.contact_name, data) ?? '' },
    company: companyId === null ? null : { id: companyId, name: selectString(lookup.company_name, data) ?? '' },
    responsibleUserId: id(lookup.responsible_user_id),
    deal: dealId === null ? null : { id: dealId, name: selectString(lookup.deal_name, data) ?? '', statusId: id(lookup.deal_status) },
    url: selectString(lookup.url, data),
  };
}

/** The ringing request's variables: the pop, and for `users` the ones this request is for. */
function ringVars(pop: ScreenPop, users: (number | string)[]): Record<string, unknown> {
  const first = users[0] ?? null;
  const caller = pop.caller;
  return {
    phone: pop.phone,
    uniq: pop.uniq,
    direction: pop.direction,
    started_at: pop.startedAt.toISOString(),
    line: pop.line,
    users,
    user_id: first,
    extension: first === null ? null : (pop.extensions[String(first)] ?? null),
    caller_name: caller?.contact?.name || caller?.company?.name || null,
    contact_id: caller?.contact?.id ?? null,
    company_id: caller?.company?.id ?? null,
    deal_id: caller?.deal?.id ?? null,
    responsible_user_id: caller?.responsibleUserId ?? null,
    url: caller?.url ?? null,
  };
}

type ListPagination = NonNullable<GenericCrmConfig['list_calls']>['pagination'];

/** Query parameters and template variables for the page at `position`. */
function pageQuery(pagination: ListPagination, position: ListPosition) {
  const query: Record<string, string> = {};
  const vars: Record<string, unknown> = { page: null, offset: null, cursor: null, size: null };
  if (pagination.type === 'cursor') {
    const cursor = cursorOf(position);
    if (cursor !== null) query[pagination.param] = cursor;
    vars.cursor = cursor;
    return { query, vars };
  }
  query[pagination.param] = String(position.page);
  if (pagination.size_param) query[pagination.size_param] = String(pagination.size);
  vars[pagination.type] = position.page;
  vars.size = pagination.size;
  return { query, vars };
}

/**
 * Where the listing goes after a page of `count` items: a page or offset listing stops at an
 * empty or short page (the CRM must honour `size`), a cursor listing when no cursor comes back.
 */
function nextPosition(pagination: ListPagination, position: ListPosition, count: number, data: unknown): ListPosition | null {
  if (count === 0) return null;
  if (pagination.type === 'cursor') {
    const next = select(pagination.next, data);
    const cursor = typeof next === 'number' ? String(next) : typeof next === 'string' && next !== '' ? next : null;
    return cursor === null ? null : { entityType: `calls@${cursor}`, page: position.page + 1 };
  }
  if (count < pagination.size) return null;
  return { entityType: 'calls', page: position.page + (pagination.type === 'page' ? 1 : count) };
}

/** A cursor listing keeps its cursor in the position's entity type ("calls@<cursor>"). */
function cursorOf(position: ListPosition): string | null {
  const at = position.entityType.indexOf('@');
  return at < 0 ? null : position.entityType.slice(at + 1);
}

function toDate(value: unknown): Date | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value < 1e12 ? value * 1000 : value);
  if (typeof value === 'string' && value !== '') {
    const numeric = Number(value);
    if (Number.isFinite(numeric)) return toDate(numeric);
    const at = Date.parse(value);
    return Number.isNaN(at) ? null : new Date(at);
  }
  return null;
}

/** A 2xx without the id we need: something was written, we cannot say what. */
function required(id: string | number | null, selector: string, answer: CrmAnswer): string | number {
  if (id !== null) return id;
  throw new CrmError({ kind: 'unavailable', sent: true, status: answer.status, detail: `the answer has no id at crm.generic.${selector}` });
}

function notConfigured(name: string): CrmError {
  return new CrmError({ kind: 'rejected', status: 0, detail: `crm.generic.${name} is not configured` });
}

function asCrmError(error: unknown): CrmError {
  if (error instanceof CrmError) return error;
  throw error;
}
