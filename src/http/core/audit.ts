/**
 * A request's action written to the audit trail: by the request's actor (set by whichever check
 * let it in), from its client address, at the app's clock. Awaited before the answer goes out, so
 * an action the trail could not record fails instead of passing unrecorded.
 * @module
 */
import type { Context } from 'hono';
import { audit } from '../../audit/log';
import type { Db } from '../../db/client';
import { SYSTEM_ACTOR } from '../../domain/actor';
import { clientIp } from './actor';

export interface AuditDeps {
  db: Db;
  now?: () => Date;
}

export async function auditRequest(deps: AuditDeps, c: Context, action: string, subject?: string | null, detail?: Record<string, unknown>): Promise<void> {
  const now = (deps.now ?? (() => new Date()))();
  await audit(deps.db, { actor: c.get('actor') ?? SYSTEM_ACTOR, action, subject: subject ?? null, ...(detail ? { detail } : {}), ip: clientIp(c) }, now);
}
