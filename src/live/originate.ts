/**
 * Click-to-call: `POST /v1/originate` asks the PBX to ring the rep's phone, then the customer.
 *
 * The rep is named by extension, or by CRM user (the widget in the CRM sends the signed-in
 * user's id), mapped to their extension by the config's `extensions`. The PBX that places the
 * call is `live.originate.source`, or the only enabled source that can. Every request is kept
 * (originations) with its answer, so the call that follows is credited to the user who clicked
 * (delivery reads it) and a refusal can be shown and looked into.
 * @module
 */
import { eq } from 'drizzle-orm';
import { originations } from '../db/schema';
import type { OriginateResult, PbxOriginator } from '../pbx/core/originate';
import { portableOriginators } from '../pbx/registry';
import type { LiveDeps } from './deps';
import { extensionOfUser, outsideNumber } from './people';

export interface OriginateAsk {
  extension?: string | undefined;
  user?: number | string | undefined;
  phone: string;
  /** The CRM's own id of the call the click started (Bitrix24's CALL_ID), finished at delivery. */
  crmRef?: string | undefined;
}

export type OriginateAnswer =
  | { status: 'requested'; id: string; source: string; extension: string; phone: string; vendorRef: string | null }
  /** `problem`: which error code the HTTP layer answers with. */
  | { status: 'refused'; id: string | null; problem: 'invalid_request' | 'originate_off' | 'pbx_refused' | 'pbx_unavailable'; reason: string };

/** The originator that places click-to-call calls, or why there is none. */
export function chooseOriginator(deps: LiveDeps): PbxOriginator | string {
  const all = [...portableOriginators, ...(deps.originators ?? [])];
  const originateDeps = originateDepsOf(deps);
  const wanted = deps.config.live.originate.source;
  if (wanted) {
    const named = all.find((o) => o.source === wanted);
    if (!named)
      return `live.originate.source is "${wanted}", which cannot place calls here (sources that can: ${[...new Set(all.map((o) => o.source))].join(', ') || 'none'})`;
    return named.enabled(originateDeps) ? named : `the ${wanted} source cannot place calls yet: ${named.enableHint}`;
  }
  const enabled = all.filter((o) => o.enabled(originateDeps));
  if (enabled.length === 1) return enabled[0] as PbxOriginator;
  if (enabled.length === 0) return 'no PBX source that can place calls is enabled';
  return `several PBX sources can place calls (${enabled.map((o) => o.source).join(', ')}): set live.originate.source`;
}

const originateDepsOf = (deps: LiveDeps) => ({
  settings: deps.settings,
  config: deps.config,
  ...(deps.pbxFetch ? { fetch: deps.pbxFetch } : {}),
  ...(deps.now ? { now: deps.now } : {}),
});

export async function originateCall(deps: LiveDeps, ask: OriginateAsk): Promise<OriginateAnswer> {
  const extension = ask.extension ?? extensionOfUser(deps.config, ask.user ?? null);
  if (!extension) {
    return { status: 'refused', id: null, problem: 'invalid_request', reason: `CRM user ${String(ask.user)} has no extension in the config's extensions` };
  }
  const phone = outsideNumber(deps.config, ask.phone, null);
  if (!phone) return { status: 'refused', id: null, problem: 'invalid_request', reason: 'phone: not an outside number (empty, withheld or an extension)' };
  const originator = chooseOriginator(deps);
  if (typeof originator === 'string') return { status: 'refused', id: null, problem: 'originate_off', reason: originator };
  const now = (deps.now ?? (() => new Date()))();
  const [row] = await deps.db
    .insert(originations)
    .values({
      source: originator.source,
      extension,
      userId: ask.user === undefined ? null : String(ask.user),
      phone,
      state: 'requested',
      requestedAt: now,
      crmRef: ask.crmRef ?? null,
    })
    .returning({ id: originations.id });
  const id = (row as { id: string }).id;
  let result: OriginateResult;
  try {
    result = await originator.originate({ id, extension, phone }, originateDepsOf(deps));
  } catch (error) {
    result = { status: 'refused', reason: `the PBX could not be reached: ${(error as Error).message}`, retryable: true };
  }
  if (result.status === 'refused') {
    await deps.db.update(originations).set({ state: 'refused', reason: result.reason }).where(eq(originations.id, id));
    deps.log.warn('click-to-call refused by the PBX', { source: originator.source, extension, reason: result.reason });
    return { status: 'refused', id, problem: result.retryable ? 'pbx_unavailable' : 'pbx_refused', reason: result.reason };
  }
  await deps.db.update(originations).set({ vendorRef: result.vendorRef }).where(eq(originations.id, id));
  return { status: 'requested', id, source: originator.source, extension, phone, vendorRef: result.vendorRef };
}
