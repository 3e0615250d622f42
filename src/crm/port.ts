/**
 * The CRM port: what the delivery engine and the reconciler need from any CRM. amoCRM is the
 * first adapter (crm/amocrm); the generic REST adapter implements the same interface.
 *
 * Batch methods answer per item, in the order given. logCalls never throws for the CRM's
 * answers: a request that failed as a whole marks its items `failed` with the CrmError, since
 * one logCalls may take several requests (amoCRM's whole-batch refusals are split up). The other
 * methods throw the CrmError. Its `failure` says what happened and — crucially for exactly-once
 * — whether the CRM may have acted on it (`outcomeUnknown`).
 * @module
 */
import type { CallVariables } from '../config/template';
import type { Outcome } from '../domain/call';

export type CallDirection = 'inbound' | 'outbound';

/** One call as it goes to the CRM. */
export interface CallToLog {
  /** Our id for the item within a request (the delivery id); echoed back by the CRM. */
  requestId: string;
  /** Stable per conversation; the CRM keeps it, so a call can be found again. */
  uniq: string;
  direction: CallDirection;
  /** The outside party as the CRM should match it (E.164 when we could normalize it). */
  phone: string;
  startedAt: Date;
  /** Seconds of conversation (0 when nobody answered). */
  durationSeconds: number;
  outcome: Outcome;
  /** The extension that handled the call, for display. */
  extension: string | null;
  /** Recording URL, when there is one. */
  link: string | null;
  /** CRM status code and text for the outcome (amoCRM call_status / call_result). */
  status: number | null;
  resultText: string | null;
  /** CRM user responsible for the call and shown as its author. */
  userId: number | null;
  /** Names for a contact or unknown-caller lead created for this call (from the config's templates). */
  contactName: string;
  leadName: string;
  /** Fields and tags for a contact or lead created for this call (crm.fields, rendered for it). */
  mapping?: FieldMapping;
  /** The contact calltrail created for this call, if it did: adapters that log by contact use it as is. */
  contactId?: number | string;
  /** Everything the config's templates know about the call (the generic adapter's requests use them). */
  variables?: CallVariables;
  /** The CRM's own id of this call made when it rang (Bitrix24 CALL_ID): finish it, do not register another. */
  liveRef?: string;
}

/** A custom field value, rendered for one call. */
export interface CrmFieldValue {
  fieldId: number;
  value: string;
  /** For multitext fields (amoCRM enum_code: WORK, MOB, …). */
  enumCode?: string;
}

export interface FieldMapping {
  contact: { fields: CrmFieldValue[]; tags: string[] };
  lead: { fields: CrmFieldValue[]; tags: string[]; pipelineId: number | null; statusId: number | null };
}

/** Where the CRM put a call. */
export interface LoggedCallRef {
  /** The note (amoCRM) or activity id. */
  noteId: number | string;
  entityId: number | string;
  /** Plural entity collection: contacts, leads, companies, customers. */
  entityType: string;
}

export type LogResult =
  | { status: 'logged'; ref: LoggedCallRef }
  /** No contact or company has this number: nothing was written. */
  | { status: 'unknown_number' }
  /** The CRM refused this item for good (validation); nothing was written. */
  | { status: 'rejected'; reason: string }
  /** The request carrying this item failed as a whole; `error.outcomeUnknown` says if it may have been written. */
  | { status: 'failed'; error: CrmError };

export interface ContactRef {
  id: number | string;
  name: string;
  phones: string[];
}

export interface NewContact {
  requestId: string;
  name: string;
  phone: string;
  userId: number | null;
  /** Custom fields and tags besides the phone (crm.fields.contact, contact_tags). */
  fields?: CrmFieldValue[];
  tags?: string[];
}

export type UnsortedResult =
  | { status: 'created'; uid: string; leadId: number | string | null; contactId: number | string | null }
  /** The CRM already holds an unknown-caller lead with this uniq (a resend after a lost answer). */
  | { status: 'duplicate' }
  | { status: 'rejected'; reason: string };

export interface LoggedCall extends LoggedCallRef {
  uniq: string;
  /** The recording link on the CRM's record; undefined: the CRM's listing cannot tell. */
  link: string | null | undefined;
  durationSeconds: number | null;
  phone: string | null;
  updatedAt: Date;
}

/** Where a listing of logged calls stands: resume from here. */
export interface ListPosition {
  entityType: string;
  page: number;
}

export interface LoggedCallsPage {
  calls: LoggedCall[];
  /** This page's place; a listing resumed from it starts with this page. */
  position: ListPosition;
  /** Where the listing goes on after this page (null: this was the last page of all). */
  next: ListPosition | null;
}

export interface CallUpdate {
  ref: LoggedCallRef;
  call: CallToLog;
}

export interface NewTask {
  requestId: string;
  text: string;
  dueAt: Date;
  entity: Pick<LoggedCallRef, 'entityId' | 'entityType'>;
  userId: number | null;
}

export interface TaskRef {
  id: number | string;
  text: string;
  dueAt: Date;
}

export interface TimeWindow {
  from: Date;
  to: Date;
}

/** How a request of the live half is sent: first in the account's budget, and not at all once late. */
export interface LiveRequest {
  /** Epoch ms after which the answer is worth nothing (crm/limiter.ts LateForBudget when no slot comes before). */
  deadline: number;
}

