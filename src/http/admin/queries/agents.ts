/**
 * Agent statistics for a period: one SQL aggregate by extension; departments are the sums of
 * their extensions (every call has one extension, so nothing is counted twice), rolled up from
 * the config's extension map without another query.
 * @module
 */
import { and, gte, lt, sql } from 'drizzle-orm';
import type { IntegratorConfig } from '../../../settings/integrator';
import type { Db } from '../../../db/client';
import { conversations } from '../../../db/schema';
import { callTime, instantParam } from '../../../ledger/calls-query';

export interface AgentStat {
  /** The extension or department; null: calls without one. */
  key: string | null;
  calls: number;
  answered: number;
  /** Not answered: missed, busy or failed. */
  missed: number;
  talkSeconds: number;
  /** Average handle time: talk time over answered calls (null: none answered). */
  ahtSeconds: number | null;
}

export interface AgentStats {
  extensions: AgentStat[];
  departments: AgentStat[];
  total: AgentStat;
}

export const NO_DEPARTMENT = '(no department)';

function stat(key: string | null, calls: number, answered: number, missed: number, talkSeconds: number): AgentStat {
  return { key, calls, answered, missed, talkSeconds, ahtSeconds: answered ? talkSeconds / answered : null };
}

export function departmentOf(config: Pick<IntegratorConfig, 'extensions'>, extension: string | null): string {
  const entry = extension === null ? undefined : config.extensions[extension];
  return (typeof entry === 'object' && entry.department) || NO_DEPARTMENT;
}

export async function agentStats(db: Db, config: Pick<IntegratorConfig, 'extensions'>, period: { from: Date; to: Date }): Promise<AgentStats> {
  const rows = await db
    .select({
      extension: conversations.extension,
      calls: sql<number>`count(*)::int`,
      answered: sql<number>`(count(*) filter (where ${conversations.outcome} = 'answered'))::int`,
      missed: sql<number>`(count(*) filter (where ${conversations.outcome} in ('missed', 'busy', 'failed')))::int`,
      talk: sql<number>`coalesce(sum(${conversations.talkSeconds}), 0)::float8`,
    })
    .from(conversations)
    .where(and(gte(callTime, instantParam(period.from)), lt(callTime, instantParam(period.to))))
    .groupBy(conversations.extension);

  const extensions = rows
    .map((r) => stat(r.extension, Number(r.calls), Number(r.answered), Number(r.missed), Number(r.talk)))
    .sort((a, b) => b.calls - a.calls || String(a.key).localeCompare(String(b.key), 'en', { numeric: true }));
  const byDepartment = new Map<string, AgentStat>();
  for (const e of extensions) {
    const name = departmentOf(config, e.key);
    const d = byDepartment.get(name) ?? stat(name, 0, 0, 0, 0);
    byDepartment.set(name, stat(name, d.calls + e.calls, d.answered + e.answered, d.missed + e.missed, d.talkSeconds + e.talkSeconds));
  }
  const departments = [...byDepartment.values()].sort((a, b) => b.calls - a.calls);
  const total = extensions.reduce(
    (t, e) => stat(null, t.calls + e.calls, t.answered + e.answered, t.missed + e.missed, t.talkSeconds + e.talkSeconds),
    stat(null, 0, 0, 0, 0),
  );
  return { extensions, departments, total };
}
