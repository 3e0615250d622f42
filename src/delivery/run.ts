/**
 * One round of delivery for a set of claimed rows. Each row moves through its steps — look up
 * (after a lost answer), create contact, log, unsorted, task, update — and every CRM request is
 * bracketed by the database: intent written before, results written right after. A crash at
 * any point leaves rows whose next worker knows exactly what may have happened.
 * @module
 */
import type { Db } from '../db/client';
import type { DeliveryStep } from '../domain/delivery';
import { CrmError, type CallToLog, type CrmPort, type LoggedCall } from '../crm/port';
import { describeError, type Logger } from '../lib/log';
import { inSpanOfCalls } from '../lib/trace';
import { advance, afterFailure, deferred, delivered, failed, retryLater, skipped } from './outcomes';
import { callbackTask, fieldMapping, toCallToLog, unknownCallerPolicy, wantsCallbackTask } from './payload';
import { backoffMs, decide, MAX_ATTEMPTS } from '../crm/retry-policy';
import { markIntent, writeResults, type AttemptRecord, type ClaimedDelivery, type DeliveryUpdate } from './store';
import type { DeliveryConfig } from './deps';

export interface RunDeps {
  db: Db;
  crm: CrmPort;
  config: DeliveryConfig;
  log: Logger;
  now: () => Date;
  owner: string;
  random: () => number;
  /** Calls per log request (shrinks after a 504). */
  batchSize: { value: number };
  concurrency: number;
}

export type StopReason = 'blocked' | 'unauthorized' | 'rate_limited';

export interface RunTotals {
  delivered: number;
  skipped: number;
  failed: number;
  retried: number;
}

const STEP_ORDER: DeliveryStep[] = ['contact', 'log', 'unsorted', 'task', 'update'];
/** amoCRM takes up to 250 entities per write; a contact is small, so 100 go in one request. */
const CONTACTS_PER_REQUEST = 100;

export class DeliveryRun {
  stop: { reason: StopReason; detail: string } | null = null;
  readonly totals: RunTotals = { delivered: 0, skipped: 0, failed: 0, retried: 0 };
  private readonly queues = new Map<DeliveryStep, ClaimedDelivery[]>();

  constructor(private readonly deps: RunDeps) {}

  async process(rows: ClaimedDelivery[]): Promise<void> {
    const unknown = rows.filter((r) => r.outcomeUnknown);
    for (const r of rows) if (!r.outcomeUnknown) this.enqueue(r);
    if (unknown.length) await this.resolveUnknown(unknown);
    for (let round = 0; round < 3 && !this.stop; round++) {
      let worked = false;
      for (const step of STEP_ORDER) {
        const queue = this.queues.get(step) ?? [];
        if (!queue.length || this.stop) continue;
        this.queues.set(step, []);
        worked = true;
        await this.runStep(step, queue);
      }
      if (!worked) break;
    }
  }

  /** Rows this run claimed but never got to (it stopped). */
  leftovers(): ClaimedDelivery[] {
    return [...this.queues.values()].flat();
  }

  private enqueue(row: ClaimedDelivery) {
    const list = this.queues.get(row.step) ?? [];
    list.push(row);
    this.queues.set(row.step, list);
  }

