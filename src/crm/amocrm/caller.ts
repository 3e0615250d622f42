/**
 * The live half of amoCRM: who is calling (a caller lookup for a ringing call) and the incoming-call
 * pop-up. Every request here is a live one — first in the account's budget and refused with
 * LateForBudget, unsent, when no slot comes before the deadline; that error propagates.
 *
 * The lookup: `GET /api/v4/contacts?query=<last 10 digits>&with=leads,companies`. amoCRM's
 * `query` matches any field, so a hit counts only when its PHONE field has this number (last 10
 * digits, as amoCRM itself matches numbers and as findContacts does). Then the contact's company
 * (amoCRM embeds only its id: the name takes `GET /api/v4/companies/{id}`) and its newest open deal
 * (embedded leads carry no status, so `GET /api/v4/leads?filter[id][]=…` unless they do; open:
 * any status but 142 won and 143 lost). No contact → the same for
 * `GET /api/v4/companies?query=…&with=leads`. An empty list is amoCRM's 204: nobody.
 * @module
 */
import type { CallerCard, CrmEntityRef, LiveRequest, ScreenPop } from '../port';
import type { AmoApi } from './api';
import { last10, parseAnswer } from './read';
import { CallerCompaniesPage, CallerContactsPage, type CallerParty, LeadsPage, OneCompany } from './schemas';

/** Won and lost: the two closed stages of every amoCRM pipeline. */
export const CLOSED_LEAD_STATUSES: readonly number[] = [142, 143];
/** Hits looked at per search; a number shared by more cards than this is rare. */
const SEARCH_LIMIT = '25';

type Deal = NonNullable<CallerCard['deal']>;

/** Pop-ups of calls ringing at the same time, sent as one request. */
interface PopBatch {
  events: { type: string; phone_number: string; users: number[] }[];
  sent: Promise<void>;
}

/** Events per `POST /api/v2/events`; more wait for the next request. */
const MAX_EVENTS_PER_REQUEST = 50;

export class AmoCaller {
  private popBatch: PopBatch | null = null;

  constructor(private readonly http: AmoApi) {}

  /**
   * `POST /api/v2/events` with a phone_call event for these users; amoCRM keeps no id of it.
   * Pops of calls ringing at once share a request: the first opens a batch and waits for its slot
   * in the budget; those arriving meanwhile join it, and the body is built when the slot comes. So
   * 20 rings a second fit amoCRM's 7 requests a second, and none waits for another's slot.
   */
  async popUp(pop: ScreenPop, live: LiveRequest): Promise<{ ref: null }> {
    const users = pop.users.map(Number).filter((u) => Number.isInteger(u) && u > 0);
    if (users.length === 0) return { ref: null };
    const event = { type: 'phone_call', phone_number: pop.phone, users };
    const open = this.popBatch;
    if (open && open.events.length < MAX_EVENTS_PER_REQUEST) {
      open.events.push(event);
      await open.sent;
      return { ref: null };
    }
    const batch: PopBatch = { events: [event], sent: Promise.resolve() };
    this.popBatch = batch;
    batch.sent = this.http
      .request({
        method: 'POST',
        path: '/api/v2/events',
        bodyAt: () => {
          // The slot came: this batch is closed, later pops open the next one.
          if (this.popBatch === batch) this.popBatch = null;
          return { add: batch.events };
        },
        live,
      })
      .then(() => undefined)
      .finally(() => {
        if (this.popBatch === batch) this.popBatch = null;
      });
    await batch.sent;
    return { ref: null };
  }

  async findCaller(phone: string, live: LiveRequest): Promise<CallerCard | null> {
    const key = last10(phone);
    if (key.length < 5) return null;
    const contact = await this.search('contacts', key, live);
    if (contact) return this.contactCard(contact, live);
    const company = await this.search('companies', key, live);
    return company ? this.companyCard(company, live) : null;
  }