/** Someone the CRM knows, as a card shows them. */
export interface CrmEntityRef {
  id: number | string;
  name: string;
}

/** The caller as the CRM knows them: what the PBX routes by and the screen pop shows. */
export interface CallerCard {
  /** The contact with this number; null when only a company has it. */
  contact: CrmEntityRef | null;
  /** The contact's company, or the company with this number. */
  company: CrmEntityRef | null;
  /** The CRM user responsible for the contact (else for the company). */
  responsibleUserId: number | string | null;
  /** The newest open deal (lead) of the contact or company. */
  deal: (CrmEntityRef & { statusId: number | string | null }) | null;
  /** Where a person opens the card in the CRM. */
  url: string | null;
}

/** A ringing call shown to CRM users (the screen pop). */
export interface ScreenPop {
  /** Ours, stable for the call (the conversation's uniq): the CRM may use it as its own id of the call. */
  uniq: string;
  direction: CallDirection;
  /** The outside party (E.164 when we could normalize it). */
  phone: string;
  /** The CRM users who should see it. */
  users: (number | string)[];
  /** The extension ringing for each user, where the CRM wants one (Bitrix24 USER_PHONE_INNER). */
  extensions: Record<string, string>;
  /** Our number the call came in on, when known. */
  line: string | null;
  startedAt: Date;
  /** What calltrail already knows of the caller (names for the pop; the CRM may show its own). */
  caller: CallerCard | null;
  /** The CRM's id of this call from an earlier pop (more extensions ring now): show that call, do not make another. */
  ref?: string | null;
}

/** The CRM's own id of the popped call when it made one (Bitrix24 CALL_ID): the delivery finishes that call. */
export interface PopResult {
  ref: string | null;
}

export interface CrmPort {
  readonly kind: string;
  /** Most calls one logCalls request may carry. */
  readonly maxBatch: number;
  logCalls(calls: CallToLog[]): Promise<LogResult[]>;
  findContacts(phone: string): Promise<ContactRef[]>;
  createContacts(contacts: NewContact[]): Promise<ContactRef[]>;
  createUnknownCallerLeads(calls: CallToLog[]): Promise<UnsortedResult[]>;
  /**
   * Every logged call whose note was written or changed in the window, page by page, each page
   * with its position so a long listing (a night's reconciliation) can stop and resume.
   */
  listLoggedCalls(window: TimeWindow, from?: ListPosition): AsyncIterable<LoggedCallsPage>;
  updateLoggedCalls(updates: CallUpdate[]): Promise<void>;
  addTasks(tasks: NewTask[]): Promise<TaskRef[]>;
  /** Call-back tasks already on an entity, to avoid a second one after a lost answer. */
  findTasks(entity: NewTask['entity'], since: Date): Promise<TaskRef[]>;
  /**
   * Who has this number: contact or company, its responsible user, its open deal, its URL; null
   * when nobody has it. Absent: this CRM cannot be asked (lookups then answer "unknown").
   */
  findCaller?(phone: string, live: LiveRequest): Promise<CallerCard | null>;
  /** Shows the ringing call to these users now (screen pop). Absent: this CRM has no pop-up. */
  popUp?(pop: ScreenPop, live: LiveRequest): Promise<PopResult>;
  /**
   * Takes the pop down for these users: the call was answered by someone else, or ended
   * (Bitrix24 `telephony.externalcall.hide`). Absent: the CRM's pop goes away by itself.
   */
  popDown?(pop: ScreenPop & { ref: string }, users: (number | string)[], live: LiveRequest): Promise<void>;
}

/**
 * Why a whole CRM request failed.
 * - rate_limited: 429; nothing was done; slow down.
 * - blocked: 403; the CRM blocked the integration; stop until an admin resets it.
 * - unauthorized: the token was refused and could not be renewed.
 * - unavailable: 5xx, timeout or a dropped connection; `sent` says whether the request may have
 *   reached the CRM (then it may have been applied: look before resending).
 * - too_large: the CRM timed out on the batch size (amoCRM 504); send smaller batches.
 * - rejected: a 4xx about the request itself; resending the same request will not help.
 */
export type CrmFailure =
  | { kind: 'rate_limited'; retryAfterMs: number | null }
  | { kind: 'blocked'; detail: string }
  | { kind: 'unauthorized'; detail: string }
  | { kind: 'unavailable'; sent: boolean; status: number | null; detail: string }
  | { kind: 'too_large'; detail: string }
  | { kind: 'rejected'; status: number; detail: string };

export class CrmError extends Error {
  constructor(readonly failure: CrmFailure) {
    super(`${failure.kind}: ${'detail' in failure ? failure.detail : 'rate limited'}`);
    this.name = 'CrmError';
  }

  /** The request may have been applied by the CRM although no answer confirmed it. */
  get outcomeUnknown(): boolean {
    return this.failure.kind === 'too_large' || (this.failure.kind === 'unavailable' && this.failure.sent);
  }

  get status(): number | null {
    const f = this.failure;
    if (f.kind === 'rate_limited') return 429;
    if (f.kind === 'blocked') return 403;
    if (f.kind === 'unauthorized') return 401;
    if (f.kind === 'too_large') return 504;
    return f.status;
  }
}
