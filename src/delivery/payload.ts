/**
 * What a settled conversation looks like to the CRM: pure mapping from the ledger's row and the
 * integrator config to the port's CallToLog, and the call-back task of a missed call.
 * @module
 */
import { renderTemplate, type CallVariables } from '../config/template';
import type { Direction, Outcome } from '../domain/call';
import type { CallToLog, CrmFieldValue, FieldMapping, LoggedCallRef, NewTask } from '../crm/port';
import { type PeopleConfig, userFor } from '../domain/people';
import { numberDigits } from '../domain/phone';
import { lineEntry } from '../domain/lines';
import type { DeliveryConfig, UnknownCallerPolicy } from './deps';

/** The columns of a conversation that the CRM sees. */
export interface DeliverableCall {
  deliveryId: string;
  uniq: string;
  callKey: string;
  direction: Direction | null;
  externalNumber: string | null;
  externalNumberRaw: string | null;
  extension: string | null;
  outcome: Outcome | null;
  startedAt: Date | null;
  durationSeconds: number | null;
  talkSeconds: number | null;
  /** The recording URL to put on the note, when there is one. */
  link: string | null;
  /** Our number the call came in on or went out from (per-line rules). */
  line?: string | null;
  /** The CRM's own id of the call made when it rang (Bitrix24's popped call). */
  liveRef?: string | null;
  /** The CRM user who placed this call by click-to-call. */
  clickedBy?: string | null;
}

/** The CRM user a call belongs to: who clicked to place it, else the one mapped from its extension. */
export function responsibleUser(call: Pick<DeliverableCall, 'extension' | 'clickedBy'>, config: PeopleConfig): number | null {
  if (call.clickedBy && /^\d+$/.test(call.clickedBy)) return Number(call.clickedBy);
  return userFor(config, call.extension).userId;
}

export function callVariables(call: DeliverableCall, config: DeliveryConfig): CallVariables {
  const { department } = userFor(config, call.extension);
  const userId = responsibleUser(call, config);
  return {
    // A number that could not be normalized goes as its digits: the CRM matches contacts by them.
    phone: call.externalNumber ?? (call.externalNumberRaw === null ? '' : numberDigits(call.externalNumberRaw) || call.externalNumberRaw),
    phone_raw: call.externalNumberRaw ?? call.externalNumber ?? '',
    extension: call.extension ?? '',
    direction: call.direction ?? '',
    outcome: call.outcome ?? '',
    started_at: call.startedAt ?? new Date(0),
    duration: call.outcome === 'answered' ? (call.talkSeconds ?? 0) : 0,
    total_duration: call.durationSeconds ?? 0,
    uniq: call.uniq,
    call_id: call.callKey,
    user_id: userId === null ? '' : String(userId),
    department: department ?? '',
  };
}

/**
 * The call as the CRM gets it. Outbound stays outbound; everything else that reaches a CRM is
 * inbound (internal calls never get here: they are skipped when they settle).
 */
export function toCallToLog(call: DeliverableCall, config: DeliveryConfig): CallToLog {
  const outcome = call.outcome ?? 'failed';
  const result = config.call_results[outcome];
  const vars = callVariables(call, config);
  return {
    requestId: call.deliveryId,
    uniq: call.uniq,
    direction: call.direction === 'outbound' ? 'outbound' : 'inbound',
    phone: vars.phone,
    startedAt: call.startedAt ?? new Date(0),
    durationSeconds: vars.duration,
    outcome,
    extension: call.extension,
    link: call.link,
    status: result.status,
    resultText: result.text || null,
    userId: responsibleUser(call, config),
    ...(call.liveRef ? { liveRef: call.liveRef } : {}),
    contactName: renderTemplate(config.crm.contact_name, vars, config.time_zone) || vars.phone,
    leadName: renderTemplate(config.crm.lead_name, vars, config.time_zone) || vars.phone,
    variables: vars,
  };
}

/**
 * crm.fields rendered for this call: what a contact or lead created for it carries. A value or
 * tag that renders empty is left out (amoCRM refuses empty values; an empty tag means nothing).
 */
export function fieldMapping(call: DeliverableCall, config: DeliveryConfig): FieldMapping {
  const vars = callVariables(call, config);
  const { fields } = config.crm;
  const render = (text: string) => renderTemplate(text, vars, config.time_zone);
  const values = (list: typeof fields.contact): CrmFieldValue[] =>
    list.flatMap((f) => {
      const value = render(f.value);
      return value === '' ? [] : [{ fieldId: f.field_id, value, ...(f.enum_code ? { enumCode: f.enum_code } : {}) }];
    });
  const tags = (list: string[]) => [...new Set(list.map(render).filter((t) => t !== ''))];
  const line = lineEntry(config.lines, config.default_country, call.line);
  return {
    contact: { fields: values(fields.contact), tags: tags(fields.contact_tags) },
    lead: {
      fields: values(fields.lead),
      tags: tags(fields.lead_tags),
      pipelineId: line?.pipeline_id ?? config.crm.unsorted.pipeline_id ?? fields.lead_pipeline_id ?? null,
      statusId: line?.status_id ?? fields.lead_status_id ?? null,
    },
  };
}

/** The unknown-caller policy for this call: its line's, else the config's for its direction. */
export function unknownCallerPolicy(call: Pick<DeliverableCall, 'direction' | 'line'>, config: DeliveryConfig): UnknownCallerPolicy {
  const direction = call.direction === 'outbound' ? 'outbound' : 'inbound';
  return lineEntry(config.lines, config.default_country, call.line)?.unknown_callers?.[direction] ?? config.unknown_callers[direction];
}

/** Only a missed inbound call asks for a call-back, and only when the config says so. */
export function wantsCallbackTask(call: Pick<DeliverableCall, 'direction' | 'outcome'>, config: DeliveryConfig): boolean {
  return config.missed_call_tasks.enabled && call.direction === 'inbound' && call.outcome !== 'answered';
}

export function callbackTask(call: DeliverableCall, ref: LoggedCallRef, config: DeliveryConfig, now: Date): NewTask {
  const vars = callVariables(call, config);
  return {
    requestId: call.deliveryId,
    text: renderTemplate(config.missed_call_tasks.text, vars, config.time_zone),
    dueAt: new Date(now.getTime() + config.missed_call_tasks.due_minutes * 60_000),
    entity: { entityId: ref.entityId, entityType: ref.entityType },
    userId: responsibleUser(call, config),
  };
}
