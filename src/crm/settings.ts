/**
 * The CRM connection as the environment (and, for a generic or Bitrix24 CRM, the integrator
 * config's `crm.adapter`) describes it: which kind of CRM, which account, where, with which
 * credentials, at which pace. The CRM side owns the type; the config pass fills it in
 * (settings/env.ts, then settings/crm-account.ts, in the one pass of settings/load.ts) and crm/connect
 * builds the port from it.
 * @module
 */
import type { CrmKind } from '../domain/crm-account';

export interface CrmSettings {
  /** generic, bitrix24: crm.adapter in the integrator config (see settings/crm-account.ts). */
  kind: CrmKind;
  /** crm_accounts.id of the configured account. */
  accountId: string;
  baseUrl?: string;
  longLivedToken?: string;
  oauth?: { clientId: string; clientSecret: string; redirectUri: string };
  rps: number;
  /** The environment variables the config names as secrets (`{env: NAME}`), and their values. */
  secrets?: Record<string, string>;
}