  private async runStep(step: DeliveryStep, rows: ClaimedDelivery[]) {
    const size = step === 'log' ? this.deps.batchSize.value : step === 'contact' ? CONTACTS_PER_REQUEST : Math.min(this.deps.crm.maxBatch, 50);
    // Calls from one unknown number share one new contact, so they travel in the same request.
    const groups = step === 'contact' ? [...groupBy(rows, (r) => this.phone(r)).values()] : rows.map((r) => [r]);
    const chunks: ClaimedDelivery[][] = [];
    for (const group of groups) {
      const last = chunks.at(-1);
      if (last && last.length + group.length <= size) last.push(...group);
      else chunks.push([...group]);
    }
    let next = 0;
    const worker = async () => {
      while (next < chunks.length && !this.stop) {
        const chunk = chunks[next++] as ClaimedDelivery[];
        await this.request(step, chunk);
      }
      // The run stopped: what was not sent goes back to the queue untouched.
      if (this.stop) while (next < chunks.length) for (const r of chunks[next++] as ClaimedDelivery[]) this.enqueue(r);
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.concurrency, chunks.length) }, worker));
  }

  /** One CRM request for a chunk of rows of one step, in a span of the calls' traces (their webhooks started them). */
  private request(step: DeliveryStep, rows: ClaimedDelivery[]) {
    const attributes = { 'calltrail.delivery.step': step, 'calltrail.calls': rows.length };
    return inSpanOfCalls(
      `delivery ${step}`,
      rows.map((r) => r.traceParent),
      attributes,
      () => this.send(step, rows),
    );
  }

  /** The request, bracketed by intent and results. */
  private async send(step: DeliveryStep, rows: ClaimedDelivery[]) {
    const { db, owner } = this.deps;
    const now = this.deps.now();
    await markIntent(
      db,
      owner,
      rows.map((r) => r.deliveryId),
      step,
      now,
    );
    for (const r of rows) r.attempts++;
    const updates: DeliveryUpdate[] = [];
    const attempts: AttemptRecord[] = [];
    try {
      if (step === 'log') await this.log(rows, updates, attempts);
      else if (step === 'contact') await this.createContacts(rows, updates, attempts);
      else if (step === 'unsorted') await this.fileUnsorted(rows, updates, attempts);
      else if (step === 'task') await this.addTasks(rows, updates, attempts);
      else await this.updateNotes(rows, updates, attempts);
    } catch (error) {
      if (!(error instanceof CrmError)) throw error;
      for (const r of rows) this.failure(r, step, error, updates, attempts);
    }
    await this.write(updates, attempts);
  }

  private async log(rows: ClaimedDelivery[], updates: DeliveryUpdate[], attempts: AttemptRecord[]) {
    const now = this.deps.now();
    // A contact created for the call goes with it: a CRM whose search lags behind its writes
    // (HubSpot) would not find it yet.
    const results = await this.deps.crm.logCalls(
      rows.map((r) => ({ ...toCallToLog(r, this.deps.config), ...(r.refs.contact_id !== undefined ? { contactId: r.refs.contact_id } : {}) })),
    );
    let tooLarge = false;
    rows.forEach((row, i) => {
      const result = results[i];
      if (!result) return;
      if (result.status === 'logged') {
        attempts.push(attempt(row, 'log', 'ok', 200, null));
        const refs = { note_id: result.ref.noteId, entity_id: result.ref.entityId, entity_type: result.ref.entityType };
        this.afterLogged(row, refs, row.revision, updates, now);
      } else if (result.status === 'unknown_number') {
        attempts.push(attempt(row, 'log', 'error', 400, 'no contact or company has this number'));
        this.unknownCaller(row, updates, now);
      } else if (result.status === 'rejected') {
        attempts.push(attempt(row, 'log', 'error', 400, result.reason));
        this.count(updates, failed(row, `the CRM refused the call: ${result.reason}`));
      } else {
        if (result.error.failure.kind === 'too_large') tooLarge = true;
        this.failure(row, 'log', result.error, updates, attempts);
      }
    });
    if (tooLarge) this.deps.batchSize.value = Math.max(1, Math.floor(this.deps.batchSize.value / 2));
  }

  /** A logged call goes on to its call-back task, or is done. */
  private afterLogged(row: ClaimedDelivery, refs: ClaimedDelivery['refs'], revision: number | null, updates: DeliveryUpdate[], now: Date) {
    if (wantsCallbackTask(row, this.deps.config) && row.refs.task_id === undefined) {
      updates.push(advance(row, 'task', now, refs, revision));
      this.enqueue(row);
    } else {
      this.count(updates, delivered(row, now, refs, revision));
    }
  }

  private unknownCaller(row: ClaimedDelivery, updates: DeliveryUpdate[], now: Date) {
    const direction = row.direction === 'outbound' ? 'outbound' : 'inbound';
    const policy = unknownCallerPolicy(row, this.deps.config);
    if (row.refs.contact_id !== undefined) {
      // We created the contact already; amoCRM must find the number soon. Never a second contact.
      const reason = `the CRM does not match the number of contact ${row.refs.contact_id}, created for this call`;
      this.count(
        updates,
        row.attempts >= MAX_ATTEMPTS
          ? failed(row, reason)
          : retryLater(row, new Date(now.getTime() + backoffMs(row.attempts, this.deps.random())), reason, false),
      );
    } else if (policy === 'skip') {
      this.count(updates, skipped(row, `unknown caller: no CRM contact has this number (${direction} policy: skip)`));
    } else {
      // Not in this run: unknown callers from several claims gather into full contact requests
      // (the next claim picks them up at once when nothing older is waiting).
      updates.push(deferred(row, policy === 'contact' ? 'contact' : 'unsorted', now));
    }
  }

  /** One contact per distinct number, shared by every call from it. */
  private async createContacts(rows: ClaimedDelivery[], updates: DeliveryUpdate[], attempts: AttemptRecord[]) {
    const now = this.deps.now();
    const byPhone = groupBy(rows, (r) => this.phone(r));
    const firsts = [...byPhone.values()].map((group) => this.withMapping(group[0] as ClaimedDelivery));
    const created = await this.deps.crm.createContacts(
      firsts.map((c) => ({
        requestId: c.requestId,
        name: c.contactName,
        phone: c.phone,
        userId: c.userId,
        fields: c.mapping?.contact.fields,
        tags: c.mapping?.contact.tags,
      })),
    );
    firsts.forEach((first, i) => {
      const contact = created[i];
      if (!contact) return;
      for (const row of byPhone.get(first.phone) ?? []) {
        attempts.push(attempt(row, 'contact', 'ok', 200, `contact ${contact.id} created`));
        updates.push(advance(row, 'log', now, { contact_id: contact.id }));
        this.enqueue(row);
      }
    });
  }

  /** The call as sent when the CRM creates a contact or lead for it: with crm.fields rendered. */
  private withMapping(row: ClaimedDelivery): CallToLog {
    return { ...toCallToLog(row, this.deps.config), mapping: fieldMapping(row, this.deps.config) };
  }

  private phone(row: ClaimedDelivery): string {
    return toCallToLog(row, this.deps.config).phone;
  }

  private async fileUnsorted(rows: ClaimedDelivery[], updates: DeliveryUpdate[], attempts: AttemptRecord[]) {
    const now = this.deps.now();
    const results = await this.deps.crm.createUnknownCallerLeads(rows.map((r) => this.withMapping(r)));
    rows.forEach((row, i) => {
      const result = results[i];
      if (!result) return;
      if (result.status === 'rejected') {
        attempts.push(attempt(row, 'unsorted', 'error', 400, result.reason));
        this.count(updates, failed(row, `the CRM refused the unknown-caller lead: ${result.reason}`));
        return;
      }
      const refs = result.status === 'created' ? { unsorted_uid: result.uid } : {};
      attempts.push(attempt(row, 'unsorted', 'ok', 200, result.status === 'duplicate' ? 'already in Unsorted (an earlier answer was lost)' : null));
      this.count(updates, delivered(row, now, refs, row.revision));
    });
  }

  private async addTasks(rows: ClaimedDelivery[], updates: DeliveryUpdate[], attempts: AttemptRecord[]) {
    const now = this.deps.now();
    const ready = rows.filter((r) => r.refs.entity_id !== undefined && r.refs.entity_type !== undefined);
    for (const r of rows) if (!ready.includes(r)) this.count(updates, delivered(r, now, {}, null));
    const tasks = ready.map((r) =>
      callbackTask(
        r,
        { noteId: r.refs.note_id ?? '', entityId: r.refs.entity_id as string | number, entityType: r.refs.entity_type as string },
        this.deps.config,
        now,
      ),
    );
    const created = await this.deps.crm.addTasks(tasks);
    ready.forEach((row, i) => {
      const task = created[i];
      attempts.push(attempt(row, 'task', 'ok', 200, null));
      this.count(updates, delivered(row, now, task ? { task_id: task.id } : {}, null));
    });
  }

  private async updateNotes(rows: ClaimedDelivery[], updates: DeliveryUpdate[], attempts: AttemptRecord[]) {
    const now = this.deps.now();
    const ready = rows.filter((r) => r.refs.note_id !== undefined && r.refs.entity_type !== undefined);
    for (const r of rows) if (!ready.includes(r)) this.count(updates, delivered(r, now, {}, r.revision));
    await this.deps.crm.updateLoggedCalls(
      ready.map((r) => ({
        ref: { noteId: r.refs.note_id as string | number, entityId: r.refs.entity_id ?? 0, entityType: r.refs.entity_type as string },
        call: toCallToLog(r, this.deps.config),
      })),
    );
    for (const row of ready) {
      attempts.push(attempt(row, 'update', 'ok', 200, 'note brought up to date'));
      this.count(updates, delivered(row, now, {}, row.revision));
    }
  }

  /**
   * Rows whose last request may or may not have reached the CRM: find out before resending.
   * Logged calls are looked up by uniq among the call notes written since the attempt; created
   * contacts by number; tasks on the call's card. Unsorted leads and note updates need no look-up:
   * amoCRM refuses a second unsorted lead with the same uniq, and an update is idempotent.
   */
  private async resolveUnknown(rows: ClaimedDelivery[]) {
    const updates: DeliveryUpdate[] = [];
    const attempts: AttemptRecord[] = [];
    const now = this.deps.now();
    const byStep = (s: DeliveryStep) => rows.filter((r) => r.step === s);
    const resend = (r: ClaimedDelivery) => {
      r.outcomeUnknown = false;
      this.enqueue(r);
    };
    try {
      const logs = byStep('log');
      if (logs.length) {
        const found = await this.findLogged(logs, now);
        for (const row of logs) {
          const hit = found.get(row.uniq);
          if (!hit) {
            attempts.push(attempt(row, 'log', 'error', null, 'not in the CRM after an unanswered attempt: sending again'));
            resend(row);
            continue;
          }
          attempts.push(attempt(row, 'log', 'ok', null, `found note ${hit.noteId} after an unanswered attempt`));
          const call = toCallToLog(row, this.deps.config);
          const current = hit.link === call.link && hit.durationSeconds === call.durationSeconds;
          row.outcomeUnknown = false;
          const refs = { note_id: hit.noteId, entity_id: hit.entityId, entity_type: hit.entityType };
          this.afterLogged(row, refs, current ? row.revision : 0, updates, now);
        }
      }
      for (const row of byStep('contact')) {
        const [contact] = await this.deps.crm.findContacts(toCallToLog(row, this.deps.config).phone);
        if (contact) {
          attempts.push(attempt(row, 'contact', 'ok', null, `contact ${contact.id} found after an unanswered attempt`));
          updates.push(advance(row, 'log', now, { contact_id: contact.id }));
          this.enqueue(row);
        } else resend(row);
      }
      for (const row of byStep('task')) {
        const since = new Date((row.lastAttemptAt ?? now).getTime() - 10 * 60_000);
        const entity = { entityId: row.refs.entity_id ?? 0, entityType: row.refs.entity_type ?? 'contacts' };
        const text = callbackTask(row, { noteId: 0, ...entity }, this.deps.config, now).text;
        const existing = (await this.deps.crm.findTasks(entity, since)).find((t) => t.text === text);
        if (existing) this.count(updates, delivered(row, now, { task_id: existing.id }, null));
        else resend(row);
      }
      for (const row of [...byStep('unsorted'), ...byStep('update')]) resend(row);
    } catch (error) {
      if (!(error instanceof CrmError)) throw error;
      const pending = rows.filter((r) => r.outcomeUnknown);
      for (const r of pending) this.failure(r, r.step, error, updates, attempts, false);
    }
    await this.write(updates, attempts);
  }

  /** uniq → its note, among call notes written or changed since the oldest unanswered attempt. */
  private async findLogged(rows: ClaimedDelivery[], now: Date): Promise<Map<string, LoggedCall>> {
    const wanted = new Set(rows.map((r) => r.uniq));
    const oldest = Math.min(...rows.map((r) => (r.lastAttemptAt ?? now).getTime()));
    const window = { from: new Date(oldest - 5 * 60_000), to: new Date(now.getTime() + 60_000) };
    const found = new Map<string, LoggedCall>();
    for await (const page of this.deps.crm.listLoggedCalls(window)) {
      for (const call of page.calls) {
        if (!wanted.has(call.uniq)) continue;
        if (found.has(call.uniq)) this.deps.log.warn('a call is on the CRM twice', { uniq: call.uniq });
        else found.set(call.uniq, call);
      }
      if (found.size === wanted.size) break;
    }
    return found;
  }

  private failure(row: ClaimedDelivery, step: DeliveryStep, error: CrmError, updates: DeliveryUpdate[], attempts: AttemptRecord[], intent = true) {
    const decision = decide(error.failure, { attempts: row.attempts, consecutive429s: 1, triesThisRun: 3, random: this.deps.random() });
    const now = this.deps.now();
    attempts.push(attempt(row, step, error.outcomeUnknown ? 'unknown' : 'error', error.status, describeError(error)));
    if (decision.action === 'open_circuit' && !this.stop) this.stop = { reason: decision.status, detail: decision.reason };
    if (error.failure.kind === 'rate_limited' && !this.stop) this.stop = { reason: 'rate_limited', detail: 'the CRM kept answering 429' };
    const update = afterFailure(row, decision, error, now);
    // A look-up that failed leaves the earlier uncertainty in place, and was no attempt to send.
    if (!intent) {
      update.outcomeUnknown = true;
      update.attempts = row.attempts;
    }
    this.count(updates, update);
  }

  private count(updates: DeliveryUpdate[], update: DeliveryUpdate) {
    updates.push(update);
    if (update.state === 'delivered') this.totals.delivered++;
    else if (update.state === 'skipped') this.totals.skipped++;
    else if (update.state === 'failed') this.totals.failed++;
    else if (!update.keepLease) this.totals.retried++;
  }

  private async write(updates: DeliveryUpdate[], attempts: AttemptRecord[]) {
    await writeResults(this.deps.db, this.deps.owner, updates, attempts, this.deps.now());
  }
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

function attempt(row: ClaimedDelivery, step: DeliveryStep, outcome: AttemptRecord['outcome'], httpStatus: number | null, detail: string | null): AttemptRecord {
  return { deliveryId: row.deliveryId, step, outcome, httpStatus, detail: detail === null ? null : describeError(detail).slice(0, 500) };
}
