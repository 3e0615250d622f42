/**
 * When a conversation is complete enough to go to the CRM, and whether it goes at all.
 * @module
 */
import type { ConversationSummary } from './assemble';

export interface SettleInput {
  final: boolean;
  awaitingRecordings: boolean;
  /**
   * The source cannot say which record ends the call (CDR-based PBXs write one record per
   * bridge segment): wait SETTLE_SECONDS of quiet even when everything looks complete.
   */
  tentativeFinal?: boolean;
  /** Last time any event of this conversation arrived. */
  lastEventAt: Date;
}

/**
 * null while the final event is missing; otherwise the time the conversation settles:
 * now if every recording is in, else after SETTLE_SECONDS without news.
 */
export function settleDueAt(input: SettleInput, settleSeconds: number): Date | null {
  if (!input.final) return null;
  if (!input.awaitingRecordings && !input.tentativeFinal) return input.lastEventAt;
  return new Date(input.lastEventAt.getTime() + settleSeconds * 1000);
}

export type DeliveryDecision = { deliver: true } | { deliver: false; reason: string };

/** Calls that have no outside party never go to the CRM; the reason is kept for the report. */
export function deliveryDecision(
  summary: Pick<ConversationSummary, 'direction' | 'directionRule' | 'externalNumber' | 'externalNumberRaw' | 'externalNumberNote' | 'legCount'>,
): DeliveryDecision {
  if (summary.legCount === 0) return { deliver: false, reason: 'no call record: only recordings arrived' };
  if (summary.direction === 'internal') {
    return { deliver: false, reason: `internal call: ${summary.directionRule ?? 'every party is an extension'}` };
  }
  if (summary.externalNumber === null && summary.externalNumberRaw === null) {
    if (summary.direction === null) return { deliver: false, reason: 'no outside party found on any leg' };
    const note = summary.externalNumberNote;
    return { deliver: false, reason: note ? `the outside party has no number (${note})` : 'the outside number is withheld' };
  }
  return { deliver: true };
}
