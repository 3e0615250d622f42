/**
 * What `crm.adapter: bitrix24` demands of the rest of the config: its section, and no call-back
 * tasks (the adapter does not create tasks; Bitrix24 shows a missed call in its own call list).
 * @module
 */
import type * as z from 'zod';

interface Bitrix24Demands {
  crm: { adapter: string; bitrix24?: unknown };
  missed_call_tasks: { enabled: boolean };
}

export function checkBitrix24(config: Bitrix24Demands, ctx: z.RefinementCtx): void {
  if (config.crm.adapter !== 'bitrix24') return;
  if (!config.crm.bitrix24) ctx.addIssue({ code: 'custom', path: ['crm', 'bitrix24'], message: 'is required with crm.adapter: bitrix24' });
  if (config.missed_call_tasks.enabled) {
    ctx.addIssue({
      code: 'custom',
      path: ['missed_call_tasks', 'enabled'],
      message: 'call-back tasks are not supported with crm.adapter: bitrix24; set it to false',
    });
  }
}
