/**
 * Admission: what every source's parsed events must satisfy before their body is stored. The
 * inbox promises that a stored body always applies, so anything the ledger or PostgreSQL would
 * refuse later — text with NUL or lone surrogates, numbers past int4, times outside what a real
 * call can have, keys too long for a btree index — is refused here, at the door, with a message
 * naming the field. Pure: the webhook door and every ingest path (import, poller, reconciliation)
 * run the same check.
 *
 * Legs and recordings are checked field by field; a closed conversation's key and time, and a
 * dropped record's reason (kept as the inbox body's note), as text that must be storable.
 * @module
 */
import { DIRECTIONS } from './call';
import { DISPOSITIONS } from './call';
import { RECORDING_STATUSES } from './call';
import { unstorableText } from '../lib/text';
import { LIVE_STATES, type CallEvent, type LegEnded, type LiveMoment, type RecordingRef } from './events';

/** `max_call_seconds` when the config says nothing: a day. */
export const DEFAULT_MAX_CALL_SECONDS = 86_400;
/** PBX clocks drift and zones get mixed up, but not by more than a day. */
export const MAX_FUTURE_SECONDS = 86_400;
/**
 * No real call is older (the bound domain/time.ts reads PBX times with). With "at most a day
 * ahead" it also keeps a conversation's span, from its first leg to its last, inside int4
 * seconds (68 years) until 2068.
 */
export const EARLIEST_CALL_TIME = new Date('2000-01-01T00:00:00Z');
/** Keys are btree-indexed; PostgreSQL refuses an index entry over ~2700 bytes (4 bytes a char). */
export const MAX_KEY_LENGTH = 512;
/** Numbers and extensions: longer than any dial string, short enough to index. */
export const MAX_PARTY_LENGTH = 256;

export interface AdmissionRules {
  maxCallSeconds: number;
  now: Date;
}

export interface AdmissionInput {
  raw: string;
  meta?: Record<string, string>;
  dedupeKey?: string;
  events: readonly CallEvent[];
}

/** Every reason to refuse a body and its events; empty when it may be stored. */
export function admissionProblems(input: AdmissionInput, rules: AdmissionRules): string[] {
  const problems: string[] = [];
  const rawProblem = unstorableText(input.raw);
  if (rawProblem) problems.push(`body: ${rawProblem}`);
  for (const [name, value] of Object.entries(input.meta ?? {})) {
    const problem = unstorableText(name) ?? (typeof value === 'string' ? unstorableText(value) : 'is not text');
    if (problem) problems.push(`meta.${describeName(name).slice(1, -1)}: ${problem}`);
  }
  if (input.dedupeKey !== undefined) {
    const problem = keyProblem(input.dedupeKey);
    if (problem) problems.push(`delivery id: ${problem}`);
  }
  problems.push(...eventProblems(input.events, rules));
  return [...new Set(problems)];
}

/** The checks on the parsed events alone. */
export function eventProblems(events: readonly CallEvent[], rules: AdmissionRules): string[] {
  const problems: string[] = [];
  for (const event of events) {
    if (event.kind === 'dropped') {
      const problem = unstorableText(event.reason) ?? unstorableText(event.at);
      if (problem) problems.push(`dropped record: ${problem}`);
      continue;
    }
    if (event.kind === 'closed') {
      const key = keyProblem(event.callKey);
      if (key) problems.push(`call_id: ${key}`);
      const at = event.at === null ? null : timeProblem(event.at, rules.now);
      if (at) problems.push(`closed at: ${at}`);
      continue;
    }
    if (event.kind === 'live') {
      problems.push(...liveProblems(event, rules));
      continue;
    }
    if (event.kind === 'leg') problems.push(...legProblems(event, rules).map((p) => `${p} (${where(event)})`));
    else problems.push(...recordingProblems('recording', event.recording).map((p) => `${p} (${where(event)})`));
    for (const [field, key] of [
      ['call_id', event.callKey],
      ['leg_id', event.legKey],
    ] as const) {
      const problem = keyProblem(key);
      if (problem) problems.push(`${field}: ${problem}`);
    }
  }
  return problems;
}

function liveProblems(live: LiveMoment, rules: AdmissionRules): string[] {
  const problems: string[] = [];
  const key = keyProblem(live.callKey);
  if (key) problems.push(`call_id: ${key}`);
  if (!(LIVE_STATES as readonly string[]).includes(live.state)) problems.push(`state: is not one of ${LIVE_STATES.join(', ')}`);
  if (live.direction !== null && !(DIRECTIONS as readonly string[]).includes(live.direction))
    problems.push('direction: is not one of inbound, outbound, internal');
  const parties = [['from', live.from], ['to', live.to], ['line', live.line ?? null], ...live.extensions.map((e) => ['extensions', e] as const)] as const;
  for (const [field, value] of parties) {
    const problem = partyProblem(value);
    if (problem) problems.push(`${field}: ${problem}`);
  }
  if (live.extensions.length > MAX_RINGING_EXTENSIONS) problems.push(`extensions: more than ${MAX_RINGING_EXTENSIONS}`);
  const at = timeProblem(live.at, rules.now);
  if (at) problems.push(`at: ${at}`);
  return problems;
}

