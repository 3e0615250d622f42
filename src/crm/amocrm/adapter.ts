/**
 * The amoCRM (Kommo) adapter of the CRM port, over the v4 API.
 *
 * Calls are call notes written by POST /api/v4/calls: amoCRM finds the contact or company by
 * the last 10 digits of `phone` and files the note on its single active lead or customer, else
 * on the card itself. A number nobody has is not stored — amoCRM answers either per item (the
 * rest of the batch is written) or by refusing the whole batch with "Entity not found"; both
 * are handled: refused batches are resent without the unknown items, split in halves when the
 * answer does not say which ones they were (a 400 means nothing was written, so a resend is safe).
 * @module
 */
import type * as z from 'zod';
import {
  CrmError,
  type CallerCard,
  type CallToLog,
  type CallUpdate,
  type ContactRef,
  type CrmFieldValue,
  type CrmPort,
  type FieldMapping,
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
import type { AmoApi } from './api';
import { AmoCaller } from './caller';
import { last10, parseAnswer } from './read';
import { CallsAnswer, CallsRefusal, ContactsPage, CreatedContacts, CreatedTasks, type ItemError, NotesPage, TasksPage, UnsortedAnswer } from './schemas';

export interface AmoAdapterOptions {
  /** The `source` of call notes and the unsorted source name. */
  source: string;
  /** Unknown-caller leads: pipeline (null: the main one) and the service code shown in amoCRM. */
  unsorted: { pipelineId: number | null; serviceCode: string };
  /** Task type of call-back tasks (1: call). */
  taskTypeId: number;
  /** Calls per POST /api/v4/calls (amoCRM: at most 250, 50 recommended). */
  batchSize?: number;
}

export const NOTE_ENTITY_TYPES = ['contacts', 'leads', 'companies', 'customers'] as const;
const PAGE_LIMIT = 250;
const WRITE_CHUNK = 50;
/** amoCRM takes up to 250 entities per write; contacts are small. */
const CONTACT_CHUNK = 100;

export class AmoCrmAdapter implements CrmPort {
  readonly kind = 'amocrm';
  readonly maxBatch: number;
  private readonly caller: AmoCaller;

  constructor(
    private readonly http: AmoApi,
    private readonly options: AmoAdapterOptions,
  ) {
    this.maxBatch = Math.min(options.batchSize ?? 50, 250);
    this.caller = new AmoCaller(http);
  }

  /** Contact (else company) with this number, its responsible user, company and newest open deal (caller.ts). */
  findCaller(phone: string, live: LiveRequest): Promise<CallerCard | null> {
    return this.caller.findCaller(phone, live);
  }

  /** amoCRM's incoming-call pop-up, POST /api/v2/events; amoCRM takes it down by itself (no popDown). */
  popUp(pop: ScreenPop, live: LiveRequest): Promise<PopResult> {
    return this.caller.popUp(pop, live);
  }

  async logCalls(calls: CallToLog[]): Promise<LogResult[]> {
    const results = new Map<string, LogResult>();
    await this.sendCalls(calls, results);
    return calls.map(
      (c) =>
        results.get(c.requestId) ?? {
          status: 'failed',
          error: new CrmError({ kind: 'unavailable', sent: true, status: null, detail: 'amoCRM did not account for this call in its answer' }),
        },
    );
  }

  private async sendCalls(items: CallToLog[], results: Map<string, LogResult>): Promise<void> {
    if (items.length === 0) return;
    let response;
    try {
      response = await this.http.request({ method: 'POST', path: '/api/v4/calls', body: items.map((c) => this.toAmoCall(c)), accept: [400] });
    } catch (error) {
      if (!(error instanceof CrmError)) throw error;
      for (const c of items) results.set(c.requestId, { status: 'failed', error });
      return;
    }
    if (response.status === 400) return this.refusedCalls(items, response.data, results);

    const parsed = CallsAnswer.safeParse(response.data);
    if (!parsed.success) {
      const error = new CrmError({ kind: 'unavailable', sent: true, status: response.status, detail: 'unexpected /calls answer' });
      for (const c of items) results.set(c.requestId, { status: 'failed', error });
      return;
    }
    const logged = parsed.data._embedded?.calls ?? [];
    const withoutIds = logged.length > 0 && logged.every((l) => l.request_id === undefined);
    if (withoutIds && logged.length !== items.length) {
      // Written, but we cannot tell which: the next attempt looks each one up by uniq.
      const error = new CrmError({ kind: 'unavailable', sent: true, status: response.status, detail: 'answer without request ids for part of the batch' });
      for (const c of items) results.set(c.requestId, { status: 'failed', error });
      return;
    }
    const byOrder = withoutIds;
    logged.forEach((l, i) => {
      const requestId = byOrder ? items[i]?.requestId : l.request_id;
      if (requestId) {
        results.set(requestId, {
          status: 'logged',
          ref: { noteId: l.id, entityId: l.entity_id, entityType: pluralEntity(l.entity_type) },
        });
      }
    });
    for (const e of [...(parsed.data.errors ?? []), ...(parsed.data._embedded?.errors ?? [])]) {
      if (e.request_id && !results.has(e.request_id)) results.set(e.request_id, itemFailure(e));
    }
    // Partial success lists only what was written; amoCRM skips a call only for want of a card.
    for (const c of items) if (!results.has(c.requestId)) results.set(c.requestId, { status: 'unknown_number' });
  }

  /** A 400 from /calls: nothing was written. Settle what the answer names, resend the rest. */
  private async refusedCalls(items: CallToLog[], body: unknown, results: Map<string, LogResult>) {
    const refusal = CallsRefusal.safeParse(body ?? {});
    const named = new Set<string>();
    if (refusal.success) {
      for (const v of refusal.data['validation-errors'] ?? []) {
        const item = v.request_id === undefined ? undefined : (items.find((c) => c.requestId === v.request_id) ?? items[Number(v.request_id)]);
        if (!item) continue;
        const reason = v.errors.map((e) => `${e.path ?? '?'}: ${e.detail ?? e.code ?? 'invalid'}`).join('; ') || 'invalid';
        results.set(item.requestId, { status: 'rejected', reason });
        named.add(item.requestId);
      }
      for (const e of refusal.data.errors ?? []) {
        if (e.request_id !== undefined && items.some((c) => c.requestId === e.request_id)) {
          results.set(e.request_id, itemFailure(e));
          named.add(e.request_id);
        }
      }
    }
    const rest = items.filter((c) => !named.has(c.requestId));
    if (named.size > 0) return this.sendCalls(rest, results);
    const notFound = refusal.success && (refusal.data.errors ?? []).some(isEntityNotFound);
    if (rest.length === 1 && rest[0]) {
      results.set(rest[0].requestId, notFound ? { status: 'unknown_number' } : { status: 'rejected', reason: describeRefusal(refusal) });
      return;
    }
    // A refusal that names no item: halve until each unknown number stands alone.
    const half = Math.ceil(rest.length / 2);
    await this.sendCalls(rest.slice(0, half), results);
    await this.sendCalls(rest.slice(half), results);
  }

  private toAmoCall(c: CallToLog) {
    return {
      direction: c.direction,
      uniq: c.uniq,
      duration: c.durationSeconds,
      source: this.options.source,
      phone: c.phone,
      ...(c.link ? { link: c.link } : {}),
      ...(c.status !== null ? { call_status: c.status } : {}),
      ...(c.resultText ? { call_result: c.resultText } : {}),
      ...(c.userId !== null ? { responsible_user_id: c.userId, created_by: c.userId } : {}),
      created_at: Math.floor(c.startedAt.getTime() / 1000),
      request_id: c.requestId,
    };
  }

  private noteParams(c: CallToLog) {
    const { direction, uniq, duration, source, phone, link, call_status, call_result } = this.toAmoCall(c);
    void direction;
    return { uniq, duration, source, phone, link: link ?? null, call_status, call_result };
  }

  async findContacts(phone: string): Promise<ContactRef[]> {
    const key = last10(phone);
    if (key.length < 5) return [];
    const query = new URLSearchParams({ query: key, limit: '50' });
    const { data } = await this.http.request({ method: 'GET', path: '/api/v4/contacts', query });
    if (data === null) return [];
    const page = parseAnswer(ContactsPage, data, 'contacts list');
    return page._embedded.contacts
      .map((c) => ({
        id: c.id,
        name: c.name ?? '',
        phones: (c.custom_fields_values ?? []).filter((f) => f.field_code === 'PHONE').flatMap((f) => f.values.map((v) => v.value)),
      }))
      .filter((c) => c.phones.some((p) => last10(p) === key));
  }

  async createContacts(contacts: NewContact[]): Promise<ContactRef[]> {
    const out: ContactRef[] = [];
    for (const chunk of chunks(contacts, CONTACT_CHUNK)) {
      const { data } = await this.http.request({
        method: 'POST',
        path: '/api/v4/contacts',
        body: chunk.map((c) => ({
          name: c.name,
          ...(c.userId !== null ? { responsible_user_id: c.userId, created_by: c.userId } : {}),
          custom_fields_values: [phoneField(c.phone), ...customFields(c.fields ?? [])],
          ...tagsOf(c.tags ?? []),
          request_id: c.requestId,
        })),
      });
      const created = parseAnswer(CreatedContacts, data, 'created contacts')._embedded.contacts;
      chunk.forEach((c, i) => {
        const hit = matchAnswer(created, c.requestId, i, chunk.length);
        if (!hit) throw new CrmError({ kind: 'unavailable', sent: true, status: 200, detail: 'a created contact is missing from the answer' });
        out.push({ id: hit.id, name: c.name, phones: [c.phone] });
      });
    }
    return out;
  }

  async createUnknownCallerLeads(calls: CallToLog[]): Promise<UnsortedResult[]> {
    const results = new Map<string, UnsortedResult>();
    for (const chunk of chunks(calls, WRITE_CHUNK)) await this.sendUnsorted(chunk, results);
    return calls.map((c) => results.get(c.requestId) ?? { status: 'rejected', reason: 'missing from amoCRM answer' });
  }

  private async sendUnsorted(items: CallToLog[], results: Map<string, UnsortedResult>): Promise<void> {
    if (items.length === 0) return;
    const { unsorted } = this.options;
    const body = items.map((c) => {
      // amoCRM's example puts the client's number in `phone` and the PBX side in `from`.
      const ours = c.extension ? `${this.options.source} ${c.extension}` : this.options.source;
      const { contact, lead } = c.mapping ?? NO_MAPPING;
      const pipelineId = unsorted.pipelineId ?? lead.pipelineId;
      return {
        source_uid: c.uniq,
        source_name: this.options.source,
        ...(pipelineId !== null ? { pipeline_id: pipelineId } : {}),
        created_at: Math.floor(c.startedAt.getTime() / 1000),
        request_id: c.requestId,
        metadata: {
          uniq: c.uniq,
          from: ours,
          phone: c.phone,
          called_at: Math.floor(c.startedAt.getTime() / 1000),
          duration: c.durationSeconds,
          ...(c.link ? { link: c.link } : {}),
          service_code: unsorted.serviceCode,
          is_call_event_needed: true,
        },
        _embedded: {
          leads: [
            {
              name: c.leadName,
              ...(lead.statusId !== null ? { status_id: lead.statusId } : {}),
              ...(lead.fields.length ? { custom_fields_values: customFields(lead.fields) } : {}),
              ...tagsOf(lead.tags),
            },
          ],
          contacts: [{ name: c.contactName, custom_fields_values: [phoneField(c.phone), ...customFields(contact.fields)], ...tagsOf(contact.tags) }],
        },
      };
    });
    const response = await this.http.request({ method: 'POST', path: '/api/v4/leads/unsorted/sip', body, accept: [400] });
    if (response.status === 400) {
      const refusal = CallsRefusal.safeParse(response.data ?? {});
      const named = new Set<string>();
      for (const v of (refusal.success && refusal.data['validation-errors']) || []) {
        const item = items.find((c) => c.requestId === v.request_id) ?? items[Number(v.request_id)];
        if (!item) continue;
        const duplicate = v.errors.some((e) => /duplicate|already/i.test(`${e.code ?? ''} ${e.detail ?? ''}`));
        const reason = v.errors.map((e) => `${e.path ?? '?'}: ${e.detail ?? e.code ?? 'invalid'}`).join('; ');
        results.set(item.requestId, duplicate ? { status: 'duplicate' } : { status: 'rejected', reason: reason || 'invalid' });
        named.add(item.requestId);
      }
      if (named.size === 0) {
        for (const c of items) results.set(c.requestId, { status: 'rejected', reason: describeRefusal(refusal) });
        return;
      }
      return this.sendUnsorted(
        items.filter((c) => !named.has(c.requestId)),
        results,
      );
    }
    const created = parseAnswer(UnsortedAnswer, response.data, 'unsorted answer')._embedded.unsorted;
    items.forEach((c, i) => {
      const hit = matchAnswer(created, c.requestId, i, items.length);
      if (!hit) return;
      results.set(c.requestId, {
        status: 'created',
        uid: hit.uid,
        leadId: hit._embedded?.leads?.[0]?.id ?? null,
        contactId: hit._embedded?.contacts?.[0]?.id ?? null,
      });
    });
  }

  async *listLoggedCalls(window: TimeWindow, from?: ListPosition): AsyncIterable<LoggedCallsPage> {
    const start = from ? Math.max(0, NOTE_ENTITY_TYPES.indexOf(from.entityType as (typeof NOTE_ENTITY_TYPES)[number])) : 0;
    for (const entityType of NOTE_ENTITY_TYPES.slice(start)) {
      const first = from && entityType === from.entityType ? Math.max(1, from.page) : 1;
      for (let page = first; ; page++) {
        const query = new URLSearchParams();
        query.append('filter[note_type][]', 'call_in');
        query.append('filter[note_type][]', 'call_out');
        query.set('filter[updated_at][from]', String(Math.floor(window.from.getTime() / 1000)));
        query.set('filter[updated_at][to]', String(Math.ceil(window.to.getTime() / 1000)));
        // By id: a note written or changed while the listing runs keeps its place (updated_at
        // order would move it to the end and shift the pages after it by one).
        query.set('order[id]', 'asc');
        query.set('limit', String(PAGE_LIMIT));
        query.set('page', String(page));
        const { data } = await this.http.request({ method: 'GET', path: `/api/v4/${entityType}/notes`, query });
        const following = NOTE_ENTITY_TYPES[NOTE_ENTITY_TYPES.indexOf(entityType) + 1];
        if (data === null) {
          // 204: no (more) notes of this type
          yield { calls: [], position: { entityType, page }, next: following ? { entityType: following, page: 1 } : null };
          break;
        }
        const notes = parseAnswer(NotesPage, data, `${entityType} notes`);
        const calls: LoggedCall[] = [];
        for (const n of notes._embedded.notes) {
          if (!n.params?.uniq) continue;
          const duration = n.params.duration === null || n.params.duration === undefined ? null : Number(n.params.duration);
          calls.push({
            noteId: n.id,
            entityId: n.entity_id,
            entityType,
            uniq: n.params.uniq,
            link: n.params.link ?? null,
            phone: n.params.phone ?? null,
            durationSeconds: Number.isFinite(duration) ? duration : null,
            updatedAt: new Date(n.updated_at * 1000),
          });
        }
        const more = !!notes._links?.next && notes._embedded.notes.length >= PAGE_LIMIT;
        const next = more ? { entityType, page: page + 1 } : following ? { entityType: following, page: 1 } : null;
        yield { calls, position: { entityType, page }, next };
        if (!more) break;
      }
    }
  }

  async updateLoggedCalls(updates: CallUpdate[]): Promise<void> {
    const byType = new Map<string, CallUpdate[]>();
    for (const u of updates) byType.set(u.ref.entityType, [...(byType.get(u.ref.entityType) ?? []), u]);
    for (const [entityType, list] of byType) {
      for (const chunk of chunks(list, WRITE_CHUNK)) {
        await this.http.request({
          method: 'PATCH',
          path: `/api/v4/${entityType}/notes`,
          body: chunk.map((u) => ({
            id: Number(u.ref.noteId),
            entity_id: Number(u.ref.entityId),
            note_type: u.call.direction === 'inbound' ? 'call_in' : 'call_out',
            params: this.noteParams(u.call),
          })),
        });
      }
    }
  }

  async addTasks(tasks: NewTask[]): Promise<TaskRef[]> {
    const out: TaskRef[] = [];
    for (const chunk of chunks(tasks, WRITE_CHUNK)) {
      const { data } = await this.http.request({
        method: 'POST',
        path: '/api/v4/tasks',
        body: chunk.map((t) => ({
          text: t.text,
          complete_till: Math.floor(t.dueAt.getTime() / 1000),
          entity_id: Number(t.entity.entityId),
          entity_type: t.entity.entityType,
          task_type_id: this.options.taskTypeId,
          ...(t.userId !== null ? { responsible_user_id: t.userId } : {}),
          request_id: t.requestId,
        })),
      });
      const created = parseAnswer(CreatedTasks, data, 'created tasks')._embedded.tasks;
      chunk.forEach((t, i) => {
        const hit = matchAnswer(created, t.requestId, i, chunk.length);
        // Results pair with the tasks by position: a gap would shift them onto the wrong calls.
        if (!hit) throw new CrmError({ kind: 'unavailable', sent: true, status: 200, detail: 'a created task is missing from the answer' });
        out.push({ id: hit.id, text: t.text, dueAt: t.dueAt });
      });
    }
    return out;
  }

  async findTasks(entity: NewTask['entity'], since: Date): Promise<TaskRef[]> {
    const query = new URLSearchParams();
    query.set('filter[entity_type]', entity.entityType);
    query.append('filter[entity_id][]', String(entity.entityId));
    query.set('filter[updated_at][from]', String(Math.floor(since.getTime() / 1000)));
    query.set('limit', '250');
    const { data } = await this.http.request({ method: 'GET', path: '/api/v4/tasks', query });
    if (data === null) return [];
    return parseAnswer(TasksPage, data, 'tasks list')._embedded.tasks.map((t) => ({ id: t.id, text: t.text, dueAt: new Date(t.complete_till * 1000) }));
  }
}

const NO_MAPPING: FieldMapping = {
  contact: { fields: [], tags: [] },
  lead: { fields: [], tags: [], pipelineId: null, statusId: null },
};

function phoneField(phone: string) {
  return { field_code: 'PHONE', values: [{ value: phone, enum_code: 'WORK' }] };
}

/** crm.fields values as amoCRM's custom_fields_values: one entry per field, its values in order. */
function customFields(values: CrmFieldValue[]) {
  const byField = new Map<number, { value: string; enum_code?: string }[]>();
  for (const v of values) byField.set(v.fieldId, [...(byField.get(v.fieldId) ?? []), { value: v.value, ...(v.enumCode ? { enum_code: v.enumCode } : {}) }]);
  return [...byField].map(([field_id, list]) => ({ field_id, values: list }));
}

/** Tags go in `_embedded.tags` by name (amoCRM creates a tag it does not know). */
function tagsOf(tags: string[]) {
  return tags.length ? { _embedded: { tags: tags.map((name) => ({ name })) } } : {};
}

/**
 * The answer's entry for one item of a request: by request_id; by position only when the answer
 * carries no request ids at all and has exactly one entry per item.
 */
function matchAnswer<T extends { request_id?: string | undefined }>(answer: T[], requestId: string, index: number, sent: number): T | undefined {
  const byId = answer.find((x) => x.request_id === requestId);
  if (byId) return byId;
  const positional = answer.length === sent && answer.every((x) => x.request_id === undefined);
  return positional ? answer[index] : undefined;
}

function itemFailure(e: z.infer<typeof ItemError>): LogResult {
  if (isEntityNotFound(e)) return { status: 'unknown_number' };
  return { status: 'rejected', reason: [e.title, e.detail].filter(Boolean).join(': ') || 'refused by amoCRM' };
}

function isEntityNotFound(e: z.infer<typeof ItemError>): boolean {
  return /entity not found/i.test(`${e.title ?? ''} ${e.detail ?? ''}`);
}

function describeRefusal(refusal: ReturnType<typeof CallsRefusal.safeParse>): string {
  if (!refusal.success) return 'refused by amoCRM (400)';
  const first = refusal.data.errors?.[0];
  return [refusal.data.title, refusal.data.detail, first?.title, first?.detail].filter(Boolean).join(': ') || 'refused by amoCRM (400)';
}

/** amoCRM answers "contact", notes paths want "contacts". */
export function pluralEntity(type: string): string {
  const map: Record<string, string> = { contact: 'contacts', lead: 'leads', company: 'companies', customer: 'customers' };
  return map[type] ?? type;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
