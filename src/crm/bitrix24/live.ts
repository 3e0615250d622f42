/**
 * The live half of Bitrix24: the call card shown while the phone rings, and the caller lookup.
 * Every request is a live one (first in the portal's budget, LateForBudget when no slot comes
 * before the deadline — that error propagates).
 *
 * - popUp: `telephony.externalcall.register` with SHOW=1 for the first user (USER_ID, or
 *   USER_PHONE_INNER = the extension ringing for a user calltrail knows by extension only),
 *   CRM_CREATE=0 (no lead made for a ring: the delivery decides that) and EXTERNAL_CALL_ID = our
 *   uniq; the CALL_ID it answers is the pop's ref, which the delivery later finishes instead of
 *   registering the call again. Further users see the same card through
 *   `telephony.externalcall.show` (USER_ID as a list).
 * - popDown: `telephony.externalcall.hide` {CALL_ID, USER_ID}, once per user.
 * - findCaller: `telephony.externalCall.searchCrmEntities` {PHONE_NUMBER}: the contact, the
 *   company and a lead with the number, the responsible user (ASSIGNED_BY_ID) of the first of
 *   those, the card's URL on the portal. Bitrix24's search returns leads, not deals: a lead with the
 *   number stands in for the deal (no status). The company is one with the number, which need not
 *   be the contact's own.
 * @module
 */
import type { CallerCard, LiveRequest, PopResult, ScreenPop } from '../port';
import type { Bitrix24Api } from './api';
import type { Bitrix24Config } from './config';
import { type Identity, isoSeconds } from './params';
import { CrmEntities, type CrmEntity, Registered } from './schemas';
import { CrmError } from '../port';

const DETAILS: Record<string, string> = { CONTACT: 'contact', COMPANY: 'company', LEAD: 'lead', DEAL: 'deal' };

export class Bitrix24Live {
  constructor(
    private readonly http: Bitrix24Api,
    private readonly config: Bitrix24Config,
  ) {}

  async popUp(pop: ScreenPop, live: LiveRequest): Promise<PopResult> {
    const [first, ...others] = pop.users;
    if (first === undefined) return { ref: null };
    const who = identityOf(first, pop);
    if (!who) return { ref: null };
    const params = {
      ...who,
      PHONE_NUMBER: pop.phone,
      TYPE: pop.direction === 'outbound' ? 1 : 2,
      CALL_START_DATE: isoSeconds(pop.startedAt),
      CRM_CREATE: 0,
      SHOW: 1,
      ...((pop.line ?? this.config.line_number) ? { LINE_NUMBER: pop.line ?? this.config.line_number } : {}),
      EXTERNAL_CALL_ID: pop.uniq,
    };
    const { result } = await this.http.call('telephony.externalcall.register', params, true, live);
    const parsed = Registered.safeParse(result);
    if (!parsed.success) throw new CrmError({ kind: 'unavailable', sent: true, status: 200, detail: 'unexpected register answer from Bitrix24' });
    const rest = others.map(Number).filter((u) => Number.isInteger(u) && u > 0);
    if (rest.length) await this.http.call('telephony.externalcall.show', { CALL_ID: parsed.data.CALL_ID, USER_ID: rest }, true, live);
    return { ref: parsed.data.CALL_ID };
  }

  async popDown(pop: ScreenPop & { ref: string }, users: (number | string)[], live: LiveRequest): Promise<void> {
    for (const user of users) {
      const id = Number(user);
      if (!Number.isInteger(id) || id <= 0) continue;
      await this.http.call('telephony.externalcall.hide', { CALL_ID: pop.ref, USER_ID: id }, true, live);
    }
  }

  async findCaller(phone: string, live: LiveRequest): Promise<CallerCard | null> {
    const { result } = await this.http.call('telephony.externalCall.searchCrmEntities', { PHONE_NUMBER: phone }, false, live);
    const parsed = CrmEntities.safeParse(result ?? []);
    if (!parsed.success) throw new CrmError({ kind: 'unavailable', sent: false, status: 200, detail: 'unexpected searchCrmEntities answer from Bitrix24' });
    const first = (type: string) => parsed.data.find((e) => e.CRM_ENTITY_TYPE.toUpperCase() === type);
    const contact = first('CONTACT');
    const company = first('COMPANY');
    const lead = first('LEAD') ?? first('DEAL');
    const main = contact ?? company ?? lead;
    if (!main) return null;
    return {
      contact: contact ? ref(contact) : null,
      company: company ? ref(company) : null,
      responsibleUserId: main.ASSIGNED_BY_ID ?? null,
      deal: lead ? { ...ref(lead), statusId: null } : null,
      url: this.urlOf(main),
    };
  }

  /** `https://<portal>/crm/<type>/details/<id>/`, the card as Bitrix24 opens it. */
  private urlOf(entity: CrmEntity): string | null {
    const kind = DETAILS[entity.CRM_ENTITY_TYPE.toUpperCase()];
    if (!kind) return null;
    return `${new URL(this.http.webhookUrl).origin}/crm/${kind}/details/${encodeURIComponent(String(entity.CRM_ENTITY_ID))}/`;
  }
}

function ref(entity: CrmEntity) {
  return { id: entity.CRM_ENTITY_ID, name: entity.NAME ?? '' };
}

/** The user by id, or by the extension ringing for them; null when neither is known. */
function identityOf(user: number | string, pop: ScreenPop): Identity | null {
  const id = Number(user);
  if (Number.isInteger(id) && id > 0) return { USER_ID: id };
  const extension = pop.extensions[String(user)];
  return extension ? { USER_PHONE_INNER: extension } : null;
}
