/**
 * Bitrix24's REST answers, as documented (apidocs.bitrix24.com, bitrix24/b24restdocs), checked
 * with zod before they become domain values. Bitrix24 writes numbers as numbers in some answers
 * and as strings in others (voximplant.statistic.get gives every field as a string), so ids and
 * counts accept both.
 * @module
 */
import * as z from 'zod';

const id = z.union([z.number(), z.string().min(1)]).transform((v) => (typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : v));
const count = z.union([z.number(), z.string()]).transform((v) => Number(v));
const optionalText = z
  .string()
  .nullish()
  .transform((v) => v ?? null);

/** Every answer: `result` on success; `error` (possibly empty) and `error_description` on failure, whatever the HTTP status. */
export const Envelope = z.looseObject({
  result: z.unknown().optional(),
  next: count.optional(),
  total: count.optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});

/** telephony.externalCall.register */
export const Registered = z.looseObject({
  CALL_ID: z.string().min(1),
  CRM_CREATED_LEAD: id.nullish(),
  CRM_ENTITY_TYPE: z.string().nullish(),
  CRM_ENTITY_ID: id.nullish(),
  CRM_CREATED_ENTITIES: z.array(z.looseObject({ ENTITY_TYPE: z.string(), ENTITY_ID: id })).nullish(),
  LEAD_CREATION_ERROR: z.string().nullish(),
});

/** One row of telephony statistics (voximplant.statistic.get; telephony.externalCall.finish answers one too). */
export const StatisticRow = z.looseObject({
  ID: id.optional(),
  CALL_ID: z.string(),
  EXTERNAL_CALL_ID: optionalText,
  PHONE_NUMBER: optionalText,
  CALL_DURATION: count.nullish(),
  CALL_START_DATE: z.unknown().optional(),
  CALL_RECORD_URL: optionalText,
  RECORD_FILE_ID: id.nullish(),
  CRM_ENTITY_TYPE: optionalText,
  CRM_ENTITY_ID: id.nullish(),
  CRM_ACTIVITY_ID: id.nullish(),
});
export type StatisticRow = z.output<typeof StatisticRow>;

export const StatisticPage = z.array(StatisticRow);

/** telephony.externalCall.searchCrmEntities */
export const CrmEntities = z.array(
  z.looseObject({
    CRM_ENTITY_TYPE: z.string(),
    CRM_ENTITY_ID: id,
    NAME: z.string().nullish(),
    ASSIGNED_BY_ID: id.nullish(),
  }),
);
export type CrmEntity = z.output<typeof CrmEntities>[number];

/** crm.contact.add answers the new id. */
export const CreatedId = id;
