/**
 * Bitrix24's REST API as the adapter calls it: `POST <webhook>/<method>.json` with a JSON body,
 * its answer's envelope (`result`, `next`, `total`) unwrapped. The pace, the timeout, retries and
 * what each answer means are the CRM transport's, by Bitrix24's table (table.ts).
 * @module
 */
import { CrmError, type LiveRequest } from '../port';
import type { CrmTransport } from '../transport';
import { Envelope } from './schemas';

export interface Bitrix24Answer {
  result: unknown;
  next: number | null;
  total: number | null;
}

export class Bitrix24Api {
  /** `webhookUrl`: `https://<portal>/rest/<user>/<code>/`, with the trailing slash. */
  constructor(
    readonly webhookUrl: string,
    private readonly transport: CrmTransport,
  ) {}

  /**
   * Calls one REST method. `write` says whether the method changes the portal: a write whose
   * answer was lost is never repeated by the transport (the caller looks it up first). `live`: a
   * request for a ringing call, first in the budget and never sent after its deadline.
   */
  async call(method: string, params: Record<string, unknown>, write: boolean, live?: LiveRequest): Promise<Bitrix24Answer> {
    const { status, data } = await this.transport.request({
      method: 'POST',
      url: `${this.webhookUrl}${method}.json`,
      body: JSON.stringify(params),
      write,
      ...(live ? { priority: 'live' as const, deadline: live.deadline } : {}),
    });
    const envelope = Envelope.safeParse(data ?? {});
    if (!envelope.success) throw new CrmError({ kind: 'unavailable', sent: write, status, detail: `unexpected ${method} answer` });
    if (!('result' in envelope.data)) throw new CrmError({ kind: 'unavailable', sent: write, status, detail: `${method} answered without a result` });
    return { result: envelope.data.result, next: envelope.data.next ?? null, total: envelope.data.total ?? null };
  }
}
