/**
 * Counters the bench and the tests read: how many requests reached the fake CRM, on which
 * routes, with which answers, and how often it refused, faulted or wrote. Only API traffic counts
 * (/api/v4/* and /oauth*); the timeline page and /__sandbox controls are not the CRM's workload.
 * @module
 */
import type { MiddlewareHandler } from 'hono';

export interface SandboxStats {
  requests: number;
  /** "POST /api/v4/calls"; numeric path segments read as {id}. */
  byRoute: Record<string, number>;
  /** "200", "429", … */
  byStatus: Record<string, number>;
  rateLimited: number;
  blocked: boolean;
  blockedRequests: number;
  refreshes: number;
  faultsInjected: number;
  notesWritten: number;
}

export class StatsRecorder {
  requests = 0;
  byRoute: Record<string, number> = {};
  byStatus: Record<string, number> = {};
  rateLimited = 0;
  blockedRequests = 0;
  refreshes = 0;
  faultsInjected = 0;
  notesWritten = 0;

  snapshot(blocked: boolean): SandboxStats {
    return {
      requests: this.requests,
      byRoute: { ...this.byRoute },
      byStatus: { ...this.byStatus },
      rateLimited: this.rateLimited,
      blocked,
      blockedRequests: this.blockedRequests,
      refreshes: this.refreshes,
      faultsInjected: this.faultsInjected,
      notesWritten: this.notesWritten,
    };
  }
}

export function routeKey(method: string, path: string): string {
  return `${method} ${path.replace(/\/\d+(?=\/|$)/g, '/{id}')}`;
}

function bump(counts: Record<string, number>, key: string) {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Outermost middleware: sees every API request and its final status, faults and delays included. */
export function countRequests(stats: StatsRecorder): MiddlewareHandler {
  return async (c, next) => {
    const path = c.req.path;
    const counted = path.startsWith('/api/') || path.startsWith('/oauth');
    if (counted) {
      stats.requests++;
      bump(stats.byRoute, routeKey(c.req.method, path));
    }
    await next();
    if (counted) bump(stats.byStatus, String(c.res.status));
  };
}
