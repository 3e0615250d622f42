/**
 * The delivery worker for an app's dependencies: the configured CRM (or the sandbox) behind the
 * amoCRM adapter, with the account's rate limiter. Each runtime entry calls this once (Node) or
 * per invocation (Workers, with limiters kept for the isolate).
 * @module
 */
import { connectCrm, type CrmConnection } from '../crm/connect';
import type { Budget } from '../crm/limiter';
import { noteRecordingUrl } from '../recordings/signed-link';
import type { DeliveryDeps } from './deps';
import { DeliveryWorker } from './worker';

/** The configured CRM for these deps (null in sandbox mode without a sandbox). */
export function crmConnection(deps: DeliveryDeps, options: { limiters?: Map<string, Budget>; timeoutMs?: number } = {}): CrmConnection | null {
  return connectCrm({
    settings: deps.settings,
    config: deps.config,
    // Read when used: a connection kept for the isolate (live/crm.ts) reaches the database of the request it serves.
    get db() {
      return deps.db;
    },
    log: deps.log,
    now: deps.now ?? (() => new Date()),
    limiters: options.limiters ?? deps.limiters ?? new Map(),
    ...(deps.slotStore ? { slotStore: deps.slotStore } : {}),
    ...(deps.refreshLock ? { refreshLock: deps.refreshLock } : {}),
    ...(deps.sandbox ? { sandboxFetch: async (request: Request) => deps.sandbox!.fetch(request) } : {}),
    ...(deps.crmFetch ? { fetch: deps.crmFetch } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
}

export function createDeliveryWorker(
  deps: DeliveryDeps,
  options: { owner: string; limiters?: Map<string, Budget>; timeoutMs?: number },
): DeliveryWorker | null {
  const now = deps.now ?? (() => new Date());
  const crm = crmConnection(deps, options);
  if (!crm) return null;
  return new DeliveryWorker({
    db: deps.db,
    config: deps.config,
    log: deps.log.child({ component: 'delivery' }),
    now,
    accountId: crm.accountId,
    crm: crm.port,
    owner: options.owner,
    leaseSeconds: deps.settings.deliveryLeaseSeconds,
    ...(deps.recordings
      ? {
          recordingLink: (audioId: string) =>
            noteRecordingUrl(
              deps.db,
              { recordingLinkKeys: deps.settings.recordingLinkKeys, publicUrl: deps.settings.publicUrl, ttlDays: deps.config.recordings?.link_ttl_days },
              audioId,
              now(),
            ),
        }
      : {}),
  });
}
