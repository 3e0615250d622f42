/**
 * crm_accounts: the CRM accounts calls are delivered to, with their health and credentials.
 * @module
 */
import { pgTable, text } from 'drizzle-orm/pg-core';
import { instant, oneOf, timestamps } from './columns';
import { CRM_KINDS, CRM_STATUSES } from '../../domain/crm-account';

export const crmAccounts = pgTable(
  'crm_accounts',
  {
    /** Stable key derived from the configuration, e.g. "sandbox" or "amocrm:example.amocrm.ru". */
    id: text('id').primaryKey(),
    kind: text('kind', { enum: CRM_KINDS }).notNull(),
    baseUrl: text('base_url'),
    status: text('status', { enum: CRM_STATUSES }).notNull().default('ok'),
    statusReason: text('status_reason'),
    statusChangedAt: instant('status_changed_at'),
    accessToken: text('access_token'),
    refreshToken: text('refresh_token'),
    tokenExpiresAt: instant('token_expires_at'),
    tokenRefreshedAt: instant('token_refreshed_at'),
    /** One delivery worker per account: whoever holds an unexpired lease. */
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: instant('lease_expires_at'),
    ...timestamps,
  },
  (t) => [oneOf('crm_accounts_kind', t.kind, CRM_KINDS), oneOf('crm_accounts_status', t.status, CRM_STATUSES)],
);
