/**
 * The `crm:` section of the integrator config, owned by the CRM side: what the call notes and the
 * records calltrail creates look like (source, names, fields and tags), how unknown callers' leads
 * are filed, how many calls go in a request, and which adapter talks to the CRM — amoCRM, a
 * generic REST CRM described in `crm.generic`, or Bitrix24 (`crm.bitrix24`). The composition
 * (config/integrator.ts) puts it in the file's schema; its checks across sections
 * (crm/generic/config.ts checkCrmAdapter, crm/bitrix24/check.ts) stay with it there.
 * @module
 */
import * as z from 'zod';
import { bitrix24ConfigSchema } from '../bitrix24/config';
import { genericCrmSchema } from '../generic/config';
import { crmFieldsSchema, templateWithDefault } from './fields';

export const crmConfigSchema = z
  .strictObject({
    source: z.string().min(1).max(64).default('calltrail').describe('The source shown on call notes'),
    contact_name: templateWithDefault('{{ phone }}').describe('Name of a contact created for an unknown caller'),
    lead_name: templateWithDefault('Call from {{ phone }}').describe('Name of an unknown-caller lead (Unsorted)'),
    unsorted: z
      .strictObject({
        pipeline_id: z.number().int().positive().nullable().default(null),
        service_code: z.string().min(1).default('calltrail'),
      })
      .prefault({}),
    batch_size: z.number().int().min(1).max(250).default(50).describe('Calls per request (amoCRM: ≤ 250, 50 recommended)'),
    adapter: z
      .enum(['amocrm', 'generic', 'bitrix24'])
      .default('amocrm')
      .describe('amocrm: the amoCRM (Kommo) API; generic: any REST CRM described in crm.generic; bitrix24: a Bitrix24 portal (crm.bitrix24)'),
    generic: genericCrmSchema.optional(),
    bitrix24: bitrix24ConfigSchema.optional(),
    fields: crmFieldsSchema,
  })
  .prefault({});

export type CrmConfig = z.output<typeof crmConfigSchema>;
