/**
 * Version keys make "which copy of a leg wins" independent of arrival order: the stored copy is
 * replaced only by one with a greater key, so every permutation ends with the same row.
 * @module
 */
import type { LegEnded, RecordingRef } from '../domain/events';
import { sha256Hex } from '../lib/crypto';

export function legVersion(leg: LegEnded): string {
  const canonical = JSON.stringify([
    leg.direction,
    leg.from,
    leg.to,
    leg.extension,
    leg.startedAt.getTime(),
    leg.answeredAt?.getTime() ?? null,
    leg.endedAt.getTime(),
    leg.disposition,
    leg.final,
    leg.recorded,
    leg.talkSeconds,
  ]);
  // A later end is the more complete record; the hash breaks ties deterministically.
  return `${String(leg.endedAt.getTime()).padStart(15, '0')}:${sha256Hex(canonical).slice(0, 16)}`;
}

const STATUS_RANK = { absent: 0, failed: 1, referenced: 2 } as const;

export function recordingVersion(legKey: string, ref: RecordingRef): string {
  // A usable reference beats "failed", which beats "absent".
  const facts = ref.vendorRef ? [legKey, ref.url, ref.status, ref.vendorRef] : [legKey, ref.url, ref.status];
  return `${STATUS_RANK[ref.status]}:${sha256Hex(JSON.stringify(facts)).slice(0, 16)}`;
}

export function conversationUniq(source: string, callKey: string): string {
  return `ct1-${sha256Hex(`${source}\n${callKey}`).slice(0, 32)}`;
}
