/**
 * The live half's entry points for the HTTP layer: after a body with live moments is stored, its
 * ringing calls are popped; lookups and click-to-call are in lookup.ts and originate.ts.
 * @module
 */
import { and, eq, inArray, or } from 'drizzle-orm';
import { liveCalls } from '../db/schema';
import type { CallEvent } from '../domain/events';
import { conversationSource } from '../pbx/registry';
import type { LiveDeps } from './deps';
import { popLiveCalls, type PopOutcome } from './pops';

export type { LiveDeps } from './deps';
export { lookupCaller, type LookupAnswer } from './lookup';
export { originateCall, type OriginateAnswer } from './originate';

/** The body's events include something the live half acts on. */
export const hasLiveMoments = (events: readonly CallEvent[]): boolean => events.some((e) => e.kind === 'live');

/** After a body was stored (`arrivedAtMs`: when it arrived, by Date.now()): show its ringing calls to their users (or take the pops of answered ones down). */
export async function afterLiveMoments(deps: LiveDeps, source: string, events: readonly CallEvent[], arrivedAtMs: number): Promise<PopOutcome[]> {
  const family = conversationSource(source);
  const keys = [...new Set(events.flatMap((e) => (e.kind === 'live' ? [e.callKey] : [])))];
  if (keys.length === 0) return [];
  const rows = await deps.db
    .select({ id: liveCalls.id })
    .from(liveCalls)
    .where(and(eq(liveCalls.source, family), or(inArray(liveCalls.callKey, keys))));
  return popLiveCalls(
    deps,
    rows.map((r) => r.id),
    arrivedAtMs,
  );
}