  /** The first card whose PHONE field has the number; null when none (204, or hits on other fields). */
  private async search(kind: 'contacts' | 'companies', key: string, live: LiveRequest): Promise<CallerParty | null> {
    const query = new URLSearchParams({ query: key, limit: SEARCH_LIMIT, with: kind === 'contacts' ? 'leads,companies' : 'leads' });
    const { data } = await this.http.request({ method: 'GET', path: `/api/v4/${kind}`, query, live });
    if (data === null) return null;
    const page =
      kind === 'contacts'
        ? parseAnswer(CallerContactsPage, data, 'contacts')._embedded.contacts
        : parseAnswer(CallerCompaniesPage, data, 'companies')._embedded.companies;
    return page.find((party) => phonesOf(party).some((p) => last10(p) === key)) ?? null;
  }

  private async contactCard(contact: CallerParty, live: LiveRequest): Promise<CallerCard> {
    const companyRef = contact._embedded?.companies?.[0] ?? null;
    const company = companyRef ? await this.companyName(companyRef, live) : null;
    return {
      contact: { id: contact.id, name: contact.name ?? '' },
      company,
      responsibleUserId: contact.responsible_user_id ?? null,
      deal: await this.newestOpenDeal(contact, live),
      url: `${this.http.baseUrl}/contacts/detail/${contact.id}`,
    };
  }

  private async companyCard(company: CallerParty, live: LiveRequest): Promise<CallerCard> {
    return {
      contact: null,
      company: { id: company.id, name: company.name ?? '' },
      responsibleUserId: company.responsible_user_id ?? null,
      deal: await this.newestOpenDeal(company, live),
      url: `${this.http.baseUrl}/companies/detail/${company.id}`,
    };
  }

  private async companyName(ref: { id: number | string; name?: string | null | undefined }, live: LiveRequest): Promise<CrmEntityRef> {
    if (ref.name) return { id: ref.id, name: ref.name };
    const { data } = await this.http.request({ method: 'GET', path: `/api/v4/companies/${encodeURIComponent(String(ref.id))}`, live });
    // 204: the company is gone since the contact was read; keep the link, without a name.
    return { id: ref.id, name: data === null ? '' : (parseAnswer(OneCompany, data, 'company').name ?? '') };
  }

  /** The newest lead (highest created_at, then id) whose status is open; its status fetched when not embedded. */
  private async newestOpenDeal(party: CallerParty, live: LiveRequest): Promise<Deal | null> {
    const embedded = party._embedded?.leads ?? [];
    if (embedded.length === 0) return null;
    let leads: { id: number | string; name: string; statusId: number; createdAt: number }[];
    if (embedded.every((l) => typeof l.status_id === 'number')) {
      leads = embedded.map((l) => ({ id: l.id, name: l.name ?? '', statusId: l.status_id as number, createdAt: 0 }));
    } else {
      const query = new URLSearchParams();
      for (const l of embedded.slice(0, 250)) query.append('filter[id][]', String(l.id));
      const { data } = await this.http.request({ method: 'GET', path: '/api/v4/leads', query, live });
      const page = data === null ? [] : parseAnswer(LeadsPage, data, 'leads')._embedded.leads;
      leads = page.filter((l) => !l.is_deleted).map((l) => ({ id: l.id, name: l.name ?? '', statusId: l.status_id, createdAt: l.created_at ?? 0 }));
    }
    const open = leads.filter((l) => !CLOSED_LEAD_STATUSES.includes(l.statusId));
    open.sort((a, b) => b.createdAt - a.createdAt || Number(b.id) - Number(a.id));
    const newest = open[0];
    return newest ? { id: newest.id, name: newest.name, statusId: newest.statusId } : null;
  }
}

function phonesOf(party: CallerParty): string[] {
  return (party.custom_fields_values ?? []).filter((f) => f.field_code === 'PHONE').flatMap((f) => f.values.map((v) => v.value));
}
