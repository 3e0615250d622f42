/**
 * What an import did, and the lines it prints: counts, then each reason rows were skipped for
 * with how many and the first few line numbers — enough to find them in the file.
 * @module
 */
export interface ImportSummary {
  rows: number;
  /** Calls (linkedid groups) met in the file. */
  conversations: number;
  /** Rows read as legs. */
  legs: number;
  /** Rows new to the ledger. */
  stored: number;
  /** Rows the inbox already had (a re-import, or pushed before). */
  duplicates: number;
  /** Rows stored but not applied (kept in the inbox, retried by the service). */
  failed: number;
  skipped: SkipTally;
  seconds: number;
}

const FIRST_LINES = 5;

export class SkipTally {
  readonly reasons = new Map<string, { count: number; lines: number[] }>();

  get total(): number {
    let n = 0;
    for (const r of this.reasons.values()) n += r.count;
    return n;
  }

  add(reason: string, line: number): void {
    const entry = this.reasons.get(reason) ?? { count: 0, lines: [] };
    entry.count++;
    if (entry.lines.length < FIRST_LINES) entry.lines.push(line);
    this.reasons.set(reason, entry);
  }

  /** A parser problem ("line 4, column 15 (disposition): expected …, got "X"") under its general reason. */
  addProblem(problem: string, line: number): void {
    const m = /^line \d+(?:, column \d+)?\s*(?:\(([^)]+)\))?: (.*)$/.exec(problem);
    const what = (m?.[2] ?? problem).replace(/, got .*$/, '');
    this.add(m?.[1] ? `${m[1]}: ${what}` : what, line);
  }
}

const n = (value: number) => value.toLocaleString('en-US');

export function formatSummary(file: string, s: ImportSummary, how: { dryRun: boolean; columns: string; timeZone: string }): string {
  const out = [
    `${how.dryRun ? 'dry run (nothing stored): ' : ''}asterisk-csv ${file} (columns ${how.columns}, time zone ${how.timeZone})`,
    `  rows read:      ${n(s.rows)}`,
    `  conversations:  ${n(s.conversations)}`,
    `  legs:           ${n(s.legs)}${how.dryRun ? '' : `  (new ${n(s.stored)}, duplicates ${n(s.duplicates)}${s.failed ? `, failed to apply ${n(s.failed)} — kept in the inbox, see \`calltrail inbox list --status failed\`` : ''})`}`,
    `  skipped rows:   ${n(s.skipped.total)}`,
  ];
  for (const [reason, { count, lines }] of [...s.skipped.reasons].sort((a, b) => b[1].count - a[1].count)) {
    out.push(`    ${n(count)} × ${reason} (line ${lines.join(', ')}${count > lines.length ? ', …' : ''})`);
  }
  out.push(`  time:           ${s.seconds.toFixed(1)} s (${n(Math.round(s.rows / Math.max(0.001, s.seconds)))} rows/s)`);
  return out.join('\n');
}