/** A ring group larger than this is not a ring group. */
const MAX_RINGING_EXTENSIONS = 200;

function legProblems(leg: LegEnded, rules: AdmissionRules): string[] {
  const problems: string[] = [];
  const parties = [
    ['from', leg.from],
    ['to', leg.to],
    ['extension', leg.extension],
    ['line', leg.line ?? null],
  ] as const;
  for (const [field, value] of parties) {
    const problem = partyProblem(value);
    if (problem) problems.push(`${field}: ${problem}`);
  }
  const rule = typeof leg.directionRule === 'string' ? unstorableText(leg.directionRule) : null;
  if (rule) problems.push(`direction rule: ${rule}`);
  if (leg.direction !== null && !(DIRECTIONS as readonly string[]).includes(leg.direction))
    problems.push('direction: is not one of inbound, outbound, internal');
  if (!(DISPOSITIONS as readonly string[]).includes(leg.disposition)) problems.push(`disposition: is not one of ${DISPOSITIONS.join(', ')}`);
  if (typeof leg.final !== 'boolean') problems.push('final: is not true or false');
  if (leg.recorded !== null && typeof leg.recorded !== 'boolean') problems.push('recorded: is not true, false or null');
  const times = [
    ['started_at', leg.startedAt],
    ['answered_at', leg.answeredAt],
    ['ended_at', leg.endedAt],
  ] as const;
  let timesOk = true;
  for (const [field, value] of times) {
    if (value === null) continue; // only answered_at may be null
    const problem = timeProblem(value, rules.now);
    if (problem) problems.push(`${field}: ${problem}`);
    timesOk &&= problem === null;
  }
  if (timesOk) {
    const seconds = (leg.endedAt.getTime() - leg.startedAt.getTime()) / 1000;
    if (seconds > rules.maxCallSeconds) {
      problems.push(`ended_at: the leg lasts ${Math.round(seconds)} s from started_at, more than max_call_seconds (${rules.maxCallSeconds})`);
    }
  }
  if (leg.talkSeconds !== null) {
    if (typeof leg.talkSeconds !== 'number' || !Number.isFinite(leg.talkSeconds)) problems.push('talk_seconds: is not a number');
    else if (leg.talkSeconds > rules.maxCallSeconds)
      problems.push(`talk_seconds: ${Math.round(leg.talkSeconds)} is more than max_call_seconds (${rules.maxCallSeconds})`);
  }
  if (leg.recording) problems.push(...recordingProblems('recording', leg.recording));
  for (const link of leg.joins ?? []) {
    const problem = keyProblem(link);
    if (problem) problems.push(`joined leg ${describeName(link)}: ${problem}`);
  }
  return problems;
}

function recordingProblems(at: string, recording: RecordingRef): string[] {
  const problems: string[] = [];
  const key = keyProblem(recording.key);
  if (key) problems.push(`${at}.id: ${key}`);
  for (const [field, value] of [
    ['url', recording.url],
    ['vendor_ref', recording.vendorRef ?? null],
  ] as const) {
    const problem = value === null ? null : typeof value === 'string' ? unstorableText(value) : 'is not text';
    if (problem) problems.push(`${at}.${field}: ${problem}`);
  }
  if (!(RECORDING_STATUSES as readonly string[]).includes(recording.status)) problems.push(`${at}.status: is not one of ${RECORDING_STATUSES.join(', ')}`);
  return problems;
}

function timeProblem(value: Date, now: Date): string | null {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) return 'is not a valid time';
  if (value < EARLIEST_CALL_TIME) return `is before ${EARLIEST_CALL_TIME.toISOString().slice(0, 10)}: not the time of a real call`;
  if (value.getTime() > now.getTime() + MAX_FUTURE_SECONDS * 1000) return `${value.toISOString()} is more than a day in the future`;
  return null;
}

function keyProblem(value: string): string | null {
  if (typeof value !== 'string') return 'is not text';
  return unstorableText(value) ?? (value.length > MAX_KEY_LENGTH ? `is longer than ${MAX_KEY_LENGTH} characters` : null);
}

function partyProblem(value: string | null): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') return 'is not text';
  return unstorableText(value) ?? (value.length > MAX_PARTY_LENGTH ? `is longer than ${MAX_PARTY_LENGTH} characters` : null);
}

/** Which call a problem is about, readable whatever the key holds. */
function where(event: { callKey: string; legKey: string }): string {
  const call = `call ${describeName(event.callKey)}`;
  return event.legKey === event.callKey ? call : `${call}, leg ${describeName(event.legKey)}`;
}

function describeName(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  const shown = text.replace(/[\u0000-\u001f\u007f\uD800-\uDFFF]/g, '?');
  return JSON.stringify(shown.length > 40 ? `${shown.slice(0, 40)}…` : shown);
}
