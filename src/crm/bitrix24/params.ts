/**
 * How a call becomes the parameters of Bitrix24's three telephony methods — pure functions, so
 * every mapping rule is visible and tested without HTTP.
 * @module
 */
import type { Outcome } from '../../domain/call';
import type { CallToLog, LoggedCallRef } from '../port';
import type { Bitrix24Config } from './config';
import type { StatisticRow } from './schemas';

/** Who registers and finishes the call: a user id, or the user whose internal number is the extension. */
export type Identity = { USER_ID: number } | { USER_PHONE_INNER: string };

export function identityFor(call: Pick<CallToLog, 'userId' | 'extension'>, config: Bitrix24Config): Identity {
  if (call.userId !== null) return { USER_ID: call.userId };
  if (config.extension_as_inner_phone && call.extension) return { USER_PHONE_INNER: call.extension };
  return { USER_ID: config.default_user_id };
}

/** telephony.externalCall.finish STATUS_CODE: 200 talked, 304 missed, 486 busy, 603 declined/failed. */
export function statusCode(outcome: Outcome): string {
  return { answered: '200', missed: '304', busy: '486', failed: '603' }[outcome];
}

/** ISO 8601 with an explicit offset, whole seconds: what Bitrix24's CALL_START_DATE wants. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export interface Binding {
  type: string;
  id: number | string;
}

export function registerParams(call: CallToLog, who: Identity, config: Bitrix24Config, options: { crmCreate: boolean; binding: Binding | null }) {
  return {
    ...who,
    PHONE_NUMBER: call.phone,
    TYPE: call.direction === 'outbound' ? 1 : 2,
    CALL_START_DATE: isoSeconds(call.startedAt),
    CRM_CREATE: options.crmCreate ? 1 : 0,
    ...(config.crm_source ? { CRM_SOURCE: config.crm_source } : {}),
    ...(options.binding ? { CRM_ENTITY_TYPE: options.binding.type, CRM_ENTITY_ID: options.binding.id } : {}),
    // A past call: no pop-up card for the user.
    SHOW: 0,
    ADD_TO_CHAT: config.add_to_chat ? 1 : 0,
    ...(config.line_number ? { LINE_NUMBER: config.line_number } : {}),
    // Our uniq: it makes re-registration within 30 minutes return the same CALL_ID, and it is
    // how the call is found again in the statistics.
    EXTERNAL_CALL_ID: call.uniq,
  };
}

export function finishParams(callId: string, call: CallToLog, who: Identity, config: Bitrix24Config) {
  return {
    CALL_ID: callId,
    ...who,
    DURATION: call.durationSeconds,
    STATUS_CODE: statusCode(call.outcome),
    ...(call.outcome !== 'answered' && call.resultText ? { FAILED_REASON: call.resultText } : {}),
    ADD_TO_CHAT: config.add_to_chat ? 1 : 0,
  };
}

/** RECORD_URL plus a file name: Bitrix24 takes only .mp3 and .wav, and our links end in a query string. */
export function attachParams(callId: string, link: string, uniq: string) {
  let extension = 'mp3';
  try {
    const match = /\.(mp3|wav)$/i.exec(new URL(link).pathname);
    if (match?.[1]) extension = match[1].toLowerCase();
  } catch {
    // not a URL Bitrix24 can fetch either; it will say so
  }
  const base = uniq.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) || 'call';
  return { CALL_ID: callId, RECORD_URL: link, FILENAME: `${base}.${extension}` };
}

/** Bitrix24's CONTACT / COMPANY / LEAD / DEAL → the port's plural entity collection. */
export function entityCollection(type: string | null | undefined): string {
  const map: Record<string, string> = { CONTACT: 'contacts', COMPANY: 'companies', LEAD: 'leads', DEAL: 'deals' };
  return type ? (map[type.toUpperCase()] ?? type.toLowerCase()) : 'calls';
}

export function refOf(row: StatisticRow, fallback: Partial<Binding> = {}): LoggedCallRef {
  return {
    noteId: row.CALL_ID,
    entityId: row.CRM_ENTITY_ID ?? fallback.id ?? 0,
    entityType: entityCollection(row.CRM_ENTITY_TYPE ?? fallback.type),
  };
}

/** The row already carries a recording (by the URL we gave, or a file Bitrix24 stored). */
export function hasRecord(row: StatisticRow): boolean {
  return Boolean(row.CALL_RECORD_URL) || (row.RECORD_FILE_ID !== null && row.RECORD_FILE_ID !== undefined);
}

/** The link as the port reports it: the URL Bitrix24 keeps, or a marker of a stored file. */
export function linkOf(row: StatisticRow): string | null {
  if (row.CALL_RECORD_URL) return row.CALL_RECORD_URL;
  return row.RECORD_FILE_ID !== null && row.RECORD_FILE_ID !== undefined ? `bitrix24-file:${row.RECORD_FILE_ID}` : null;
}
