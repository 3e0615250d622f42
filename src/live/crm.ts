/**
 * The CRM connection the live half talks through, one per app (per deps object): pops of calls
 * ringing at once can then share a request (amoCRM's batch of events) and every live request of
 * the process draws on the same budget as deliveries (deps.limiters).
 * @module
 */
import type { CrmConnection } from '../crm/connect';
import { crmConnection } from '../delivery/setup';
import type { LiveDeps } from './deps';

const connections = new WeakMap<LiveDeps, CrmConnection | null>();

export function liveCrm(deps: LiveDeps): CrmConnection | null {
  if (!connections.has(deps)) connections.set(deps, crmConnection(deps));
  return connections.get(deps) ?? null;
}
