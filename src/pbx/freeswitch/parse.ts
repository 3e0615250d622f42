/**
 * mod_json_cdr posts → call events, one leg per post.
 *
 * Legs of a call share `call_uuid`, the A-leg's uuid: callKey = call_uuid, legKey = uuid, and the
 * A-leg (uuid = call_uuid) ends the conversation. Times come from the *_epoch variables, never the
 * local *_stamp ones. Talk: a B-leg from its answer; the A-leg from its bridge, because before it
 * the caller was talking to the PBX (IVR, queue), not to a person (config answered_requires_bridge).
 * A leg without the recording variables has no recording: mod_json_cdr reports each leg once,
 * at its end, so nothing would ever come to wait for.
 * @module
 */
import type * as z from 'zod';
import { describeIssues } from '../../config/errors';
import type { Direction } from '../../domain/call';
import type { Disposition } from '../../domain/call';
import type { LegEnded } from '../../domain/events';
import { InvalidPayloadError, type PbxParser } from '../core/parse';
import { cdrJsonText } from './body';
import type { FreeswitchConfig } from './config';
import { recordingLocation, recordingPath } from './recording';
import { jsonCdrSchema, originalProfile, type JsonCdr } from './schema';

export const freeswitchParser: PbxParser<{ freeswitch: FreeswitchConfig }> = {
  name: 'freeswitch',
  parse(raw, meta, ctx) {
    const text = cdrJsonText(raw, meta.content_type);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new InvalidPayloadError([`cdr: is not valid JSON: ${(error as Error).message}`]);
    }
    const result = jsonCdrSchema.safeParse(json);
    if (!result.success) throw new InvalidPayloadError(describeIssues(result.error as z.ZodError, 'cdr'));
    return [legEnded(result.data, meta, ctx.sources.freeswitch)];
  },
};

/** Channel variables, URL-decoded when mod_json_cdr encoded them (encode-values). */
function variablesOf(cdr: JsonCdr, config: FreeswitchConfig): (name: string) => string | undefined {
  return (name) => {
    const value = cdr.variables[name];
    if (value === undefined || !config.encode_values) return value;
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  };
}

function legEnded(cdr: JsonCdr, meta: Record<string, string>, config: FreeswitchConfig): LegEnded {
  const v = variablesOf(cdr, config);
  const profile = originalProfile(cdr);
  const problems: string[] = [];
  const epoch = (name: string, required: boolean): number | null => {
    const value = v(name);
    if (value === undefined || value === '' || value === '0') {
      if (required) problems.push(`variables.${name}: is required`);
      return null;
    }
    if (!/^\d{9,10}$/.test(value)) {
      problems.push(`variables.${name}: expected unix seconds, got "${value.slice(0, 40)}"`);
      return null;
    }
    return Number(value);
  };
  const uuid = v('uuid') ?? meta.uuid;
  if (!uuid) problems.push('variables.uuid: is required');
  const start = epoch('start_epoch', true);
  const answer = epoch('answer_epoch', false);
  const bridge = epoch('bridge_epoch', false);
  const end = epoch('end_epoch', true);
  if (start !== null && end !== null && end < start) problems.push('variables.end_epoch: is before start_epoch');
  if (problems.length || !uuid || start === null || end === null) throw new InvalidPayloadError(problems);

  const callKey = v('call_uuid') ?? v('originating_leg_uuid') ?? profile?.originator?.originator_caller_profiles?.[0]?.uuid ?? uuid;
  const isA = callKey === uuid;
  const bridged = bridge !== null || Boolean(v('bridge_uuid') ?? v('last_bridge_to'));
  // The A-leg was answered by the PBX itself unless it reached someone (see the module comment).
  const counts = answer !== null && (!isA || bridged || !config.answered_requires_bridge);
  const talkFrom = isA && bridge !== null ? bridge : answer;
  const path = answer !== null ? recordingPath(config.recording_variables.map(v)) : null;

  const declared = direction(v('call_direction'));
  return {
    kind: 'leg',
    callKey,
    legKey: uuid,
    direction: declared,
    directionRule: declared ? `FreeSWITCH call_direction ${v('call_direction')}` : null,
    from: v('caller_id_number') ?? profile?.caller_id_number ?? null,
    to: v('destination_number') ?? profile?.destination_number ?? null,
    // Set when the leg rang a registered user (user/101): the agent, whatever number was dialled.
    extension: v('dialed_user') ?? null,
    startedAt: new Date(start * 1000),
    answeredAt: counts && talkFrom !== null ? new Date(talkFrom * 1000) : null,
    endedAt: new Date(end * 1000),
    // Answered by the PBX and never connected: the caller met no one.
    disposition: counts ? 'answered' : answer !== null ? 'no_answer' : disposition(v('hangup_cause')),
    talkSeconds: counts && talkFrom !== null ? talk(talkFrom, answer, end, v('billsec')) : null,
    final: isA,
    joins: joinedLegs(v, uuid, callKey),
    recorded: path === null ? false : null,
    recording: path === null ? null : { key: path, url: recordingLocation(config.recording_url, path), status: 'referenced' },
  };
}

/**
 * Legs of one call FreeSWITCH keys apart: in an attended transfer the consultation call is
 * originated from the agent's leg (its call_uuid is that leg), and the customer is then bridged
 * to the new leg. Every leg this one was bridged to, originated from or transferred with is the
 * same conversation (ledger/joins.ts puts them together).
 */
function joinedLegs(v: (name: string) => string | undefined, uuid: string, callKey: string): string[] {
  const uuids = new Set<string>();
  for (const name of ['originating_leg_uuid', 'bridge_uuid', 'last_bridge_to', 'signal_bond', 'other_leg_unique_id']) {
    const value = v(name);
    if (value && UUID.test(value)) uuids.add(value.toLowerCase());
  }
  // transfer_history: "<epoch>:<uuid>:<kind>:<target uuid or destination>" entries separated by "|".
  for (const m of (v('transfer_history') ?? '').matchAll(UUID_ANYWHERE)) uuids.add(m[0].toLowerCase());
  uuids.delete(uuid.toLowerCase());
  uuids.delete(callKey.toLowerCase());
  return [...uuids].sort();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_ANYWHERE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** billsec when talk is counted from the answer (it is end − answer, as FreeSWITCH measured it); else from the bridge. */
function talk(from: number, answer: number | null, end: number, billsec: string | undefined): number {
  if (from === answer && billsec !== undefined && /^\d{1,7}$/.test(billsec)) return Number(billsec);
  return Math.max(0, end - from);
}

/** FusionPBX's call_direction; plain FreeSWITCH has none, and the numbers decide. */
function direction(value: string | undefined): Direction | null {
  if (value === 'inbound' || value === 'outbound') return value;
  return value === 'local' ? 'internal' : null;
}

const NO_ANSWER = new Set(['NO_ANSWER', 'NO_USER_RESPONSE', 'ORIGINATOR_CANCEL', 'LOSE_RACE', 'PICKED_OFF', 'ALLOTTED_TIMEOUT', 'NORMAL_CLEARING']);
const BUSY = new Set(['USER_BUSY', 'CALL_REJECTED']);

/**
 * A leg that was not answered: nobody picked up (including the caller hanging up while it rang,
 * and ring-group members that lost the race), busy or declined, else a failure.
 */
function disposition(hangupCause: string | undefined): Disposition {
  const cause = (hangupCause ?? '').toUpperCase();
  if (NO_ANSWER.has(cause)) return 'no_answer';
  if (BUSY.has(cause)) return 'busy';
  return 'failed';
}
