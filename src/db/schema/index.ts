/**
 * The ledger's tables. One table per file; this barrel is what drizzle and the app import.
 * @module
 */
export * from './inbox-events';
export * from './conversations';
export * from './legs';
export * from './recordings';
export * from './crm-accounts';
export * from './deliveries';
export * from './delivery-attempts';
export * from './pbx-cursors';
export * from './call-audio';
export * from './app-secrets';
export * from './recording-purges';
export * from './reconcile';
export * from './live';
export * from './audit';
export * from './erasures';
export * from './people';
export * from './recording-access';
export * from './accounts';
export * from './crm-budget';
export * from './dead-letters';
export * from './relations';
