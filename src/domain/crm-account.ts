/**
 * The kinds of CRM an account can be, and whether calltrail may talk to it.
 * @module
 */
export const CRM_KINDS = ['sandbox', 'amocrm', 'generic', 'bitrix24'] as const;
export type CrmKind = (typeof CRM_KINDS)[number];

export const CRM_STATUSES = ['ok', 'blocked', 'unauthorized'] as const;
export type CrmStatus = (typeof CRM_STATUSES)[number];
