/**
 * A run's findings by kind, as the runs list, the run page and the overview show them.
 * @module
 */
import { FINDING_KINDS, type FindingKind } from '../../../domain/reconcile';

export const KIND_LABELS: Record<FindingKind, string> = {
  missing_in_crm: 'missing in CRM',
  duplicate_in_crm: 'duplicate in CRM',
  missing_recording: 'missing recording',
  failed: 'failed',
  skipped: 'skipped',
  lost_webhook: 'lost webhook',
};

export function findingCounts(counts: Record<string, number> | null | undefined): [FindingKind, number][] {
  return FINDING_KINDS.map((kind) => [kind, Number(counts?.[kind] ?? 0)]);
}

/** "missing in CRM 2 · skipped 1", or "no findings". */
export const FindingCounts = ({ counts }: { counts: Record<string, number> | null | undefined }) => {
  const found = findingCounts(counts).filter(([, n]) => n > 0);
  return <span>{found.length ? found.map(([kind, n]) => `${KIND_LABELS[kind]} ${n}`).join(' · ') : 'no findings'}</span>;
};
